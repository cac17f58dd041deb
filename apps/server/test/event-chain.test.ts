/**
 * The evidence chain of letter events (packages/core/src/event-chain.ts): every event is linked,
 * in feed order, a page at a time; a removed event breaks the chain where it was.
 */
import { extendEventChain, verifyAuditLogs } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

describe.each(await testDialects())('the chain of letter events (%s)', (dialect) => {
  let server: TestServer;
  beforeAll(async () => {
    // No worker rounds of its own: the test extends the chain itself.
    server = await startTestServer(dialect, { POSTKASSE_WORKER_INTERVAL_MS: '0' });
    const { apiKey } = await server.sender('public');
    await server.person(people.kari);
    for (let i = 0; i < 5; i++) expect((await sendLetterHttp(server, apiKey, letterJson())).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('links every event once, a page at a time, in feed order', async () => {
    const deps = server.ctx.deps;
    const pages: number[] = [];
    for (let n = await extendEventChain(deps, { limit: 3 }); n > 0; n = await extendEventChain(deps, { limit: 3 })) {
      pages.push(n);
    }
    expect(pages).toEqual([3, 3, 3, 1]);
    const chain = (await verifyAuditLogs(deps)).events;
    expect(chain).toEqual({ chains: 1, entries: 10, broken: [] });
    const linked = await rawStatement<{ event_id: string }>(
      server,
      'select event_id from event_chain order by position',
    );
    const feed = await deps.store.read.events.since(null, 100);
    expect(linked.map((r) => r.event_id)).toEqual(feed.map((e) => e.id));
  });

  it('links made for an end the chain no longer has are made anew, not appended as they were', async () => {
    const deps = server.ctx.deps;
    const { apiKey } = await server.sender('public');
    for (let i = 0; i < 2; i++) expect((await sendLetterHttp(server, apiKey, letterJson())).status).toBe(201);
    const before = (await deps.store.read.events.since(null, 1000)).length;
    const fresh = (await deps.store.read.events.since(null, 1000)).slice(-4);
    // Links hashed for the last two new events while the chain ends at the events before them;
    // then another process appends the first two new ones, and the chain ends elsewhere.
    const stale = await deps.store.read.eventChain.link(fresh.slice(2));
    expect(stale.after.position).toBe(before - 4);
    await deps.store.write((repos) => repos.eventChain.append(fresh.slice(0, 2)));
    await deps.store.write((repos) => repos.eventChain.append(fresh.slice(2), stale));
    // Links offered for other events than those appended are not used either.
    const more = (await sendLetterHttp(server, apiKey, letterJson())).status;
    expect(more).toBe(201);
    const last = (await deps.store.read.events.since(null, 1000)).slice(-2);
    const forOthers = await deps.store.read.eventChain.link(fresh.slice(0, 2));
    await deps.store.write((repos) => repos.eventChain.append(last, forOthers));
    expect((await verifyAuditLogs(deps)).events).toEqual({ chains: 1, entries: before + 2, broken: [] });
    const linked = await rawStatement<{ event_id: string }>(
      server,
      'select event_id from event_chain order by position',
    );
    expect(linked.map((r) => r.event_id).slice(-6)).toEqual([...fresh, ...last].map((e) => e.id));
  });

  it('shows where an event was removed behind the database', async () => {
    const [, second] = await rawStatement<{ event_id: string }>(
      server,
      'select event_id from event_chain order by position',
    );
    await expect(rawStatement(server, `delete from events where id = '${second?.event_id}'`)).rejects.toThrow(
      /append-only/,
    );
    await rawStatement(
      server,
      dialect === 'postgres'
        ? 'alter table events disable trigger events_append_only'
        : 'drop trigger events_no_delete',
    );
    await rawStatement(server, `delete from events where id = '${second?.event_id}'`);
    expect((await verifyAuditLogs(server.ctx.deps)).events.broken).toEqual([
      { chain: 'events', seq: 2, reason: 'hash' },
    ]);
  });
});
