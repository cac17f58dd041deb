/**
 * Reply-by dates and actions on letters, end to end: a sender sends them (multipart, batch, MeMo),
 * the domain refuses bad ones before anything is stored, they are kept sealed, and the reader
 * sees them at the letter's level, with appointments offered as calendar files.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { platformKeyholder } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  letterJson,
  type Part,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  storedBlobs,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

const DAY = 24 * 3600_000;
const at = (days: number) => new Date(Date.now() + days * DAY);
/** A date-time `days` ahead at 10:00 in Oslo summer time (+02:00), and the same instant in UTC. */
function osloTime(days: number, hour = 10) {
  const date = at(days).toISOString().slice(0, 10);
  const local = `${date}T${String(hour).padStart(2, '0')}:00:00+02:00`;
  return { local, utc: new Date(local).toISOString() };
}

/** A label no other bytes in the data dir could contain by chance. */
const marker = `Betal-barnehage-${randomUUID().slice(0, 8)}`;

const twoDocuments = {
  documents: [
    { part: 'main', role: 'main', filename: 'vedtak.pdf', mediaType: 'application/pdf', title: 'Vedtak' },
    { part: 'invitasjon', role: 'attachment', filename: 'innkalling.txt', mediaType: 'text/plain' },
  ],
};
const twoParts: Part[] = [
  { name: 'main', content: tinyPdf, type: 'application/pdf' },
  { name: 'invitasjon', content: 'Velkommen til samtale', type: 'text/plain' },
];

function richLetter(over: Record<string, unknown> = {}) {
  const start = osloTime(20, 10);
  const end = osloTime(20, 11);
  return {
    message: letterJson({
      ...twoDocuments,
      authLevel: 'high',
      replyBy: at(14).toISOString(),
      actions: [
        {
          type: 'pay',
          label: marker,
          amount: '1250.00',
          currency: 'NOK',
          dueDate: at(30).toISOString().slice(0, 10),
          creditorAccount: '12345678903',
          paymentReference: '1234567890128',
          url: 'https://betal.example.no/faktura/1',
          document: 'main',
        },
        {
          type: 'appointment',
          label: 'Samtale om barnehageplass',
          start: start.local,
          end: end.local,
          place: 'Storgata 1, Oslo',
          document: 'invitasjon',
        },
        { type: 'selfService', label: 'Svar på vedtaket', url: 'https://minside.example.no/svar' },
      ],
      ...over,
    }),
    start,
    end,
  };
}

