import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, startTestServer, type TestServer, tinyPdf } from '../../../test/harness.js';
import { repoRoot } from '../../../test/spawn-server.js';
import {
  addBatchLetters,
  cancelMessage,
  commitBatch,
  createBatch,
  createPostkasseClient,
  events,
  type FeedEvent,
  followEvents,
  getMessage,
  isPostkasseError,
  mediaTypeFor,
  type PostkasseClient,
  PostkasseError,
  recipientFromId,
  sendLetter,
  sendMemo,
  uploadBatchDocument,
  verifyReceipt,
} from '../src/index.js';

describe('the SDK against a real server', () => {
  let server: TestServer;
  let client: PostkasseClient;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    const { apiKey } = await server.sender('public');
    await server.person(people.kari);
    await server.person(people.mette);
    client = createPostkasseClient({ baseUrl: server.url, token: apiKey });
  });
  afterAll(() => server?.close());

  const letter = (overrides: Record<string, unknown> = {}) => ({
    id: randomUUID(),
    recipient: { nationalId: people.kari },
    subject: 'Vedtak',
    authLevel: 'substantial' as const,
    ...overrides,
  });

  it('sends a letter as multipart, and the same again is a replay', async () => {
    const input = {
      letter: letter(),
      files: [
        { filename: 'vedtak.pdf', mediaType: 'application/pdf', content: tinyPdf },
        { filename: 'vedlegg.txt', mediaType: 'text/plain', content: Buffer.from('hei') },
      ],
    };
    const first = await sendLetter(client, input);
    expect(first.replayed).toBe(false);
    expect(first.message).toMatchObject({ id: input.letter.id, status: 'DELIVERED', documentCount: 2 });
    expect(first.message.events.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    const again = await sendLetter(client, input);
    expect(again.replayed).toBe(true);
    expect(again.message).toEqual(first.message);
    expect(await getMessage(client, input.letter.id)).toEqual(first.message);
  });

  it('throws problem+json answers as PostkasseError with code, status and correlation id', async () => {
    const id = randomUUID();
    await sendLetter(client, {
      letter: letter({ id }),
      files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    });
    const conflict = await sendLetter(client, {
      letter: letter({ id, subject: 'Other' }),
      files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    }).catch((e: unknown) => e);
    expect(isPostkasseError(conflict)).toBe(true);
    expect(conflict).toMatchObject({ code: 'idempotency_conflict', status: 409, retryable: false });
    expect((conflict as PostkasseError).correlationId).toMatch(/.+/);

    const invalid = await sendLetter(client, {
      letter: letter({ subject: '' }),
      files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'validation_failed', status: 400 });
    expect((invalid as PostkasseError).errors?.[0]?.path).toContain('subject');

    const unauth = await getMessage(createPostkasseClient({ baseUrl: server.url, token: 'pk_nope' }), id).catch(
      (e: unknown) => e,
    );
    expect(unauth).toBeInstanceOf(PostkasseError);
    expect((unauth as PostkasseError).status).toBe(401);

    const missing = await getMessage(client, randomUUID()).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 'not_found', status: 404 });

    const down = await getMessage(createPostkasseClient({ baseUrl: 'http://127.0.0.1:1', token: 'x' }), id).catch(
      (e: unknown) => e,
    );
    expect(down).toMatchObject({ code: 'network_error', retryable: true });
  });

  it('sends a MeMo message', async () => {
    // The published sample with its placeholders filled in: our Danish sender's CVR, and a real PDF
    // for the text "This is a test".
    const xml = (await readFile(join(repoRoot, 'packages/formats/fixtures/memo/MeMo_Minimum_Example.xml'), 'utf8'))
      .replace('<memo:senderID>12345678</memo:senderID>', '<memo:senderID>12345674</memo:senderID>')
      .replace(Buffer.from('This is a test').toString('base64'), tinyPdf.toString('base64'));
    const { apiKey } = await server.sender('public', '12345674');
    const danish = createPostkasseClient({ baseUrl: server.url, token: apiKey });
    const { message } = await sendMemo(danish, Buffer.from(xml));
    expect(message).toMatchObject({ id: '8c2ea15d-61fb-4ba9-9366-42f8b194c114', status: 'DELIVERED' });
    expect((await sendMemo(danish, Buffer.from(xml))).replayed).toBe(true);
    // Sent again after a network failure, with `retry`: its MessageUUID is its id.
    let calls = 0;
    const flaky = createPostkasseClient({
      baseUrl: server.url,
      token: apiKey,
      fetch: (request) => (++calls === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(request)),
    });
    expect(await sendMemo(flaky, Buffer.from(xml), { retry: { retries: 1 } })).toMatchObject({
      replayed: true,
      message: { id: '8c2ea15d-61fb-4ba9-9366-42f8b194c114' },
    });
    expect(calls).toBe(2);
    // The sample as published names another sender: refused with the reason.
    const asPublished = await sendMemo(client, Buffer.from(xml)).catch((e: unknown) => e);
    expect(asPublished).toMatchObject({ code: 'invalid_letter', status: 422 });
  });

  it('cancels a scheduled letter', async () => {
    const id = randomUUID();
    const deliverAt = new Date(Date.now() + 86_400_000).toISOString();
    const { message } = await sendLetter(client, {
      letter: letter({ id, deliverAt }),
      files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    });
    expect(message.status).toBe('SCHEDULED');
    expect((await cancelMessage(client, id)).status).toBe('CANCELLED');
  });

  it('runs a batch: open, upload the shared document, add letters, commit', async () => {
    const batch = await createBatch(client, { reference: 'sdk test' });
    const doc = await uploadBatchDocument(client, batch.id, {
      filename: 'felles.pdf',
      mediaType: 'application/pdf',
      content: tinyPdf,
    });
    const ids = [randomUUID(), randomUUID()];
    const added = await addBatchLetters(
      client,
      batch.id,
      ids.map((id) => ({
        id,
        recipient: { nationalId: people.kari },
        subject: 'Årsoppgave',
        documents: [{ documentId: doc.id, role: 'main' as const }],
      })),
    );
    expect(added).toMatchObject({ accepted: 2, failed: 0 });
    const committed = await commitBatch(client, batch.id);
    expect(committed.status).toBe('committed');
    expect(committed.counts.DELIVERED).toBe(2);
    expect((await getMessage(client, ids[0] as string)).batchId).toBe(batch.id);
  });

  it('reads the event feed page by page and follows it', async () => {
    const first = await events(client, { limit: 2 });
    expect(first.items).toHaveLength(2);
    const rest = await events(client, { after: first.nextCursor ?? undefined, limit: 1000 });
    expect(rest.items.length).toBeGreaterThan(0);

    const controller = new AbortController();
    const seen: FeedEvent[] = [];
    const following = (async () => {
      for await (const e of followEvents(client, { pollMs: 50, limit: 3, signal: controller.signal })) {
        seen.push(e);
        if (seen.length === first.items.length + rest.items.length + 2) controller.abort();
      }
    })();
    const id = randomUUID();
    await sendLetter(client, {
      letter: letter({ id }),
      files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    });
    await following;
    expect(seen.map((e) => e.id)).toEqual(
      [...first.items, ...rest.items].map((e) => e.id).concat(seen.slice(-2).map((e) => e.id)),
    );
    expect(seen.slice(-2).map((e) => [e.messageId, e.type])).toEqual([
      [id, 'ACCEPTED'],
      [id, 'DELIVERED'],
    ]);
  });

  it('sends again with the same id when asked to retry, so a letter whose answer was lost is stored once', async () => {
    const { apiKey } = await server.sender('public');
    const calls: number[] = [];
    const lossy = createPostkasseClient({
      baseUrl: server.url,
      token: apiKey,
      // The server gets the first request and stores the letter, but its answer is lost on the way.
      fetch: async (request) => {
        const answer = await fetch(request);
        calls.push(answer.status);
        return calls.length === 1
          ? new Response(
              JSON.stringify({ code: 'service_unavailable', retryable: true, status: 503, detail: 'lost' }),
              {
                status: 503,
                headers: { 'content-type': 'application/problem+json', 'retry-after': '0' },
              },
            )
          : answer;
      },
    });
    const input = () => ({
      letter: letter(),
      files: [{ filename: 'brev.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    });
    const once = input();
    const sent = await sendLetter(lossy, { ...once, retry: { retries: 2 } });
    expect(sent).toMatchObject({ replayed: true, message: { id: once.letter.id, status: 'DELIVERED' } });
    expect(calls).toEqual([201, 201]);
    const own = createPostkasseClient({ baseUrl: server.url, token: apiKey });
    expect((await getMessage(own, once.letter.id)).events.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);

    // Without retry, or when the caller says stop, the error is the caller's.
    calls.length = 0;
    await expect(sendLetter(lossy, input())).rejects.toMatchObject({ code: 'service_unavailable', retryable: true });
    calls.length = 0;
    await expect(
      sendLetter(lossy, { ...input(), retry: { retries: 2, shouldRetry: () => false } }),
    ).rejects.toMatchObject({ code: 'service_unavailable' });
    expect(calls).toHaveLength(1);
    // A refusal is never sent again.
    let refusals = 0;
    const counting = createPostkasseClient({
      baseUrl: server.url,
      token: apiKey,
      fetch: (request) => {
        refusals++;
        return fetch(request);
      },
    });
    await expect(
      sendLetter(counting, {
        letter: letter({ recipient: { nationalId: '12345678901' } }),
        files: input().files,
        retry: { retries: 3 },
      }),
    ).rejects.toMatchObject({ retryable: false });
    expect(refusals).toBe(1);
  });

  it('keeps following the feed through a network failure, and stops on a refusal', async () => {
    const { apiKey } = await server.sender('public');
    const steady = createPostkasseClient({ baseUrl: server.url, token: apiKey });
    await sendLetter(steady, {
      letter: { id: randomUUID(), recipient: { nationalId: people.kari }, subject: 'Etter et brudd' },
      files: [{ filename: 'brev.pdf', mediaType: 'application/pdf', content: tinyPdf }],
    });
    let calls = 0;
    const flaky = createPostkasseClient({
      baseUrl: server.url,
      token: apiKey,
      // The first request meets a network failure (the outside world: faked here).
      fetch: (request) => (++calls === 1 ? Promise.reject(new TypeError('fetch failed')) : fetch(request)),
    });
    const controller = new AbortController();
    const seen: string[] = [];
    for await (const e of followEvents(flaky, { pollMs: 50, signal: controller.signal })) {
      seen.push(e.type);
      if (seen.length === 2) controller.abort();
    }
    expect(seen).toEqual(['ACCEPTED', 'DELIVERED']);
    expect(calls).toBeGreaterThanOrEqual(2);
    const refused = createPostkasseClient({ baseUrl: server.url, token: 'pk_not-a-key' });
    await expect(followEvents(refused, { pollMs: 50 }).next()).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('verifies receipts against the JWKS and refuses a tampered one', async () => {
    const page = await events(client, { limit: 5 });
    const jwks = `${server.url}/.well-known/jwks.json`;
    for (const e of page.items) {
      const v = await verifyReceipt(e.receipt, jwks);
      expect(v.valid, JSON.stringify(v)).toBe(true);
      if (v.valid) expect(v.event).toMatchObject({ id: e.id, type: e.type, messageId: e.messageId });
    }
    const receipt = page.items[0]?.receipt as string;
    const [h, p, s] = receipt.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    claims.event.type = 'OPENED';
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    const v = await verifyReceipt(forged, jwks);
    expect(v).toMatchObject({ valid: false, code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    expect(v.event?.type).toBe('OPENED');
    expect((await verifyReceipt('not.a.jws', jwks)).valid).toBe(false);
    await expect(verifyReceipt(receipt, 'http://127.0.0.1:1/jwks.json')).rejects.toThrow();
  });

  it('maps ids and file names', () => {
    expect(recipientFromId('974760673')).toEqual({ orgNumber: '974760673' });
    expect(recipientFromId('12345678')).toEqual({ orgNumber: '12345678' });
    expect(recipientFromId('2211771212')).toEqual({ nationalId: '2211771212' });
    expect(recipientFromId('12858510129')).toEqual({ nationalId: '12858510129' });
    expect(() => recipientFromId('123')).toThrow(/3 digits/);
    expect(mediaTypeFor('A.PDF')).toBe('application/pdf');
    expect(mediaTypeFor('x.exe')).toBeUndefined();
  });
});

describe('the SDK over a rate limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite', { POSTKASSE_RATE_LIMITS: 'sender=2' });
  });
  afterAll(() => server?.close());

  it('throws rate_limited as retryable, with the seconds the server said to wait', async () => {
    const { apiKey } = await server.sender('public');
    const client = createPostkasseClient({ baseUrl: server.url, token: apiKey });
    await events(client, {});
    await events(client, {});
    const error = await events(client, {}).catch((e: unknown) => e);
    expect(isPostkasseError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryable: true });
    const wait = (error as PostkasseError).retryAfterSeconds;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
  });
});
