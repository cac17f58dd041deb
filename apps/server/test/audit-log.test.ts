/**
 * The audit logs: a mailbox's log (who opened, changed, granted; what others looked at) for its
 * owner, a person's register history (reservation, contact details, consents, the operator's
 * changes), both hash chains in append-only tables that `admin audit verify` recomputes.
 */
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
import { runCliProcess } from '../../../test/spawn-server.js';

const PRIVATE_ORG = '915000002';

describe.each(await testDialects())('the audit logs (%s)', (dialect) => {
  let server: TestServer;
  let kariBox: string;
  let letterId: string;
  let documentId: string;
  const tokens = {} as Record<'kari' | 'ola' | 'per', string>;
  /** The admin CLI on the server's own data. */
  const cliEnv = () => ({
    POSTKASSE_DATA_DIR: server.dataDir,
    LOG_LEVEL: 'silent',
    ...(server.ctx.config.databaseUrl ? { DATABASE_URL: server.ctx.config.databaseUrl } : {}),
  });
  beforeAll(async () => {
    server = await startTestServer(dialect);
    const postman = await server.sender('public', '974000008');
    kariBox = (await server.person(people.kari, 'Kari Nordmann')).mailboxId;
    await server.person(people.ola);
    await server.person(people.per);
    await server.sender('private', PRIVATE_ORG);
    for (const p of ['kari', 'ola', 'per'] as const) tokens[p] = await server.token(people[p], 'high');
    const sent = await sendLetterHttp(server, postman.apiKey, letterJson({ subject: 'Til Kari' }));
    letterId = (await api(server, tokens.kari, 'GET', `/api/v1/mailboxes/${kariBox}/messages`)).body.items[0].id;
    documentId = (await api(server, tokens.kari, 'GET', `/api/v1/mailboxes/${kariBox}/messages/${letterId}`)).body
      .documents[0].id;
    expect(sent.status).toBe(201);
  });
  afterAll(() => server?.close());

  it("shows the owner who did what in her mailbox, a delegate's looking included, newest first", async () => {
    const letter = `/api/v1/mailboxes/${kariBox}/messages/${letterId}`;
    expect((await api(server, tokens.kari, 'GET', `${letter}/documents/${documentId}/content`)).status).toBe(200);
    expect(
      (
        await api(server, tokens.kari, 'POST', `/api/v1/mailboxes/${kariBox}/grants`, {
          granteeNationalId: people.ola,
          scope: 'read',
        })
      ).status,
    ).toBe(201);
    expect((await api(server, tokens.ola, 'GET', letter)).status).toBe(200);
    // The owner's own looking is not logged (only her opening the document, above).
    expect((await api(server, tokens.kari, 'GET', letter)).status).toBe(200);

    const log = await api(server, tokens.kari, 'GET', `/api/v1/mailboxes/${kariBox}/audit`);
    expect(log.status).toBe(200);
    expect(log.body.items.map((e: { action: string; actorRole: string }) => [e.action, e.actorRole])).toEqual([
      ['letter.view', 'delegate-read'],
      ['grant.create', 'owner'],
      ['document.read', 'owner'],
    ]);
    expect(log.body.items[0]).toMatchObject({
      actorNationalId: people.ola,
      letterId,
      details: { contentShown: true },
      prevHash: log.body.items[1].hash,
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(log.body.items[2].prevHash).toBe('0'.repeat(64));

    // Paging: a cursor continues before the last entry given.
    const first = await api(server, tokens.kari, 'GET', `/api/v1/mailboxes/${kariBox}/audit?limit=2`);
    expect(first.body.items).toHaveLength(2);
    const rest = await api(
      server,
      tokens.kari,
      'GET',
      `/api/v1/mailboxes/${kariBox}/audit?cursor=${first.body.nextCursor}`,
    );
    expect(rest.body).toEqual({ items: [log.body.items[2]], nextCursor: null });
    expectProblem(
      await api(server, tokens.kari, 'GET', `/api/v1/mailboxes/${kariBox}/audit?cursor=abc`),
      400,
      'validation_failed',
    );
  });

  it('refuses the log to a delegate (403) and to anyone else (404, as an unknown mailbox)', async () => {
    expectProblem(await api(server, tokens.ola, 'GET', `/api/v1/mailboxes/${kariBox}/audit`), 403, 'forbidden');
    const stranger = await api(server, tokens.per, 'GET', `/api/v1/mailboxes/${kariBox}/audit`);
    expectProblem(stranger, 404, 'not_found');
    const unknown = await api(server, tokens.per, 'GET', `/api/v1/mailboxes/${crypto.randomUUID()}/audit`);
    expect({ ...unknown.body, correlationId: null }).toEqual({ ...stranger.body, correlationId: null });
  });

  it("keeps a person's register history: her own changes, consents and the operator's, without contact values", async () => {
    const patch = (body: unknown) => api(server, tokens.per, 'PATCH', '/api/v1/me/register', body);
    expect((await patch({ reserved: true })).status).toBe(200);
    expect((await patch({ email: 'per@example.org', language: 'nn' })).status).toBe(200);
    expect((await patch({ email: 'per@example.org' })).status).toBe(200); // no change: nothing logged
    expect((await api(server, tokens.per, 'PUT', `/api/v1/me/consents/${PRIVATE_ORG}`)).status).toBe(200);
    const exempt = await runCliProcess(['admin', 'register', 'exempt', '--id', people.per, '--json'], cliEnv(), 60_000);
    expect(exempt.code, exempt.stderr).toBe(0);

    const history = await api(server, tokens.per, 'GET', '/api/v1/me/register/history');
    expect(history.status).toBe(200);
    expect(history.body.items.map((e: any) => [e.action, e.actorType, e.details])).toEqual([
      ['register.exempt', 'operator', { exempt: true }],
      ['consent.give', 'person', { sender: PRIVATE_ORG }],
      ['register.update', 'person', { changed: ['email', 'language'] }],
      ['register.update', 'person', { reserved: true }],
      ['register.create', 'operator', { contact: [], mailboxId: expect.any(String) }],
    ]);
    expect(JSON.stringify(history.body)).not.toContain('per@example.org');
    // Each person sees only their own.
    const kari = await api(server, tokens.kari, 'GET', '/api/v1/me/register/history');
    expect(kari.body.items.every((e: { nationalId: string }) => e.nationalId === people.kari)).toBe(true);
  });

  it('refuses changes to either log, and admin audit verify finds an entry changed behind its back', async () => {
    const verified = await runCliProcess(['admin', 'audit', 'verify', '--json'], cliEnv(), 60_000);
    expect(verified.code, verified.stderr).toBe(0);
    const ok = JSON.parse(verified.stdout);
    expect(ok).toMatchObject({ ok: true, mailboxes: { broken: [] }, register: { broken: [] } });
    expect(ok.mailboxes.entries).toBeGreaterThanOrEqual(3);
    expect(ok.register.chains).toBeGreaterThanOrEqual(3);

    await expect(rawStatement(server, `update audit_log set action = 'letter.update'`)).rejects.toThrow(/append-only/);
    await expect(rawStatement(server, 'delete from register_log')).rejects.toThrow(/append-only/);

    // Someone with the database's files at hand removes the guard and rewrites what the delegate did.
    const [from, to] =
      dialect === 'postgres'
        ? [
            'alter table audit_log disable trigger audit_log_append_only',
            'alter table audit_log enable trigger audit_log_append_only',
          ]
        : ['drop trigger audit_log_no_update', null];
    await rawStatement(server, from);
    await rawStatement(server, `update audit_log set actor_role = 'owner' where action = 'letter.view'`);
    if (to) await rawStatement(server, to);
    const broken = await runCliProcess(['admin', 'audit', 'verify', '--json'], cliEnv(), 60_000);
    expect(broken.code).toBe(1);
    const report = JSON.parse(broken.stdout);
    expect(report.ok).toBe(false);
    expect(report.mailboxes.broken).toEqual([{ chain: kariBox, seq: expect.any(Number), reason: 'hash' }]);
    expect(report.register.broken).toEqual([]);
    const human = await runCliProcess(['admin', 'audit', 'verify', '--mailbox', kariBox], cliEnv(), 60_000);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`broken: ${kariBox} at entry`);
  });
});
