import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../test-helpers.js';
import { parseMemo } from './parse.js';
import { serializeMemo } from './serialize.js';
import { memoMessage } from './test-arbitraries.js';
import { letterToMemo, memoToLetter } from './to-letter.js';
import { memoIssues } from './validate.js';

describe('MeMo properties', () => {
  it('generated messages are valid', () => {
    fc.assert(
      fc.property(memoMessage, (msg) => {
        expect(memoIssues(msg)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('serialize → parse gives the same message, pretty-printed or not', () => {
    fc.assert(
      fc.property(memoMessage, fc.boolean(), (msg, prettyPrint) => {
        expect(parseMemo(utf8(serializeMemo(msg, msg.memoVersion, { prettyPrint })))).toEqual(msg);
      }),
      { numRuns: 200 },
    );
  });

  it('memoToLetter → letterToMemo → serialize → parse → memoToLetter gives the same letter and extras', () => {
    fc.assert(
      fc.property(memoMessage, (msg) => {
        const first = memoToLetter(msg);
        const exported = letterToMemo(first.letter, first.extras);
        expect(memoIssues(exported)).toEqual([]);
        expect(memoToLetter(parseMemo(utf8(serializeMemo(exported))))).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });
});
