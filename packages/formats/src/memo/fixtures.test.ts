import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateLetter } from '@postkasse/core';
import { describe, expect, it } from 'vitest';
import { catchFormatError } from '../test-helpers.js';
import { parseMemo } from './parse.js';
import { serializeMemo } from './serialize.js';
import { letterToMemo, memoToLetter } from './to-letter.js';
import { memoIssues, validateMemo } from './validate.js';

const dir = join(import.meta.dirname, '../../fixtures/memo');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.xml'));
const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const encode = (xml: string) => new TextEncoder().encode(xml);

describe('MeMo fixtures', () => {
  it('finds the three public examples', () => {
    expect(fixtures.sort()).toEqual(['MeMo_Minimum_Example.xml', 'MeMo_NemSMS.xml', 'MeMo_with_attachment.xml']);
  });

  for (const name of fixtures) {
    describe(name, () => {
      const msg = parseMemo(read(name));

      it('validates at schema level; strict mode objects only to placeholder ids', () => {
        expect(() => validateMemo(msg, { identifiers: 'schema' })).not.toThrow();
        const strict = memoIssues(msg);
        for (const issue of strict) {
          expect(['invalid_cpr', 'invalid_cvr']).toContain(issue.code);
          expect(issue.path).toMatch(/^Message\/MessageHeader\/(Sender\/senderID|Recipient\/recipientID)$/);
        }
      });

      it('round-trips parse → serialize → parse, in both versions', () => {
        expect(parseMemo(encode(serializeMemo(msg)))).toEqual(msg);
        const asV11 = parseMemo(encode(serializeMemo(msg, '1.1')));
        expect(asV11).toEqual({ ...msg, memoVersion: '1.1' });
      });

      it('round-trips memoToLetter → letterToMemo → serialize → parse → memoToLetter', () => {
        const first = memoToLetter(msg);
        const again = memoToLetter(parseMemo(encode(serializeMemo(letterToMemo(first.letter, first.extras)))));
        expect(again).toEqual(first);
      });
    });
  }

  it('maps the minimum example to a valid core letter', () => {
    const { letter, extras } = memoToLetter(parseMemo(read('MeMo_Minimum_Example.xml')));
    expect(() => validateMemo(parseMemo(read('MeMo_Minimum_Example.xml')))).not.toThrow();
    expect(letter).toEqual({
      id: '8c2ea15d-61fb-4ba9-9366-42f8b194c114',
      recipient: { nationalId: '2211771212' },
      subject: 'Pladsanvisning',
      nonSensitiveTitle: undefined,
      authLevel: 'high',
      sensitivity: 'normal',
      openingReceipt: false,
      legalNotification: false,
      mandatory: false,
      senderReference: undefined,
      deliverAt: undefined,
      documents: [
        {
          part: 'doc-1',
          role: 'main',
          title: undefined,
          filename: 'Pladsanvisning.pdf',
          mediaType: 'application/pdf',
          language: 'da',
          content: new TextEncoder().encode('This is a test'),
        },
      ],
    });
    // The published sample's "PDF" is a placeholder text, which the letter rules refuse; with a PDF in its place it is a valid letter.
    expect(() => validateLetter(letter)).toThrow(/not a PDF/);
    const pdf = new TextEncoder().encode('%PDF-1.4\n%%EOF\n');
    const withPdf = { ...letter, documents: letter.documents.map((d) => ({ ...d, content: pdf })) };
    expect(() => validateLetter(withPdf)).not.toThrow();
    expect(extras).toMatchObject({
      format: 'memo',
      memoVersion: '1.2',
      messageType: 'DIGITALPOST',
      notificationOnly: false,
      sender: { senderID: '12345678', idType: 'CVR', label: 'Kommunen' },
      recipient: {},
      createdDateTime: '2024-05-03T12:00:00Z',
      documents: [{ kind: 'main', parts: ['doc-1'], actions: [] }],
    });
  });

  it('maps a main document with two files to a main part and an attachment part', () => {
    const { letter, extras } = memoToLetter(parseMemo(read('MeMo_with_attachment.xml')));
    expect(letter.documents.map((d) => [d.part, d.role, d.filename])).toEqual([
      ['doc-1', 'main', 'File1.txt'],
      ['doc-2', 'attachment', 'File2.txt'],
    ]);
    expect(new TextDecoder().decode(letter.documents[1]?.content)).toBe('File content 2');
    expect(extras.documents).toEqual([{ kind: 'main', parts: ['doc-1', 'doc-2'], actions: [] }]);
    expect(letter.recipient).toEqual({ nationalId: 'Recipient ID' });
  });

  it('maps the NemSMS example as a notification-only message', () => {
    const { letter, extras } = memoToLetter(parseMemo(read('MeMo_NemSMS.xml')));
    expect(letter.documents).toEqual([]);
    expect(letter.subject).toBe('Label Text');
    expect(extras).toMatchObject({
      messageType: 'NEMSMS',
      notificationOnly: true,
      notification: 'Message Text',
      recipient: { label: 'Recipient Label' },
    });
    expect(extras.createdDateTime).toBeUndefined();
    // The core refuses it as a letter: callers must treat it as a notification.
    expect(() => validateLetter(letter)).toThrow();
  });

  it('maps real ids strictly once placeholders are replaced', () => {
    const xml = new TextDecoder()
      .decode(read('MeMo_with_attachment.xml'))
      .replace('Sender ID', '12345678')
      .replace('Recipient ID', '0101901234');
    const msg = parseMemo(encode(xml));
    expect(() => validateMemo(msg)).not.toThrow();
    expect(memoToLetter(msg).letter.recipient).toEqual({ nationalId: '0101901234' });
  });

  it('refuses to map a message that does not validate', () => {
    const xml = new TextDecoder().decode(read('MeMo_Minimum_Example.xml')).replace('Pladsanvisning.pdf', '../x.pdf');
    const err = catchFormatError(() => memoToLetter(parseMemo(encode(xml))));
    expect(err.code).toBe('invalid_memo');
    expect(err.issues).toEqual([
      expect.objectContaining({ path: 'Message/MessageBody/MainDocument/File[1]/filename', code: 'invalid_filename' }),
    ]);
  });
});
