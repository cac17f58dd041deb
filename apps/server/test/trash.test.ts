/**
 * The trash keeps a deleted letter for 30 days, restorable; then the letter leaves the mailbox for
 * good and its documents are dropped (their ciphertext swept), while the sender keeps its status
 * and receipts as evidence.
 */
import { join } from 'node:path';
import { sweepOrphanBlobs } from '@postkasse/core';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trashPurgeJobs } from '../../../packages/storage/src/migrations/013-trash-purge-jobs.js';
import {
  api,
  expectProblem,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  storedBlobs,
  type TestServer,
  testClock,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const DAY = 24 * 3600_000;

describe.each(await testDialects())('the trash (%s)', (dialect) => {
  let server: TestServer;
  const clock = testClock();
  let apiKey: string;
  let token: string;
  let mailboxId: string;

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { clock });
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari));
    token = await server.token(people.kari, 'high');
  });
  afterAll(() => server?.close());

  const letterPath = (id: string) => `/api/v1/mailboxes/${mailboxId}/messages/${id}`;
  const trash = async () =>
    (await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?folder=trash`)).body.items.map(
      (l: { id: string }) => l.id,
    );
  async function deliver(subject: string) {
    const message = letterJson({ subject });
    const sent = await sendLetterHttp(server, apiKey, message);
    expect(sent.status).toBe(201);
    const list = await api(
      server,
      token,
      'GET',
      `/api/v1/mailboxes/${mailboxId}/messages?q=${encodeURIComponent(subject)}`,
    );
    return { externalId: message.id, id: list.body.items[0].id as string };
  }

  it('keeps a deleted letter restorable for 30 days, counted from its last deletion, then deletes it for good', async () => {
    const letter = await deliver('Vedtak om bostøtte');
    const kept = await deliver('Årsoppgave');
    const blobsBefore = await storedBlobs(server);
    expect((await api(server, token, 'DELETE', letterPath(letter.id))).status).toBe(204);
    expect((await api(server, token, 'DELETE', letterPath(kept.id))).status).toBe(204);

    // Day 29: still in the trash. It is restored and deleted again: its 30 days start over.
    clock.advance(29 * DAY);
    await server.ctx.worker.runOnce();
    expect(await trash()).toEqual(expect.arrayContaining([letter.id, kept.id]));
    expect((await api(server, token, 'POST', `${letterPath(kept.id)}/restore`)).status).toBe(200);
    expect((await api(server, token, 'DELETE', letterPath(kept.id))).status).toBe(204);

    // Day 31: the first is gone for good, the one deleted again on day 29 is not.
    clock.advance(2 * DAY);
    await server.ctx.worker.runOnce();
    expect(await trash()).toEqual([kept.id]);
    expectProblem(await api(server, token, 'GET', letterPath(letter.id)), 404, 'not_found');
    expectProblem(await api(server, token, 'POST', `${letterPath(letter.id)}/restore`), 404, 'not_found');
    const search = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?q=bost%C3%B8tte`);
    expect(search.body.items).toEqual([]);
    expect(await server.ctx.deps.store.read.documents.listByLetter(letter.id)).toEqual([]);
    // Its ciphertext goes with the next sweep of blobs no document points at.
    await sweepOrphanBlobs(server.ctx.deps, 0);
    const blobsAfter = await storedBlobs(server);
    expect(blobsAfter.length).toBe(blobsBefore.length - 1);

    // The sender still sees it delivered, with its receipts; its documents are no longer there to export.
    const sent = await api(server, apiKey, 'GET', `/api/v1/messages/${letter.externalId}`);
    // Its subject, sealed for the mailbox before, is the platform's again (letter-meta.ts).
    expect(sent.body).toMatchObject({ status: 'DELIVERED', documentCount: 1, subject: 'Vedtak om bostøtte' });
    expect(sent.body.events.map((e: { type: string }) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    const memo = await api(server, apiKey, 'GET', `/api/v1/messages/${letter.externalId}/memo`);
    expectProblem(memo, 422, 'invalid_operation');
    expect(memo.body.detail).toBe('Its documents are no longer kept: the recipient deleted it (30 days in the trash)');

    // Day 60: the second follows, 30 days after it was deleted again.
    clock.advance(29 * DAY);
    await server.ctx.worker.runOnce();
    expect(await trash()).toEqual([]);
  });

  it('gives a letter deleted before purge jobs existed its job when the database is migrated (013)', async () => {
    const letter = await deliver('Gammelt brev');
    expect((await api(server, token, 'DELETE', letterPath(letter.id))).status).toBe(204);
    // As a database from before: the letter in the trash, no purge job.
    await server.ctx.deps.store.write((repos) => repos.jobs.cancelFor(letter.id));
    clock.advance(31 * DAY);
    await server.ctx.worker.runOnce();
    expect(await trash()).toContain(letter.id);
    const db =
      dialect === 'postgres'
        ? new Kysely<unknown>({
            dialect: new PostgresDialect({
              pool: new pg.Pool({ connectionString: server.ctx.config.databaseUrl ?? '' }),
            }),
          })
        : new Kysely<unknown>({
            dialect: new SqliteDialect({
              database: new SQLite(join(server.dataDir, 'postkasse.sqlite'), { timeout: 10_000 }),
            }),
          });
    try {
      await trashPurgeJobs(dialect).up(db);
    } finally {
      await db.destroy();
    }
    await server.ctx.worker.runOnce();
    expect(await trash()).not.toContain(letter.id);
    expectProblem(await api(server, token, 'GET', letterPath(letter.id)), 404, 'not_found');
  });

  it('never deletes a letter that was restored', async () => {
    const letter = await deliver('Tilbud om barnehageplass');
    expect((await api(server, token, 'DELETE', letterPath(letter.id))).status).toBe(204);
    expect((await api(server, token, 'POST', `${letterPath(letter.id)}/restore`)).status).toBe(200);
    clock.advance(31 * DAY);
    await server.ctx.worker.runOnce();
    const back = await api(server, token, 'GET', letterPath(letter.id));
    expect(back.status).toBe(200);
    expect(back.body.trashedAt).toBeNull();
  });
});
