/**
 * Anchors of the events chain (apps/server/src/anchors.ts): the operator signs where the chain
 * ends and keeps that outside the platform; a later `admin audit verify --anchor` finds the
 * events up to it rewritten even when whoever rewrote them also rebuilt every link, which the
 * chain alone cannot show.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { extendEventChain, verifyAuditLogs } from '@postkasse/core';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, generateKeyPair, jwtVerify, SignJWT } from 'jose';
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
import { runCliProcess } from '../../../test/spawn-server.js';

describe.each(await testDialects())('anchors of the events chain (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  /** Anchor files written during the run, checked again after the chain is rewritten. */
  const files: Record<'first' | 'both', string> = { first: '', both: '' };
  const cli = (args: string[]) =>
    runCliProcess(
      ['admin', 'audit', ...args],
      {
        POSTKASSE_DATA_DIR: server.dataDir,
        LOG_LEVEL: 'silent',
        ...(server.ctx.config.databaseUrl ? { DATABASE_URL: server.ctx.config.databaseUrl } : {}),
      },
      60_000,
    );
  beforeAll(async () => {
    // No worker rounds: the anchor command links what is waiting itself.
    server = await startTestServer(dialect, { POSTKASSE_WORKER_INTERVAL_MS: '0' });
    ({ apiKey } = await server.sender('public'));
    await server.person(people.kari);
    for (let i = 0; i < 3; i++) expect((await sendLetterHttp(server, apiKey, letterJson())).status).toBe(201);
  });
  afterAll(() => server?.close());

  it('signs where the chain ends, verifiable with the published keys, and later anchors still hold', async () => {
    const made = await cli(['anchor', '--json']);
    expect(made.code, made.stderr).toBe(0);
    const first = JSON.parse(made.stdout);
    const events = await server.ctx.deps.store.read.events.since(null, 1000);
    // Every event so far is linked first: the anchor reaches the last.
    expect(first).toMatchObject({
      chain: 'events',
      position: events.length,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(events.length).toBeGreaterThanOrEqual(6);
    const [head] = await rawStatement<{ hash: string }>(
      server,
      'select hash from event_chain order by position desc limit 1',
    );
    expect(first.hash).toBe(head?.hash);

    // Anyone can check it against the platform's published keys, as a receipt.
    const keys = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(first.anchor, keys, { typ: 'postkasse-anchor+jwt' });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ chain: 'events', position: first.position, hash: first.hash });

    const human = await cli(['anchor']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`events chain at entry ${first.position}`);

    files.first = join(server.dataDir, `anchors-first-${dialect}.jsonl`);
    await writeFile(files.first, made.stdout);
    expect((await sendLetterHttp(server, apiKey, letterJson())).status).toBe(201);
    const second = JSON.parse((await cli(['anchor', '--json'])).stdout);
    expect(second.position).toBeGreaterThan(first.position);
    // A file of anchors kept over time: JSON lines, and a bare anchor on a line of its own.
    files.both = join(server.dataDir, `anchors-both-${dialect}.txt`);
    await writeFile(files.both, `${made.stdout}${second.anchor}\n`);

    const verified = await cli(['verify', '--anchor', files.both, '--json']);
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout);
    expect(report.ok).toBe(true);
    expect(report.anchors).toEqual([
      { position: first.position, hash: first.hash, at: expect.any(String), status: 'holds' },
      { position: second.position, hash: second.hash, at: expect.any(String), status: 'holds' },
    ]);
    const text = await cli(['verify', '--anchor', files.first]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('anchors: 1 checked, every one holds');
  });

  it('refuses anchors it did not sign, or that are not anchors, and input that holds none', async () => {
    const real = JSON.parse((await cli(['anchor', '--json'])).stdout);
    // The same statement signed with another key under the platform's key id.
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const forged = await new SignJWT(decodeJwt(real.anchor))
      .setProtectedHeader({ alg: 'EdDSA', typ: 'postkasse-anchor+jwt', kid: decodeProtectedHeader(real.anchor).kid })
      .sign(privateKey);
    // A receipt is signed by the platform, but states an event, not where the chain ends.
    const sent = await sendLetterHttp(server, apiKey, letterJson());
    const receipt = sent.body.events[0].receipt as string;
    const file = join(server.dataDir, `anchors-bad-${dialect}.txt`);
    await writeFile(file, `${forged}\n${receipt}\n`);
    const checked = await cli(['verify', '--anchor', file, '--json']);
    expect(checked.code).toBe(1);
    const report = JSON.parse(checked.stdout);
    expect(report.ok).toBe(false);
    // The chain itself holds: only the anchors fail.
    expect(report.events.broken).toEqual([]);
    expect(report.anchors.map((a: { status: string }) => a.status)).toEqual(['invalid', 'invalid']);
    expect(report.anchors[0].error).toMatch(/signature/i);
    expect(report.anchors[1].error).toMatch(/typ/i);

    const empty = join(server.dataDir, `anchors-empty-${dialect}.txt`);
    await writeFile(empty, 'nothing here\n');
    const none = await cli(['verify', '--anchor', empty, '--json']);
    expect(none.code).not.toBe(0);
    expect(JSON.parse(none.stdout || none.stderr)).toMatchObject({ error: { code: 'validation_failed' } });
    const missingFile = await cli(['verify', '--anchor', join(server.dataDir, 'no-such-file'), '--json']);
    expect(missingFile.code).not.toBe(0);
    expect(missingFile.stdout + missingFile.stderr).toContain('cannot read');
    const scoped = await cli(['verify', '--anchor', files.first, '--mailbox', randomUUID(), '--json']);
    expect(scoped.code).not.toBe(0);
    expect(scoped.stdout + scoped.stderr).toContain('not with --mailbox');
  });

  it('finds the events before an anchor rewritten, though every link was rebuilt to match', async () => {
    const deps = server.ctx.deps;
    // Everything sent so far is linked, as the worker would have done by now.
    while ((await extendEventChain(deps)) > 0);
    const [anchored] = await rawStatement<{ event_id: string }>(
      server,
      'select event_id from event_chain order by position limit 1',
    );
    // Someone in control of the database backdates the first event and rebuilds the whole chain
    // with the platform's own code, so that every link holds again.
    await rawStatement(
      server,
      dialect === 'postgres'
        ? 'alter table events disable trigger events_append_only'
        : 'drop trigger events_no_update',
    );
    await rawStatement(
      server,
      dialect === 'postgres'
        ? 'alter table event_chain disable trigger event_chain_append_only'
        : 'drop trigger event_chain_no_delete',
    );
    await rawStatement(server, `update events set at = '2020-01-01T00:00:00.000Z' where id = '${anchored?.event_id}'`);
    await rawStatement(server, 'delete from event_chain');
    const events = await deps.store.read.events.since(null, 10_000);
    await deps.store.write((repos) => repos.eventChain.append(events));
    // The chain alone cannot tell…
    expect((await verifyAuditLogs(deps)).events.broken).toEqual([]);
    const plain = await cli(['verify', '--json']);
    expect(plain.code).toBe(0);

    // …the anchors kept outside can.
    const checked = await cli(['verify', '--anchor', files.both, '--json']);
    expect(checked.code).toBe(1);
    const report = JSON.parse(checked.stdout);
    expect(report.ok).toBe(false);
    expect(report.anchors.map((a: { status: string }) => a.status)).toEqual(['changed', 'changed']);
    const text = await cli(['verify', '--anchor', files.first]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/at entry \d+: CHANGED/);

    // A chain cut short (events removed with their links) no longer reaches a later anchor.
    const lastMade = await cli(['anchor', '--json']);
    expect(lastMade.code, lastMade.stdout + lastMade.stderr).toBe(0);
    const last = JSON.parse(lastMade.stdout);
    await rawStatement(server, `delete from event_chain where position = ${last.position}`);
    const lastFile = join(server.dataDir, `anchors-last-${dialect}.txt`);
    await writeFile(lastFile, last.anchor);
    const short = JSON.parse((await cli(['verify', '--anchor', lastFile, '--json'])).stdout);
    expect(short.anchors).toEqual([
      { position: last.position, hash: last.hash, at: expect.any(String), status: 'missing' },
    ]);
  });
});
