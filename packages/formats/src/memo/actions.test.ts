import { validateLetter } from '@postkasse/core';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../test-helpers.js';
import type { MemoAction, MemoMessage } from './model.js';
import { parseMemo } from './parse.js';
import { serializeMemo } from './serialize.js';
import { letterAction, letterToMemo, memoToLetter } from './to-letter.js';

const start = '2030-03-04T09:00:00+01:00';
const end = '2030-03-04T10:00:00+01:00';
const url = 'https://selvbetjening.example.dk/sag/1';

const message = (actions: MemoAction[], extraDocumentActions: MemoAction[] = []): MemoMessage => ({
  memoVersion: '1.2',
  header: {
    messageType: 'DIGITALPOST',
    messageUUID: '0e7a4cf5-1f59-4b3c-9c55-0b1c7f5a9d21',
    label: 'Indkaldelse',
    reply: true,
    replyByDateTime: '2030-03-01T12:00:00Z',
    sender: { senderID: '12345678', idType: 'CVR', label: 'Kommunen' },
    recipient: { recipientID: '2211771212', idType: 'CPR' },
    replyData: [],
  },
  body: {
    createdDateTime: '2030-02-01T12:00:00Z',
    mainDocument: {
      label: 'Indkaldelse',
      files: [
        { encodingFormat: 'application/pdf', filename: 'a.pdf', content: 'JVBERi0=' },
        { encodingFormat: 'text/plain', filename: 'a.txt', content: 'aGVq' },
      ],
      actions,
    },
    additionalDocuments: [
      {
        label: 'Bilag',
        files: [{ encodingFormat: 'text/plain', filename: 'b.txt', content: 'aGVq' }],
        actions: extraDocumentActions,
      },
    ],
    technicalDocuments: [],
  },
});

describe('MeMo actions → letter actions', () => {
  it('maps each action code', () => {
    const on = (a: Omit<MemoAction, 'label'>) => letterAction({ label: 'Gør noget', ...a }, 'doc-1');
    const base = { label: 'Gør noget', document: 'doc-1' };
    expect(on({ actionCode: 'AFTALE', startDateTime: start, endDateTime: end })).toEqual({
      type: 'appointment',
      ...base,
      start,
      end,
    });
    expect(on({ actionCode: 'SELVBETJENING', entryPoint: { url } })).toEqual({ type: 'selfService', ...base, url });
    expect(on({ actionCode: 'UNDERSKRIV', entryPoint: { url } })).toEqual({ type: 'sign', ...base, url });
    expect(on({ actionCode: 'TILMELDING', entryPoint: { url } })).toEqual({ type: 'register', ...base, url });
    expect(on({ actionCode: 'BEKRAEFT' })).toEqual({ type: 'confirm', ...base });
    expect(on({ actionCode: 'FORBEREDELSE' })).toEqual({ type: 'prepare', ...base });
    expect(on({ actionCode: 'INFORMATION', entryPoint: { url } })).toEqual({ type: 'information', ...base, url });
    // MeMo carries no amount, currency or due date: a payment cannot be offered, the link still shows.
    expect(on({ actionCode: 'BETALING', entryPoint: { url } })).toEqual({ type: 'information', ...base, url });
  });

  it('takes an appointment from its reservation, with the place', () => {
    const action = letterAction(
      {
        label: 'Tid hos lægen',
        actionCode: 'AFTALE',
        reservation: {
          reservationUUID: 'b3c0a1f6-0d7b-4f7e-9d6a-3a1c2b4d5e6f',
          abstract: 'Konsultation',
          location: 'Sundhedshuset, lokale 3',
          startDateTime: start,
          endDateTime: end,
        },
      },
      'doc-2',
    );
    expect(action).toEqual({
      type: 'appointment',
      label: 'Tid hos lægen',
      document: 'doc-2',
      start,
      end,
      place: 'Sundhedshuset, lokale 3',
    });
  });

  it('falls back to information when an action lacks what its type needs', () => {
    expect(letterAction({ label: 'Tid', actionCode: 'AFTALE' }, 'doc-1').type).toBe('information');
    expect(
      letterAction({ label: 'Tid', actionCode: 'AFTALE', startDateTime: end, endDateTime: end }, 'doc-1').type,
    ).toBe('information');
    expect(letterAction({ label: 'Underskriv', actionCode: 'UNDERSKRIV' }, 'doc-1')).toEqual({
      type: 'information',
      label: 'Underskriv',
      document: 'doc-1',
    });
  });

  it('shortens long labels and names blank ones after the code', () => {
    const long = letterAction({ label: 'æ'.repeat(150), actionCode: 'BEKRAEFT' }, 'doc-1');
    expect(Array.from(long.label)).toHaveLength(100);
    expect(long.label.endsWith('…')).toBe(true);
    expect(letterAction({ label: '   ', actionCode: 'TILMELDING' }, 'doc-1').label).toBe('Tilmelding');
  });

  it('maps a message: reply-by, actions on the first part of their document, valid for the core', () => {
    const msg = message(
      [
        { label: 'Møde', actionCode: 'AFTALE', startDateTime: start, endDateTime: end },
        { label: 'Betal', actionCode: 'BETALING', entryPoint: { url: 'https://betal.example.dk' } },
      ],
      [{ label: 'Læs bilaget', actionCode: 'INFORMATION' }],
    );
    const { letter, extras } = memoToLetter(msg);
    expect(letter.replyBy).toBe('2030-03-01T12:00:00Z');
    expect(letter.documents.map((d) => d.part)).toEqual(['doc-1', 'doc-2', 'doc-3']);
    expect(letter.actions).toEqual([
      { type: 'appointment', label: 'Møde', document: 'doc-1', start, end },
      { type: 'information', label: 'Betal', document: 'doc-1', url: 'https://betal.example.dk' },
      { type: 'information', label: 'Læs bilaget', document: 'doc-3' },
    ]);
    // The MeMo actions themselves stay in the extras, for export.
    expect(extras.documents.map((g) => g.actions.length)).toEqual([2, 1]);
    expect(() => validateLetter(letter, new Date('2030-02-01T00:00:00Z'))).not.toThrow();
    expect(() => validateLetter(letter, new Date('2030-03-02T00:00:00Z'))).toThrow(/replyBy/);

    const again = memoToLetter(parseMemo(utf8(serializeMemo(letterToMemo(letter, extras)))));
    expect(again).toEqual({ letter, extras });
  });

  it('leaves letters without actions or reply-by as they were', () => {
    const msg = message([]);
    delete msg.header.replyByDateTime;
    const { letter } = memoToLetter(msg);
    expect('actions' in letter).toBe(false);
    expect('replyBy' in letter).toBe(false);
  });
});
