import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import {
  checkFilename,
  type DocumentInput,
  type LetterActionInput,
  type LetterInput,
  looksLikePdf,
  resolveActions,
  validateLetter,
} from './letter.js';

const doc = (over: Partial<DocumentInput> = {}): DocumentInput => ({
  part: 'main',
  role: 'main',
  filename: 'letter.pdf',
  mediaType: 'application/pdf',
  content: new TextEncoder().encode('%PDF-1.7\n'),
  ...over,
});
const letter = (documents: DocumentInput[], over: Partial<LetterInput> = {}): LetterInput => ({
  id: '8c2ea15d-61fb-4ba9-9366-42f8b194c114',
  recipient: { nationalId: '12858510129' },
  subject: 'Vedtak',
  authLevel: 'high',
  sensitivity: 'normal',
  openingReceipt: false,
  legalNotification: false,
  mandatory: false,
  documents,
  ...over,
});

function codes(fn: () => void): string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return ((error as AppError).errors ?? []).map((e) => e.code);
  }
  return [];
}

describe('letter rules', () => {
  it('accepts one main document with attachments and technical documents', () => {
    const docs = [
      doc(),
      doc({ part: 'a1', role: 'attachment', filename: 'vedlegg.pdf' }),
      doc({ part: 't1', role: 'technical', filename: 'data.xml', mediaType: 'application/xml' }),
    ];
    expect(() => validateLetter(letter(docs))).not.toThrow();
  });

  it('wants exactly one main document', () => {
    expect(codes(() => validateLetter(letter([doc({ role: 'attachment' })])))).toContain('missing_main_document');
    expect(codes(() => validateLetter(letter([doc(), doc({ part: 'b' })])))).toContain('multiple_main_documents');
  });

  it('allows 200 attachments and not 201', () => {
    const attachments = (n: number) =>
      Array.from({ length: n }, (_, i) => doc({ part: `a${i}`, role: 'attachment', filename: `a${i}.pdf` }));
    expect(() => validateLetter(letter([doc(), ...attachments(200)]))).not.toThrow();
    expect(codes(() => validateLetter(letter([doc(), ...attachments(201)])))).toContain('too_many_attachments');
  });

  it('refuses unknown media types, empty documents and an HTML main document', () => {
    expect(codes(() => validateLetter(letter([doc({ mediaType: 'text/html' })])))).toContain(
      'unsupported_document_type',
    );
    expect(codes(() => validateLetter(letter([doc({ content: new Uint8Array() })])))).toContain('empty_document');
    expect(codes(() => validateLetter(letter([doc({ mediaType: 'application/json' })])))).toContain(
      'unsupported_main_document_type',
    );
  });

  it('refuses content declared a PDF that is not one (text, HTML, SVG), and takes a PDF with a little junk first', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const fake of [
      'This is a test',
      '<html><script>alert(1)</script></html>',
      '<svg xmlns="http://www.w3.org/2000/svg"/>',
      '%PDF',
    ]) {
      expect(
        codes(() => validateLetter(letter([doc({ content: enc(fake) })]))),
        fake,
      ).toEqual(['media_type_mismatch']);
      expect(looksLikePdf(enc(fake))).toBe(false);
    }
    expect(looksLikePdf(enc(`${' '.repeat(100)}%PDF-1.4\n`))).toBe(true);
    expect(looksLikePdf(enc(`${' '.repeat(1020)}%PDF-1.4\n`))).toBe(false);
    // An attachment declared a PDF is held to the same rule.
    expect(
      codes(() => validateLetter(letter([doc(), doc({ part: 'a', role: 'attachment', content: enc('hi') })]))),
    ).toEqual(['media_type_mismatch']);
  });

  it('collects every problem in one answer', () => {
    const found = codes(() =>
      validateLetter(letter([doc({ filename: '../x', mediaType: 'text/html' })], { subject: ' ' })),
    );
    expect(found).toEqual(expect.arrayContaining(['invalid_filename', 'unsupported_document_type', 'empty_subject']));
  });
});