async function calendar(
  server: TestServer,
  token: string,
  mailboxId: string,
  letterId: string,
  index: number | string,
) {
  const res = await fetch(
    `${server.url}/api/v1/mailboxes/${mailboxId}/messages/${letterId}/actions/${index}/calendar`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  const type = res.headers.get('content-type') ?? '';
  const body = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, headers: res.headers, body: body as any } satisfies HttpAnswer;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe.each(dialects)('reply-by dates and actions (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let memoKey: string;
  let kariBox: string;
  let olaBox: string;
  let high: string;
  /** The letter the reading tests share, as Kari's mailbox knows it. */
  let letterId: string;
  let sent: ReturnType<typeof richLetter>;

  const findInbox = async (token: string, mailboxId: string, subject: string) => {
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    return (list.body.items as Array<Record<string, any>>).find((i) => i.subject === subject);
  };
  const stored = async (externalId: string, key = apiKey) => {
    const res = await fetch(`${server.url}/api/v1/messages/${externalId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return res.status;
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    // The MeMo messages below come from a Danish sender, named by its CVR number in the message.
    ({ apiKey: memoKey } = await server.sender('public', '12345674'));
    kariBox = (await server.person(people.kari, 'Kari Nordmann')).mailboxId;
    olaBox = (await server.person(people.ola, 'Ola Nordmann')).mailboxId;
    await server.person(people.mette);
    high = await server.token(people.kari, 'high');
    sent = richLetter({ subject: 'Vedtak om barnehageplass' });
    const res = await sendLetterHttp(server, apiKey, sent.message, twoParts);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe('DELIVERED');
    letterId = (await findInbox(high, kariBox, 'Vedtak om barnehageplass'))?.id;
    expect(letterId).toEqual(expect.any(String));
  });
  afterAll(() => server.close());

  it('shows the reply-by date and the actions to the owner, with their documents by id', async () => {
    const item = await findInbox(high, kariBox, 'Vedtak om barnehageplass');
    expect(item?.replyBy).toBe(sent.message.replyBy);
    const detail = await api(server, high, 'GET', `/api/v1/mailboxes/${kariBox}/messages/${letterId}`);
    expect(detail.status).toBe(200);
    expect(detail.body.replyBy).toBe(sent.message.replyBy);
    const [main, invitation] = detail.body.documents;
    expect(detail.body.actions).toEqual([
      {
        index: 0,
        type: 'pay',
        label: marker,
        amount: '1250.00',
        currency: 'NOK',
        dueDate: at(30).toISOString().slice(0, 10),
        creditorAccount: '12345678903',
        paymentReference: '1234567890128',
        url: 'https://betal.example.no/faktura/1',
        documentId: main.id,
      },
      {
        index: 1,
        type: 'appointment',
        label: 'Samtale om barnehageplass',
        start: sent.start.utc,
        end: sent.end.utc,
        place: 'Storgata 1, Oslo',
        documentId: invitation.id,
      },
      { index: 2, type: 'selfService', label: 'Svar på vedtaket', url: 'https://minside.example.no/svar' },
    ]);
  });

  it('hides the actions (content) below the letter level, but still shows the reply-by date', async () => {
    const low = await server.token(people.kari, 'substantial');
    const item = (await api(server, low, 'GET', `/api/v1/mailboxes/${kariBox}/messages`)).body.items.find(
      (i: any) => i.id === letterId,
    );
    expect(item).toMatchObject({ restricted: true, subject: null, replyBy: sent.message.replyBy });
    const detail = await api(server, low, 'GET', `/api/v1/mailboxes/${kariBox}/messages/${letterId}`);
    expect(detail.body).toMatchObject({ restricted: true, actions: [], documents: [], replyBy: sent.message.replyBy });
    const ics = await calendar(server, low, kariBox, letterId, 1);
    expectProblem(ics, 403, 'auth_level_too_low');
    expect(ics.body.loginUrl).toEqual(expect.any(String));
  });

  it('offers an appointment as an .ics file, and records the read in the audit log', async () => {
    const ics = await calendar(server, high, kariBox, letterId, 1);
    expect(ics.status, JSON.stringify(ics.body)).toBe(200);
    expect(ics.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(ics.headers.get('content-disposition')).toBe('attachment; filename="Samtale om barnehageplass.ics"');
    expect(ics.headers.get('cache-control')).toBe('private, no-store');
    const lines = (ics.body as string).split('\r\n');
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1);
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines).toContain('BEGIN:VEVENT');
    expect(lines).toContain('END:VCALENDAR');
    const utc = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    expect(field('DTSTART')).toBe(utc(sent.start.utc));
    expect(field('DTEND')).toBe(utc(sent.end.utc));
    expect(field('DTSTART')).toMatch(/^\d{8}T\d{6}Z$/);
    expect(field('SUMMARY')).toBe('Samtale om barnehageplass');
    expect(field('LOCATION')).toBe('Storgata 1\\, Oslo');
    expect(field('DESCRIPTION')).toContain('Sender 974000008');
    expect(field('UID')).toBe(`${letterId}-1@postkasse`);
    // The same appointment keeps its UID, so a calendar updates rather than duplicates it.
    const again = await calendar(server, high, kariBox, letterId, 1);
    expect((again.body as string).split('\r\n').find((l) => l.startsWith('UID:'))).toBe(`UID:${letterId}-1@postkasse`);

    const audit = await server.ctx.deps.store.read.audit.listByMailbox(kariBox, 5);
    expect(audit[0]).toMatchObject({
      action: 'action.calendar',
      letterId,
      actorNationalId: people.kari,
      actorRole: 'owner',
      details: { actionIndex: 1 },
    });
  });

  it('answers 404 for an action that is not an appointment, a missing one, and another person', async () => {
    expectProblem(await calendar(server, high, kariBox, letterId, 0), 404, 'not_found');
    expectProblem(await calendar(server, high, kariBox, letterId, 2), 404, 'not_found');
    expectProblem(await calendar(server, high, kariBox, letterId, 7), 404, 'not_found');
    const ola = await server.token(people.ola, 'high');
    const stranger = await calendar(server, ola, kariBox, letterId, 1);
    expectProblem(stranger, 404, 'not_found');
    // Ola's own mailbox does not hold Kari's letter: alike a letter that does not exist.
    const foreign = await calendar(server, ola, olaBox, letterId, 1);
    const missing = await calendar(server, ola, olaBox, randomUUID(), 1);
    expectProblem(foreign, 404, 'not_found');
    expect({ ...foreign.body, correlationId: null }).toEqual({ ...missing.body, correlationId: null });
    expectProblem(await calendar(server, high, kariBox, randomUUID(), 1), 404, 'not_found');
  });

  it('refuses an action index that is not a small whole number', async () => {
    for (const index of ['abc', '-1', '1000', '1.5', '1e2x']) {
      expectProblem(await calendar(server, high, kariBox, letterId, index), 400, 'validation_failed');
    }
  });

  it('keeps the actions sealed: the stored letter holds no plaintext of them', async () => {
    const row = await server.ctx.deps.store.read.letters.get(letterId);
    expect(row?.replyBy).toBe(sent.message.replyBy);
    // As stored: in the letter's seal, for its mailbox's key (shredded with it), no column of their own.
    const [stored] = await rawStatement<{ actions: Uint8Array | null; sealed_meta: Uint8Array; mailbox_id: string }>(
      server,
      `select actions, sealed_meta, mailbox_id from letters where id = '${letterId}'`,
    );
    expect(stored?.actions).toBeNull();
    expect(Buffer.from(stored?.sealed_meta ?? []).includes(Buffer.from(marker))).toBe(false);
    const vault = server.ctx.deps.vault;
    const mailbox = await server.ctx.deps.store.read.mailboxes.get(stored?.mailbox_id ?? '');
    const opened = await vault.openMeta(
      mailbox as NonNullable<typeof mailbox>,
      `letter:${letterId}`,
      stored?.sealed_meta as Uint8Array,
    );
    expect(Buffer.from(opened).toString('utf8')).toContain(marker);
    await expect(
      vault.openMeta(platformKeyholder, `letter:${letterId}`, stored?.sealed_meta as Uint8Array),
    ).rejects.toThrow();
    if (dialect === 'sqlite') {
      const files = await Promise.all(
        (await filesUnder(server.dataDir)).map(async (f) => [f, await readFile(f)] as const),
      );
      // The scan sees the database (its sender's name is there in plain text), but neither the
      // actions nor the subject, which is sealed too.
      expect(files.some(([, bytes]) => bytes.includes(Buffer.from('Sender 974000008')))).toBe(true);
      for (const [file, bytes] of files) {
        for (const plain of [
          marker,
          'betal.example.no',
          'Storgata 1',
          'minside.example.no',
          'Vedtak om barnehageplass',
        ]) {
          expect(bytes.includes(Buffer.from(plain)), `${plain} in ${file}`).toBe(false);
        }
      }
    }
  });

  const bad: Array<[string, Record<string, unknown>, number, string, string]> = [
    [
      'an http link',
      { actions: [{ type: 'selfService', label: 'Svar', url: 'http://minside.example.no' }] },
      400,
      'validation_failed',
      'message.actions[0].url',
    ],
    [
      'a self-service action without a link',
      { actions: [{ type: 'selfService', label: 'Svar' }] },
      422,
      'invalid_letter',
      'message.actions[0].url',
    ],
    [
      'an appointment that ends before it starts',
      {
        actions: [{ type: 'appointment', label: 'Time', start: osloTime(5, 11).local, end: osloTime(5, 10).local }],
      },
      422,
      'invalid_letter',
      'message.actions[0].end',
    ],
    [
      'a currency that is no ISO 4217 code',
      { actions: [{ type: 'pay', label: 'Betal', amount: '10.00', currency: 'kr', dueDate: '2030-01-01' }] },
      400,
      'validation_failed',
      'message.actions[0].currency',
    ],
    [
      'an amount of 0',
      { actions: [{ type: 'pay', label: 'Betal', amount: '0', currency: 'NOK', dueDate: '2030-01-01' }] },
      422,
      'invalid_letter',
      'message.actions[0].amount',
    ],
    [
      'an amount with three decimals',
      { actions: [{ type: 'pay', label: 'Betal', amount: '1.234', currency: 'NOK', dueDate: '2030-01-01' }] },
      400,
      'validation_failed',
      'message.actions[0].amount',
    ],
    [
      'a pay action without its due date',
      { actions: [{ type: 'pay', label: 'Betal', amount: '10', currency: 'NOK' }] },
      422,
      'invalid_letter',
      'message.actions[0].dueDate',
    ],
    [
      'a field of another action type',
      { actions: [{ type: 'confirm', label: 'Bekreft', amount: '10' }] },
      422,
      'invalid_letter',
      'message.actions[0].amount',
    ],
    [
      'a document that names no part',
      { actions: [{ type: 'information', label: 'Les', document: 'vedlegg' }] },
      422,
      'invalid_letter',
      'message.actions[0].document',
    ],
    [
      '21 actions',
      { actions: Array.from({ length: 21 }, (_, i) => ({ type: 'information', label: `Info ${i}` })) },
      400,
      'validation_failed',
      'message.actions',
    ],
    ['a reply-by date in the past', { replyBy: at(-1).toISOString() }, 422, 'invalid_letter', 'message.replyBy'],
  ];

  it.each(bad)('refuses %s with a clear problem and stores nothing', async (_name, over, status, code, path) => {
    const blobsBefore = (await storedBlobs(server)).length;
    const message = letterJson(over);
    const res = await sendLetterHttp(server, apiKey, message);
    expectProblem(res, status, code);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await stored(message.id)).toBe(404);
    expect((await storedBlobs(server)).length).toBe(blobsBefore);
  });

  it('answers the same letter again, and 409 for the same id with other actions', async () => {
    const { message } = richLetter();
    const first = await sendLetterHttp(server, apiKey, message, twoParts);
    expect(first.status).toBe(201);
    const same = await sendLetterHttp(server, apiKey, message, twoParts);
    expect(same.status).toBe(201);
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    const actions = (message.actions as Array<Record<string, unknown>>).map((a, i) =>
      i === 2 ? { ...a, label: 'Svar her' } : a,
    );
    expectProblem(await sendLetterHttp(server, apiKey, { ...message, actions }, twoParts), 409, 'idempotency_conflict');
    expectProblem(
      await sendLetterHttp(server, apiKey, { ...message, replyBy: at(15).toISOString() }, twoParts),
      409,
      'idempotency_conflict',
    );
    // No actions and an empty list are the same letter.
    const plain = letterJson();
    expect((await sendLetterHttp(server, apiKey, plain)).status).toBe(201);
    const empty = await sendLetterHttp(server, apiKey, { ...plain, actions: [] });
    expect(empty.status).toBe(201);
    expect(empty.headers.get('idempotent-replayed')).toBe('true');
  });

  it('takes actions on batch letters, naming their documents by id', async () => {
    const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
    const form = new FormData();
    form.append('file', new Blob([tinyPdf], { type: 'application/pdf' }), 'faktura.pdf');
    const upload = await fetch(`${server.url}/api/v1/batches/${batch.body.id}/documents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}` },
      body: form,
    });
    const documentId = ((await upload.json()) as { id: string }).id;
    const shared = (over: Record<string, unknown>) => ({
      id: randomUUID(),
      recipient: { nationalId: people.ola },
      subject: 'Faktura for SFO',
      authLevel: 'substantial',
      documents: [{ documentId, role: 'main' }],
      ...over,
    });
    const pay = { type: 'pay', label: 'Betal SFO', amount: '3100', currency: 'NOK', dueDate: '2030-02-01' };
    const added = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
      messages: [
        shared({ replyBy: at(10).toISOString(), actions: [{ ...pay, document: documentId.toUpperCase() }] }),
        shared({ actions: [{ ...pay, document: randomUUID() }] }),
        shared({ actions: [{ ...pay, amount: '0.00' }] }),
      ],
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ accepted: 1, failed: 2 });
    expect(added.body.results[1].error.errors[0].path).toBe('messages[1].actions[0].document');
    expect(added.body.results[2].error.errors[0].path).toBe('messages[2].actions[0].amount');
    expect((await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`)).status).toBe(200);

    const ola = await server.token(people.ola, 'high');
    const item = await findInbox(ola, olaBox, 'Faktura for SFO');
    expect(item?.replyBy).toEqual(expect.any(String));
    const detail = await api(server, ola, 'GET', `/api/v1/mailboxes/${olaBox}/messages/${item?.id}`);
    expect(detail.body.actions).toEqual([{ index: 0, ...pay, documentId: detail.body.documents[0].id }]);
  });

  it('maps the actions and the reply-by date of a MeMo message', async () => {
    const id = randomUUID();
    const replyBy = `${at(12).toISOString().slice(0, 19)}Z`;
    const start = `${at(25).toISOString().slice(0, 10)}T09:00:00Z`;
    const end = `${at(25).toISOString().slice(0, 10)}T09:45:00Z`;
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">
  <memo:MessageHeader>
    <memo:messageType>DIGITALPOST</memo:messageType>
    <memo:messageUUID>${id}</memo:messageUUID>
    <memo:label>Indkaldelse til samtale</memo:label>
    <memo:reply>true</memo:reply>
    <memo:replyByDateTime>${replyBy}</memo:replyByDateTime>
    <memo:Sender><memo:senderID>12345674</memo:senderID><memo:idType>CVR</memo:idType><memo:label>Kommunen</memo:label></memo:Sender>
    <memo:Recipient><memo:recipientID>${people.mette}</memo:recipientID><memo:idType>CPR</memo:idType></memo:Recipient>
  </memo:MessageHeader>
  <memo:MessageBody>
    <memo:createdDateTime>2026-05-03T12:00:00Z</memo:createdDateTime>
    <memo:MainDocument>
      <memo:File>
        <memo:encodingFormat>application/pdf</memo:encodingFormat>
        <memo:filename>Indkaldelse.pdf</memo:filename>
        <memo:content>${tinyPdf.toString('base64')}</memo:content>
      </memo:File>
      <memo:Action>
        <memo:label>Møde på rådhuset</memo:label>
        <memo:actionCode>AFTALE</memo:actionCode>
        <memo:startDateTime>${start}</memo:startDateTime>
        <memo:endDateTime>${end}</memo:endDateTime>
      </memo:Action>
      <memo:Action>
        <memo:label>Betal gebyr</memo:label>
        <memo:actionCode>BETALING</memo:actionCode>
        <memo:EntryPoint><memo:url>https://betal.example.dk/gebyr</memo:url></memo:EntryPoint>
      </memo:Action>
    </memo:MainDocument>
  </memo:MessageBody>
</memo:Message>`;
    const res = await fetch(`${server.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${memoKey}`, 'content-type': 'application/vnd.memo+xml' },
      body: xml,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const mette = await server.token(people.mette, 'high');
    const box = (await api(server, mette, 'GET', '/api/v1/me/mailboxes')).body.items[0].id;
    const item = await findInbox(mette, box, 'Indkaldelse til samtale');
    expect(item?.replyBy).toBe(new Date(replyBy).toISOString());
    const detail = await api(server, mette, 'GET', `/api/v1/mailboxes/${box}/messages/${item?.id}`);
    const main = detail.body.documents[0].id;
    expect(detail.body.actions).toEqual([
      {
        index: 0,
        type: 'appointment',
        label: 'Møde på rådhuset',
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        documentId: main,
      },
      { index: 1, type: 'information', label: 'Betal gebyr', url: 'https://betal.example.dk/gebyr', documentId: main },
    ]);
    const ics = await calendar(server, mette, box, item?.id, 0);
    expect(ics.status).toBe(200);
    expect(ics.body).toContain('SUMMARY:Møde på rådhuset');
    expect(ics.headers.get('content-disposition')).toContain('.ics');

    // The export still gives the MeMo actions back as they came.
    const exported = await fetch(`${server.url}/api/v1/messages/${id}/memo`, {
      headers: { authorization: `Bearer ${memoKey}` },
    });
    const text = await exported.text();
    expect(text).toContain('<memo:actionCode>BETALING</memo:actionCode>');
    expect(text).toContain(`<memo:replyByDateTime>${replyBy}</memo:replyByDateTime>`);
  });

  it('refuses a MeMo message whose reply-by date has passed, storing nothing', async () => {
    const id = randomUUID();
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2">
  <memo:MessageHeader>
    <memo:messageType>DIGITALPOST</memo:messageType>
    <memo:messageUUID>${id}</memo:messageUUID>
    <memo:label>For sent</memo:label>
    <memo:reply>true</memo:reply>
    <memo:replyByDateTime>2020-01-01T12:00:00Z</memo:replyByDateTime>
    <memo:Sender><memo:senderID>12345674</memo:senderID><memo:idType>CVR</memo:idType><memo:label>Kommunen</memo:label></memo:Sender>
    <memo:Recipient><memo:recipientID>${people.mette}</memo:recipientID><memo:idType>CPR</memo:idType></memo:Recipient>
  </memo:MessageHeader>
  <memo:MessageBody>
    <memo:createdDateTime>2026-05-03T12:00:00Z</memo:createdDateTime>
    <memo:MainDocument>
      <memo:File>
        <memo:encodingFormat>application/pdf</memo:encodingFormat>
        <memo:filename>Brev.pdf</memo:filename>
        <memo:content>${tinyPdf.toString('base64')}</memo:content>
      </memo:File>
    </memo:MainDocument>
  </memo:MessageBody>
</memo:Message>`;
    const res = await fetch(`${server.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${memoKey}`, 'content-type': 'application/vnd.memo+xml' },
      body: xml,
    });
    const body = (await res.json()) as any;
    expectProblem({ status: res.status, headers: res.headers, body }, 422, 'invalid_letter');
    expect(body.errors.map((e: { path: string }) => e.path)).toContain('message.replyBy');
    expect(await stored(id, memoKey)).toBe(404);
  });
});
