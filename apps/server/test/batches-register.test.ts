import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  letterForm,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  testClock,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

async function uploadBatchDocument(
  server: TestServer,
  apiKey: string,
  batchId: string,
  filename = 'brev.pdf',
  content: Uint8Array | string = tinyPdf,
) {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'application/pdf' }), filename);
  const res = await fetch(`${server.url}/api/v1/batches/${batchId}/documents`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
    body: form,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

const sharedLetter = (documentId: string, nationalId: string, over: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  recipient: { nationalId },
  subject: 'Årsoppgave 2026',
  authLevel: 'substantial',
  documents: [{ documentId, role: 'main', title: 'Årsoppgave' }],
  ...over,
});

for (const dialect of await testDialects()) {
  describe(`batches (${dialect})`, () => {
    let server: TestServer;
    let apiKey: string;
    let kariBox: string;
    let olaBox: string;
    beforeAll(async () => {
      server = await startTestServer(dialect);
      kariBox = (await server.person(people.kari)).mailboxId;
      olaBox = (await server.person(people.ola)).mailboxId;
      await server.unregisteredPerson(people.per);
      apiKey = (await server.sender('public')).apiKey;
    });
    afterAll(async () => server.close());

    const inbox = async (nationalId: string, mailboxId: string) =>
      (await api(server, await server.token(nationalId), 'GET', `/api/v1/mailboxes/${mailboxId}/messages`)).body
        .items as Array<{ id: string; subject: string; documents?: unknown }>;

    it('keeps letters invisible until commit, then delivers them all at once with the shared PDF', async () => {
      const batch = await api(server, apiKey, 'POST', '/api/v1/batches', { reference: 'årsoppgaver' });
      expect(batch.status).toBe(201);
      expect(batch.body).toMatchObject({ status: 'open', reference: 'årsoppgaver', counts: {} });
      const doc = await uploadBatchDocument(server, apiKey, batch.body.id);
      expect(doc.status).toBe(201);
      expect(doc.body).toMatchObject({ filename: 'brev.pdf', mediaType: 'application/pdf', size: tinyPdf.length });

      const letters = [
        sharedLetter(doc.body.id, people.kari, { subject: 'Batch til Kari' }),
        sharedLetter(doc.body.id, people.ola, { subject: 'Batch til Ola' }),
        sharedLetter(doc.body.id, people.per, { subject: 'Batch til Per' }),
        sharedLetter(doc.body.id, '12345678901'),
        sharedLetter(randomUUID(), people.kari),
      ];
      const added = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: letters,
      });
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({ accepted: 3, failed: 2 });
      expect(added.body.results.map((r: any) => r.status ?? r.error.code)).toEqual([
        'PENDING',
        'PENDING',
        'REJECTED',
        'invalid_recipient',
        'invalid_letter',
      ]);
      expect(added.body.results[4].error.errors[0].path).toBe('messages[4].documents[0].documentId');
      expect((await inbox(people.kari, kariBox)).some((l) => l.subject === 'Batch til Kari')).toBe(false);

      // A letter that does not fit the schema fails alone too, named by its place; the others are
      // added (to a batch of their own here).
      const other = await api(server, apiKey, 'POST', '/api/v1/batches', { reference: 'blandet' });
      const otherDoc = await uploadBatchDocument(server, apiKey, other.body.id);
      const mixed = await api(server, apiKey, 'POST', `/api/v1/batches/${other.body.id}/messages`, {
        messages: [
          { ...sharedLetter(otherDoc.body.id, people.kari), subject: 5 },
          sharedLetter(otherDoc.body.id, people.ola, { subject: 'Batch til Ola, igjen' }),
          'not a letter',
        ],
      });
      expect(mixed.status).toBe(200);
      expect(mixed.body).toMatchObject({ accepted: 1, failed: 2 });
      expect(mixed.body.results.map((r: any) => r.status ?? r.error.code)).toEqual([
        'validation_failed',
        'PENDING',
        'validation_failed',
      ]);
      expect(mixed.body.results[0].error.errors).toEqual([
        expect.objectContaining({ path: 'messages[0].subject', code: 'type' }),
      ]);
      expect(mixed.body.results[2]).toMatchObject({ id: '', error: { retryable: false } });

      // Sending the same letters again changes nothing and says so.
      const again = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: letters.slice(0, 2),
      });
      expect(again.body.results.map((r: any) => r.replayed)).toEqual([true, true]);

      const counted = await api(server, apiKey, 'GET', `/api/v1/batches/${batch.body.id}`);
      expect(counted.body.counts).toEqual({ PENDING: 2, REJECTED: 1 });

      const committed = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`);
      expect(committed.status).toBe(200);
      expect(committed.body).toMatchObject({ status: 'committed', counts: { DELIVERED: 2, REJECTED: 1 } });
      expect(committed.body.committedAt).not.toBeNull();

      for (const [who, box, subject] of [
        [people.kari, kariBox, 'Batch til Kari'],
        [people.ola, olaBox, 'Batch til Ola'],
      ] as const) {
        const token = await server.token(who);
        const item = (await inbox(who, box)).find((l) => l.subject === subject);
        expect(item, subject).toBeDefined();
        const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${box}/messages/${item?.id}`);
        const d = detail.body.documents[0];
        const content = await api(
          server,
          token,
          'GET',
          `/api/v1/mailboxes/${box}/messages/${item?.id}/documents/${d.id}/content`,
        );
        expect(Buffer.compare(content.body, tinyPdf)).toBe(0);
      }
      const sent = await api(server, apiKey, 'GET', `/api/v1/messages/${letters[0]?.id}`);
      expect(sent.body.events.map((e: any) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
      expect(sent.body.batchId).toBe(batch.body.id);

      // A committed batch takes no more letters, and committing again answers the same.
      const late = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: [sharedLetter(doc.body.id, people.kari)],
      });
      expectProblem(late, 422, 'invalid_operation');
      expect((await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`)).body.status).toBe(
        'committed',
      );
      expectProblem(await api(server, apiKey, 'DELETE', `/api/v1/batches/${batch.body.id}`), 422, 'invalid_operation');
    });

    it('takes a letter with its own files (multipart) and delivers it at commit', async () => {
      const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
      const letter = letterJson({ recipient: { nationalId: people.ola }, subject: 'Egen fil i batch' });
      const res = await fetch(`${server.url}/api/v1/batches/${batch.body.id}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: letterForm(letter),
      });
      const added = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(added)).toBe(201);
      expect(added).toMatchObject({ id: letter.id, status: 'PENDING' });
      expect((await inbox(people.ola, olaBox)).some((l) => l.subject === 'Egen fil i batch')).toBe(false);

      const committed = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`);
      expect(committed.body).toMatchObject({ status: 'committed', counts: { DELIVERED: 1 } });
      const token = await server.token(people.ola);
      const item = (await inbox(people.ola, olaBox)).find((l) => l.subject === 'Egen fil i batch');
      expect(item).toBeDefined();
      const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${olaBox}/messages/${item?.id}`);
      const content = await api(
        server,
        token,
        'GET',
        `/api/v1/mailboxes/${olaBox}/messages/${item?.id}/documents/${detail.body.documents[0].id}/content`,
      );
      expect(Buffer.compare(content.body, tinyPdf)).toBe(0);
    });

    it('routes letters again at commit when the register changed since they were added', async () => {
      const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
      const doc = await uploadBatchDocument(server, apiKey, batch.body.id);
      const printDetails = {
        recipient: {
          name: 'Ola Nordmann',
          address: { type: 'norwegian', addressLines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' },
        },
      };
      const plain = sharedLetter(doc.body.id, people.ola, { subject: 'Før reservasjonen' });
      const printable = sharedLetter(doc.body.id, people.ola, { subject: 'Med papirkopi', printDetails });
      const added = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: [plain, printable],
      });
      expect(added.body.results.map((r: any) => r.status)).toEqual(['PENDING', 'PENDING']);
      const ola = await server.token(people.ola);
      await api(server, ola, 'PATCH', '/api/v1/me/register', { reserved: true });
      try {
        const committed = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`);
        expect(committed.body.counts).toEqual({ REJECTED: 1, PRINT_QUEUED: 1 });
        const rejected = await api(server, apiKey, 'GET', `/api/v1/messages/${plain.id}`);
        expect(rejected.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_reserved' });
        expect((await inbox(people.ola, olaBox)).some((l) => l.subject === 'Før reservasjonen')).toBe(false);
      } finally {
        await api(server, ola, 'PATCH', '/api/v1/me/register', { reserved: false });
      }
    });

    it('cancels an open batch: none of its letters is ever seen', async () => {
      const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
      const doc = await uploadBatchDocument(server, apiKey, batch.body.id);
      const letter = sharedLetter(doc.body.id, people.kari, { subject: 'Kansellert batch' });
      await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, { messages: [letter] });
      const cancelled = await api(server, apiKey, 'DELETE', `/api/v1/batches/${batch.body.id}`);
      expect(cancelled.body).toMatchObject({ status: 'cancelled', counts: { CANCELLED: 1 } });
      expectProblem(
        await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`),
        422,
        'invalid_operation',
      );
      expect((await inbox(people.kari, kariBox)).some((l) => l.subject === 'Kansellert batch')).toBe(false);
      const sent = await api(server, apiKey, 'GET', `/api/v1/messages/${letter.id}`);
      expect(sent.body.status).toBe('CANCELLED');
      expect(sent.body.events.map((e: any) => e.type)).toEqual(['ACCEPTED', 'CANCELLED']);
    });

    it('never leaves a letter pending when letters are added while the batch is committed', async () => {
      for (let round = 0; round < 3; round++) {
        const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
        const doc = await uploadBatchDocument(server, apiKey, batch.body.id);
        const adds = Array.from({ length: 4 }, () =>
          api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
            messages: Array.from({ length: 50 }, () => sharedLetter(doc.body.id, people.kari)),
          }),
        );
        const commit = new Promise((r) => setTimeout(r, 5 * round)).then(() =>
          api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/commit`),
        );
        const answers = await Promise.all([...adds, commit]);
        const accepted = answers.slice(0, 4).filter((a) => a.status === 200).length;
        for (const a of answers.slice(0, 4)) {
          if (a.status !== 200) expectProblem(a, 422, 'invalid_operation');
        }
        const final = await api(server, apiKey, 'GET', `/api/v1/batches/${batch.body.id}`);
        expect(final.body.status).toBe('committed');
        expect(final.body.counts.PENDING).toBeUndefined();
        expect(final.body.counts.DELIVERED ?? 0).toBe(accepted * 50);
      }
    });

    it('refuses another sender, bad ids, bad documents and bodies', async () => {
      const batch = await api(server, apiKey, 'POST', '/api/v1/batches', {});
      const other = await server.sender('public');
      for (const [method, path] of [
        ['GET', ''],
        ['POST', '/commit'],
        ['DELETE', ''],
      ] as const) {
        expectProblem(
          await api(server, other.apiKey, method, `/api/v1/batches/${batch.body.id}${path}`),
          404,
          'not_found',
        );
      }
      expectProblem(
        await api(server, other.apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
          messages: [sharedLetter(randomUUID(), people.kari)],
        }),
        404,
        'not_found',
      );
      expect((await uploadBatchDocument(server, other.apiKey, batch.body.id)).status).toBe(404);
      expectProblem(await api(server, apiKey, 'GET', '/api/v1/batches/not-a-uuid'), 400, 'validation_failed');
      expectProblem(await api(server, apiKey, 'GET', `/api/v1/batches/${randomUUID()}`), 404, 'not_found');
      // The multipart reader keeps only the last path segment; whatever arrives is a plain name.
      const traversal = await uploadBatchDocument(server, apiKey, batch.body.id, '../../etc/passwd');
      expect(traversal.status).toBe(201);
      expect(traversal.body.filename).not.toMatch(/[\\/]|\.\./);
      // A GIF (caught by content sniffing) and a text (no %PDF- header) declared application/pdf.
      for (const disguised of [Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), 'This is a test']) {
        const mismatch = await uploadBatchDocument(server, apiKey, batch.body.id, 'x.pdf', disguised);
        expect(mismatch.status).toBe(422);
        expect(mismatch.body.errors[0].code).toBe('media_type_mismatch');
      }
      // A multipart body the parser cannot read is the client's mistake: 400, not a retryable 500.
      for (const [type, body] of [
        ['multipart/form-data', '--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-'],
        [
          'multipart/form-data; boundary=x',
          '--x\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-',
        ],
      ]) {
        const broken = await fetch(`${server.url}/api/v1/batches/${batch.body.id}/documents`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': type as string },
          body,
        });
        expectProblem(
          { status: broken.status, headers: broken.headers, body: await broken.json() },
          400,
          'malformed_request',
        );
      }
      const doc = await uploadBatchDocument(server, apiKey, batch.body.id);
      const twice = sharedLetter(doc.body.id, people.kari);
      const dup = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: [twice, twice, { ...twice, subject: 'Another letter, same id' }],
      });
      expect(dup.body.results.map((r: any) => r.replayed ?? r.error?.code)).toEqual([
        false,
        true,
        'idempotency_conflict',
      ]);
      const control = await uploadBatchDocument(server, apiKey, batch.body.id, 'brev\u0007.pdf');
      expect(control.status).toBe(422);
      expect(control.body.errors[0].code).toBe('invalid_filename');
      const tooMany = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        messages: Array.from({ length: 1001 }, () => sharedLetter(randomUUID(), people.kari)),
      });
      expectProblem(tooMany, 400, 'validation_failed');
      const noMessages = await api(server, apiKey, 'POST', `/api/v1/batches/${batch.body.id}/messages`, {
        letters: [],
      });
      expectProblem(noMessages, 400, 'validation_failed');
    });
  });

  describe(`idempotency across time and batches (${dialect})`, () => {
    let server: TestServer;
    let apiKey: string;
    const clock = testClock();
    beforeAll(async () => {
      server = await startTestServer(dialect, { POSTKASSE_WORKER_INTERVAL_MS: '0' }, { clock });
      await server.person(people.kari);
      apiKey = (await server.sender('public')).apiKey;
    });
    afterAll(async () => server.close());

    const inHours = (h: number) => new Date(clock.now().getTime() + h * 3600_000).toISOString();
    const status = async (id: string) => {
      const res = await fetch(`${server.url}/api/v1/messages/${id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const openBatch = async () => (await api(server, apiKey, 'POST', '/api/v1/batches', {})).body.id as string;
    const addToBatch = (batchId: string, messages: unknown[]) =>
      api(server, apiKey, 'POST', `/api/v1/batches/${batchId}/messages`, { messages });
    const sendIntoBatch = async (batchId: string, message: unknown) => {
      const res = await fetch(`${server.url}/api/v1/batches/${batchId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: letterForm(message),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any };
    };

    it('answers a letter sent again after its deliverAt and replyBy have passed as it was, not 422', async () => {
      const message = letterJson({ deliverAt: inHours(1), replyBy: inHours(2), subject: 'Svar innen fristen' });
      const first = await sendLetterHttp(server, apiKey, message);
      expect(first.status).toBe(201);
      clock.advance(3 * 3600_000);
      const again = await sendLetterHttp(server, apiKey, message);
      expect(again.status, JSON.stringify(again.body)).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      // Other content under the id is still a conflict, and a new letter with a past time still refused.
      expectProblem(
        await sendLetterHttp(server, apiKey, { ...message, subject: 'Endret' }),
        409,
        'idempotency_conflict',
      );
      const fresh = letterJson({ replyBy: inHours(-1) });
      expectProblem(await sendLetterHttp(server, apiKey, fresh), 422, 'invalid_letter');
      expect((await status(fresh.id)).status).toBe(404);
    });

    it('answers a batch letter added again after its replyBy has passed as a repetition', async () => {
      const batchId = await openBatch();
      const doc = await uploadBatchDocument(server, apiKey, batchId);
      const letter = sharedLetter(doc.body.id, people.kari, { replyBy: inHours(1) });
      expect((await addToBatch(batchId, [letter])).body.results).toEqual([
        { id: letter.id, status: 'PENDING', replayed: false },
      ]);
      clock.advance(2 * 3600_000);
      const past = sharedLetter(doc.body.id, people.kari, { replyBy: inHours(-1) });
      const again = await addToBatch(batchId, [letter, past]);
      expect(again.body.results[0]).toEqual({ id: letter.id, status: 'PENDING', replayed: true });
      expect(again.body.results[1]).toMatchObject({ id: past.id, error: { code: 'invalid_letter' } });
      expect(again.body).toMatchObject({ accepted: 1, failed: 1 });
    });

    it('refuses a letter id already used on its own, or in another batch, with 409 and moves nothing', async () => {
      const direct = letterJson({ subject: 'Sent on its own' });
      expect((await sendLetterHttp(server, apiKey, direct)).status).toBe(201);
      const batchA = await openBatch();
      const batchB = await openBatch();
      const intoBatch = await sendIntoBatch(batchA, direct);
      expectProblem(intoBatch, 409, 'idempotency_conflict');
      expect(intoBatch.body.detail).toContain('on its own');

      const inA = letterJson({ subject: 'Sent into batch A' });
      expect((await sendIntoBatch(batchA, inA)).status).toBe(201);
      expect((await sendIntoBatch(batchA, inA)).headers.get('idempotent-replayed')).toBe('true');
      const intoB = await sendIntoBatch(batchB, inA);
      expectProblem(intoB, 409, 'idempotency_conflict');
      expect(intoB.body.detail).toContain(batchA);
      expectProblem(await sendLetterHttp(server, apiKey, inA), 409, 'idempotency_conflict');

      const doc = await uploadBatchDocument(server, apiKey, batchA);
      const shared = sharedLetter(doc.body.id, people.kari);
      expect((await addToBatch(batchA, [shared])).body.results[0]).toMatchObject({ replayed: false });
      const docB = await uploadBatchDocument(server, apiKey, batchB);
      const elsewhere = await addToBatch(batchB, [
        { ...shared, documents: [{ ...shared.documents[0], documentId: docB.body.id }] },
      ]);
      // The same PDF uploaded to batch B is the same letter by its content, but it is in batch A.
      expect(elsewhere.body.results).toEqual([
        { id: shared.id, error: expect.objectContaining({ code: 'idempotency_conflict', retryable: false }) },
      ]);
      // Nothing moved: the letters are where they were sent, and batch B holds none of them.
      expect((await status(inA.id)).body.status).toBe('PENDING');
      expect((await status(direct.id)).body.status).toBe('DELIVERED');
      expect((await api(server, apiKey, 'GET', `/api/v1/batches/${batchB}`)).body.counts).toEqual({});
      const committed = await api(server, apiKey, 'POST', `/api/v1/batches/${batchA}/commit`);
      expect(committed.body.counts).toEqual({ DELIVERED: 2 });
    });

    it('answers a batch request in request order, also when an id repeats', async () => {
      const batchId = await openBatch();
      const doc = await uploadBatchDocument(server, apiKey, batchId);
      const a = sharedLetter(doc.body.id, people.kari, { subject: 'A' });
      const b = sharedLetter(doc.body.id, people.kari, { subject: 'B' });
      const bad = sharedLetter(doc.body.id, '12345678901');
      const added = await addToBatch(batchId, [a, b, a, bad, { ...a, subject: 'A, other content' }, b]);
      expect(added.body.results.map((r: any) => [r.id, r.replayed ?? r.error.code])).toEqual([
        [a.id, false],
        [b.id, false],
        [a.id, true],
        [bad.id, 'invalid_recipient'],
        [a.id, 'idempotency_conflict'],
        [b.id, true],
      ]);
      // Field errors name the letter by its place in the request.
      expect(added.body.results[3].error.errors[0].path).toMatch(/^messages\[3\]\./);
    });
  });

  describe(`the register (${dialect})`, () => {
    let server: TestServer;
    const clock = testClock();
    beforeAll(async () => {
      server = await startTestServer(dialect, {}, { clock });
      await server.person(people.kari);
      await server.unregisteredPerson(people.per, { email: 'per@example.org' });
      await server.person(people.ingrid);
      const token = await server.token(people.kari);
      await api(server, token, 'PATCH', '/api/v1/me/register', {
        email: 'kari@example.org',
        mobile: '+47 912 34 567',
        language: 'nb',
      });
      await api(server, await server.token(people.ingrid), 'PATCH', '/api/v1/me/register', { reserved: true });
    });
    afterAll(async () => server.close());

    it('answers public senders per person, with contact details only for the contact scope', async () => {
      const plain = await server.sender('public');
      const ids = [people.kari, people.per, people.ingrid, people.ola];
      const res = await api(server, plain.apiKey, 'POST', '/api/v1/register/lookup', { nationalIds: ids });
      expect(res.status).toBe(200);
      const [kari, per, ingrid, ola] = res.body.persons;
      expect(kari).toMatchObject({
        nationalId: people.kari,
        status: 'active',
        canReceiveDigitalPost: true,
        reserved: false,
        canBeNotified: true,
        language: 'nb',
        provider: 'Postkasse',
      });
      expect(kari.contact).toBeUndefined();
      expect(per).toMatchObject({ status: 'not_registered', canReceiveDigitalPost: false, canBeNotified: true });
      expect(ingrid).toMatchObject({ status: 'active', reserved: true, canReceiveDigitalPost: false });
      expect(ingrid.reservedAt).not.toBeNull();
      expect(ola).toMatchObject({ status: 'not_registered', canReceiveDigitalPost: false, canBeNotified: false });

      const scoped = await server.sender('public', undefined, ['register:contact']);
      const withContact = await api(server, scoped.apiKey, 'POST', '/api/v1/register/lookup', {
        nationalIds: [people.kari],
      });
      expect(withContact.body.persons[0].contact).toMatchObject({ email: 'kari@example.org', mobile: '+4791234567' });

      // 18 months later the details may not be used for legal notices, until confirmed again.
      clock.advance(19 * 31 * 24 * 3600_000);
      const stale = await api(server, plain.apiKey, 'POST', '/api/v1/register/lookup', { nationalIds: [people.kari] });
      expect(stale.body.persons[0].canBeNotified).toBe(false);
      const confirmed = await api(server, await server.token(people.kari), 'POST', '/api/v1/me/register/confirm');
      expect(confirmed.body.canBeNotified).toBe(true);
      expect(confirmed.body.contact.emailVerifiedAt).not.toBeNull();
    });

    it('refuses private senders, more than 1,000 ids and invalid ids', async () => {
      const privateSender = await server.sender('private');
      expectProblem(
        await api(server, privateSender.apiKey, 'POST', '/api/v1/register/lookup', { nationalIds: [people.kari] }),
        403,
        'forbidden',
      );
      const { apiKey } = await server.sender('public');
      const tooMany = await api(server, apiKey, 'POST', '/api/v1/register/lookup', {
        nationalIds: Array.from({ length: 1001 }, () => people.kari),
      });
      expectProblem(tooMany, 400, 'validation_failed');
      const invalid = await api(server, apiKey, 'POST', '/api/v1/register/lookup', {
        nationalIds: [people.kari, '12345678901', 'abc'],
      });
      expectProblem(invalid, 400, 'validation_failed');
      expect(invalid.body.errors.map((e: any) => e.path)).toEqual(['nationalIds[1]', 'nationalIds[2]']);
      expectProblem(await api(server, apiKey, 'POST', '/api/v1/register/lookup', {}), 400, 'validation_failed');
      // A single id where a list is wanted is the wrong type, not a list of one.
      const single = await api(server, apiKey, 'POST', '/api/v1/register/lookup', { nationalIds: people.kari });
      expectProblem(single, 400, 'validation_failed');
      expect(single.body.errors[0]).toMatchObject({ path: 'body.nationalIds', code: 'type' });
    });

    it('lets a person change only their own record, with clear errors', async () => {
      const token = await server.token(people.kari);
      const bad = await api(server, token, 'PATCH', '/api/v1/me/register', { email: 'not-an-address', mobile: '12' });
      expectProblem(bad, 400, 'validation_failed');
      expect(bad.body.errors.map((e: any) => e.code).sort()).toEqual(['invalid_email', 'invalid_mobile']);
      expectProblem(
        await api(server, token, 'PATCH', '/api/v1/me/register', { language: 'fr' }),
        400,
        'validation_failed',
      );
      expectProblem(
        await api(server, token, 'PATCH', '/api/v1/me/register', { nationalId: people.ola }),
        400,
        'validation_failed',
      );
      const reserved = await api(server, token, 'PATCH', '/api/v1/me/register', { reserved: true });
      expect(reserved.body).toMatchObject({ nationalId: people.kari, reserved: true });
      const unreserved = await api(server, token, 'PATCH', '/api/v1/me/register', { reserved: false });
      expect(unreserved.body.reserved).toBe(false);
      // null clears a contact detail; a wrong type is refused rather than converted.
      const set = await api(server, token, 'PATCH', '/api/v1/me/register', {
        email: 'k@example.org',
        mobile: '+4791234567',
      });
      expect(set.body.contact).toMatchObject({ email: 'k@example.org', mobile: '+4791234567' });
      const cleared = await api(server, token, 'PATCH', '/api/v1/me/register', { email: null, mobile: null });
      expect(cleared.status, JSON.stringify(cleared.body)).toBe(200);
      expect(cleared.body.contact).toMatchObject({ email: null, mobile: null });
      expectProblem(
        await api(server, token, 'PATCH', '/api/v1/me/register', { reserved: 'true' }),
        400,
        'validation_failed',
      );
      expectProblem(
        await api(server, token, 'PATCH', '/api/v1/me/register', { reserved: null }),
        400,
        'validation_failed',
      );
      for (const email of ['k\u0000x@example.org', 'k\u202ex@example.org', 'k\u0007@example.org']) {
        const refused = await api(server, token, 'PATCH', '/api/v1/me/register', { email });
        expectProblem(refused, 400, 'validation_failed');
      }
      expect((await api(server, token, 'GET', '/api/v1/me/register')).body.contact.email).toBeNull();
      // A person who is not in the register has no record to read or change.
      const stranger = await server.token('2211771212');
      expectProblem(await api(server, stranger, 'GET', '/api/v1/me/register'), 403, 'not_registered');
      // A sender's key is no person's credential.
      const { apiKey } = await server.sender('public');
      expectProblem(await api(server, apiKey, 'GET', '/api/v1/me/register'), 401, 'invalid_token');
    });

    it('records consents to private senders, and refuses consents to public ones', async () => {
      const shop = await server.sender('private', '920000002');
      const publicOne = await server.sender('public', '920000010');
      const token = await server.token(people.kari);
      const given = await api(server, token, 'PUT', '/api/v1/me/consents/920000002');
      expect(given.body).toMatchObject({ status: 'active', source: 'person', sender: { orgNumber: '920000002' } });
      expectProblem(await api(server, token, 'PUT', '/api/v1/me/consents/920000010'), 422, 'invalid_operation');
      expectProblem(await api(server, token, 'PUT', '/api/v1/me/consents/920000029'), 404, 'not_found');
      const list = await api(server, token, 'GET', '/api/v1/me/consents');
      expect(list.body.items.map((c: any) => c.sender.orgNumber)).toEqual(['920000002']);
      const withdrawn = await api(server, token, 'DELETE', '/api/v1/me/consents/920000002');
      expect(withdrawn.body).toMatchObject({ status: 'withdrawn' });
      expect(withdrawn.body.withdrawnAt).not.toBeNull();
      // Another person's consents are not shown to Kari.
      const ingrid = await server.token(people.ingrid);
      expect((await api(server, ingrid, 'GET', '/api/v1/me/consents')).body.items).toEqual([]);
      // A private sender registers a customer's consent with its evidence; public senders need none.
      const evidence = { reference: 'avtale-1', givenAt: '2026-01-01T10:00:00Z', method: 'signed form' };
      const registered = await api(server, shop.apiKey, 'POST', '/api/v1/consents', {
        nationalId: people.ola,
        evidence,
      });
      expect(registered.status).toBe(201);
      expect(registered.body).toEqual({ nationalId: people.ola, status: 'active' });
      expectProblem(
        await api(server, publicOne.apiKey, 'POST', '/api/v1/consents', { nationalId: people.ola, evidence }),
        422,
        'invalid_operation',
      );
      expectProblem(
        await api(server, shop.apiKey, 'POST', '/api/v1/consents', { nationalId: '12345678901', evidence }),
        422,
        'invalid_recipient',
      );
      // A consent the person withdrew is theirs to give again, not the sender's.
      await api(server, token, 'PUT', '/api/v1/me/consents/920000002');
      await api(server, token, 'DELETE', '/api/v1/me/consents/920000002');
      expectProblem(
        await api(server, shop.apiKey, 'POST', '/api/v1/consents', { nationalId: people.kari, evidence }),
        409,
        'consent_withdrawn',
      );
      expect((await api(server, token, 'GET', '/api/v1/me/consents')).body.items[0]).toMatchObject({
        status: 'withdrawn',
      });
      // Another sender ending "its" customer relationship touches nothing of this sender's.
      const otherShop = await server.sender('private', '920000037');
      const gone = await api(server, otherShop.apiKey, 'DELETE', `/api/v1/consents/${people.ola}`);
      expect(gone.status).toBe(204);
      const ola = await server.token(people.ola);
      expect((await api(server, ola, 'GET', '/api/v1/me/consents')).body.items).toEqual([
        expect.objectContaining({
          status: 'active',
          source: 'sender',
          sender: expect.objectContaining({ orgNumber: '920000002' }),
        }),
      ]);
    });
  });
}