describe('file names', () => {
  it('refuses path separators, control characters, reserved characters and dot names', () => {
    for (const bad of [
      '../etc/passwd',
      'a/b.pdf',
      'a\\b.pdf',
      'x\u0000.pdf',
      'x\n.pdf',
      'a:b',
      'a?.pdf',
      '..',
      '.',
      ' lead',
      'trail.',
      '',
    ]) {
      expect(checkFilename(bad), bad).not.toBeNull();
    }
    expect(checkFilename('x'.repeat(256))).not.toBeNull();
  });
  it('accepts ordinary Nordic names', () => {
    for (const good of ['vedtak.pdf', 'Søknad om støtte (2).pdf', 'Pladsanvisning.pdf', 'årsoppgjør 2026.PDF']) {
      expect(checkFilename(good)).toBeNull();
    }
  });
  it('never accepts a name containing a separator, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('/', '\\', '\u0000', '<', '|'), fc.string(), (a, sep, b) => {
        expect(checkFilename(`${a}${sep}${b}`)).not.toBeNull();
      }),
    );
  });
});

describe('delivery options', () => {
  const now = new Date('2026-11-23T09:00:00Z');
  const later = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  const address = { type: 'norwegian' as const, addressLines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' };
  const check = (over: Partial<LetterInput>) => codes(() => validateLetter(letter([doc()], over), now));

  it('takes dates in the future, within a year, in a sensible order', () => {
    expect(
      check({
        deliverAt: later(1),
        registrationDeadline: later(30),
        printIfUnreadAfter: later(14),
        printDetails: { recipient: { name: 'Ola', address }, colour: 'monochrome', undeliverable: 'shred' },
      }),
    ).toEqual([]);
    expect(check({ deliverAt: later(-1) })).toEqual(['date_time_in_past']);
    expect(check({ deliverAt: later(400) })).toEqual(['date_time_too_far']);
    expect(check({ deliverAt: 'tomorrow' })).toEqual(['invalid_date_time']);
    expect(check({ deliverAt: later(10), registrationDeadline: later(5) })).toEqual(['before_delivery']);
    expect(check({ printIfUnreadAfter: later(5) })).toEqual(['missing_print_details']);
  });

  it('checks print addresses and what to do with undeliverable mail', () => {
    const details = (over: object) => ({
      recipient: { name: 'Ola', address },
      colour: 'monochrome' as const,
      undeliverable: 'shred' as const,
      ...over,
    });
    expect(check({ printDetails: details({ recipient: { name: ' ', address } }) })).toEqual(['invalid_address']);
    expect(
      check({ printDetails: details({ recipient: { name: 'Ola', address: { ...address, postalCode: '15' } } }) }),
    ).toEqual(['invalid_postal_code']);
    expect(check({ printDetails: details({ undeliverable: 'return' }) })).toEqual(['missing_return_address']);
    expect(
      check({
        printDetails: details({
          recipient: {
            name: 'Ola',
            address: { type: 'foreign', addressLines: ['1 Main St', 'London'], country: 'GB' },
          },
        }),
      }),
    ).toEqual([]);
  });

  it('bounds notification texts and repetitions', () => {
    expect(
      check({ notification: { emailText: 'x'.repeat(500), smsText: 'y'.repeat(160), repetitions: [0, 7, 25] } }),
    ).toEqual([]);
    expect(check({ notification: { emailText: 'x'.repeat(501) } })).toEqual(['invalid_text']);
    expect(check({ notification: { smsText: 'y'.repeat(161) } })).toEqual(['invalid_text']);
    for (const repetitions of [[], [0, 0], [26], [1.5], Array.from({ length: 11 }, (_, i) => i)]) {
      expect(check({ notification: { repetitions } }), JSON.stringify(repetitions)).toEqual(['invalid_repetitions']);
    }
  });

  it('lets a notification-only message carry no documents, and no others', () => {
    expect(codes(() => validateLetter(letter([], { notificationOnly: true }), now))).toEqual([]);
    expect(codes(() => validateLetter(letter([doc()], { notificationOnly: true }), now))).toEqual([
      'documents_in_notification',
    ]);
    expect(codes(() => validateLetter(letter([]), now))).toEqual(['missing_main_document']);
  });
});

describe('actions and reply-by', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const docs = [doc(), doc({ part: 'inv', role: 'attachment', filename: 'inv.txt', mediaType: 'text/plain' })];
  const paths = (over: Partial<LetterInput>) => {
    try {
      validateLetter(letter(docs, over), now);
    } catch (error) {
      return ((error as AppError).errors ?? []).map((e) => `${e.path} ${e.code}`);
    }
    return [];
  };
  const pay: LetterActionInput = {
    type: 'pay',
    label: 'Betal',
    amount: '1250.50',
    currency: 'NOK',
    dueDate: '2030-02-28',
    document: 'main',
  };
  const appointment: LetterActionInput = {
    type: 'appointment',
    label: 'Time',
    start: '2030-01-10T10:00:00+01:00',
    end: '2030-01-10T10:30:00+01:00',
    place: 'Legekontoret',
    document: 'inv',
  };

  it('accepts every action type with its fields, and a reply-by date ahead', () => {
    const links = (['selfService', 'sign', 'register'] as const).map((type) => ({
      type,
      label: type,
      url: 'https://example.no/x',
    }));
    const plain = (['confirm', 'prepare', 'information'] as const).map((type) => ({ type, label: type }));
    expect(paths({ replyBy: '2030-01-15T12:00:00Z', actions: [pay, appointment, ...links, ...plain] })).toEqual([]);
  });

  it('refuses bad actions with a path to each problem', () => {
    expect(
      paths({
        replyBy: '2029-12-31T00:00:00Z',
        actions: [
          { ...pay, amount: '0.00', currency: 'nok', dueDate: '2030-02-30', document: 'nope' },
          { ...appointment, end: '2030-01-10T09:00:00+01:00', amount: '1' },
          { type: 'sign', label: ' ' },
          { type: 'information', label: 'Les', url: 'http://example.no' },
          { type: 'information', label: 'Les', url: 'https://user:pw@example.no' },
          { ...pay, amount: undefined, currency: undefined, dueDate: undefined },
        ],
      }),
    ).toEqual([
      'replyBy date_time_in_past',
      'actions[0].document unknown_document',
      'actions[0].amount invalid_amount',
      'actions[0].currency invalid_currency',
      'actions[0].dueDate invalid_date',
      'actions[1].amount field_not_allowed',
      'actions[1].end end_before_start',
      'actions[2].label invalid_label',
      'actions[2].url missing_url',
      'actions[3].url insecure_url',
      'actions[4].url invalid_url',
      'actions[5].amount required',
      'actions[5].currency required',
      'actions[5].dueDate required',
    ]);
    expect(paths({ actions: Array.from({ length: 21 }, () => ({ type: 'confirm' as const, label: 'Ok' })) })).toEqual([
      'actions too_many_actions',
    ]);
    expect(paths({ deliverAt: '2030-01-20T00:00:00Z', replyBy: '2030-01-10T00:00:00Z' })).toEqual([
      'replyBy before_delivery',
    ]);
  });

  it('refuses control characters and line breaks, which could break out of a calendar line', () => {
    expect(
      paths({
        actions: [
          { ...appointment, label: 'Time\rURL:http://phish.example' },
          { ...appointment, place: 'Kontoret\nATTENDEE:mailto:x@evil.example' },
          { type: 'information', label: 'Les', url: 'https://example.no/\tjavascript:x' },
        ],
      }),
    ).toEqual([
      'actions[0].label control_character',
      'actions[1].place control_character',
      'actions[2].url invalid_url',
    ]);
  });

  it('keeps actions with their document by position and times in UTC', () => {
    expect(resolveActions([pay, appointment], docs)).toEqual([
      { type: 'pay', label: 'Betal', amount: '1250.50', currency: 'NOK', dueDate: '2030-02-28', documentIndex: 0 },
      {
        type: 'appointment',
        label: 'Time',
        start: '2030-01-10T09:00:00.000Z',
        end: '2030-01-10T09:30:00.000Z',
        place: 'Legekontoret',
        documentIndex: 1,
      },
    ]);
  });
});
