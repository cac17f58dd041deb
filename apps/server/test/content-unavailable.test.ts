/**
 * A document whose ciphertext is gone from storage, or was changed there, is answered with the
 * stable, non-retryable `content_unavailable` (packages/core/src/document-content.ts), logged for
 * the operator; the letter's other documents and its metadata still read, and nothing is OPENED.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

describe.each(await testDialects())('document content that storage lost (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  let token: string;
  beforeAll(async () => {
    server = await startTestServer(dialect, { POSTKASSE_WORKER_INTERVAL_MS: '0' });
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari));
    token = await server.token(people.kari);
  });
  afterAll(() => server?.close());

  async function sentLetter() {
    const message = letterJson({ openingReceipt: true });
    expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    const id = list.body.items[0].id as string;
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${id}`);
    const documentId = detail.body.documents[0].id as string;
    const [row] = await rawStatement<{ blob_key: string }>(
      server,
      `select blob_key from documents where id = '${documentId}'`,
    );
    return { messageId: message.id, id, documentId, blobKey: row?.blob_key as string };
  }

  const content = (id: string, documentId: string) =>
    api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${id}/documents/${documentId}/content`);

  it('answers content_unavailable, not retryable, for a blob that is gone; the letter still reads', async () => {
    const letter = await sentLetter();
    await server.ctx.deps.blobs.delete(letter.blobKey);
    const res = await content(letter.id, letter.documentId);
    expectProblem(res, 500, 'content_unavailable');
    expect(res.body.retryable).toBe(false);
    expect(res.body.detail).toContain('missing from storage');
    expect((await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letter.id}`)).status).toBe(200);
    // Not opened: the sender learns nothing that did not happen.
    const sent = await fetch(`${server.url}/api/v1/messages/${letter.messageId}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const events = ((await sent.json()) as { events: Array<{ type: string }> }).events.map((e) => e.type);
    expect(events).toEqual(['ACCEPTED', 'DELIVERED']);
  });

  it('answers the same for a blob changed at rest, which fails its authentication', async () => {
    const letter = await sentLetter();
    const sealed = await server.ctx.deps.blobs.get(letter.blobKey);
    const changed = Buffer.from(sealed);
    changed[changed.length - 40] = (changed[changed.length - 40] ?? 0) ^ 0x01;
    await server.ctx.deps.blobs.delete(letter.blobKey);
    await server.ctx.deps.blobs.put(letter.blobKey, changed);
    const res = await content(letter.id, letter.documentId);
    expectProblem(res, 500, 'content_unavailable');
    expect(res.body.detail).toContain('integrity check');
    // And one replaced by other bytes altogether.
    await server.ctx.deps.blobs.delete(letter.blobKey);
    await server.ctx.deps.blobs.put(letter.blobKey, randomBytes(sealed.byteLength));
    expectProblem(await content(letter.id, letter.documentId), 500, 'content_unavailable');
  });

  it("is still not found for another person's document, before anything is read", async () => {
    const letter = await sentLetter();
    await server.ctx.deps.blobs.delete(letter.blobKey);
    await server.person(people.ola);
    const other = await server.token(people.ola);
    const res = await api(
      server,
      other,
      'GET',
      `/api/v1/mailboxes/${mailboxId}/messages/${letter.id}/documents/${letter.documentId}/content`,
    );
    expectProblem(res, 404, 'not_found');
    expect(res.body.code).not.toBe('content_unavailable');
  });
});
