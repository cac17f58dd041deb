/**
 * Request rate limits (apps/server/src/rate-limits.ts): each sender, each person and, on the
 * credential endpoints, each client address has its own count; over it the answer is 429
 * `rate_limited` with Retry-After, before a body is read; pages and health checks are not counted.
 * With a shared Redis (the machine's, 127.0.0.1:6379) the processes of an installation count
 * together, under pseudonyms; a Redis that cannot be reached lets requests through uncounted.
 */
import { buildApp } from '@postkasse/server';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  letterForm,
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { redisAvailable, testRedisUrl } from '../../../test/redis.js';
import { freePort } from '../../../test/spawn-server.js';

describe('rate limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      POSTKASSE_RATE_LIMITS: 'sender=3,person=4,anonymous=2',
      POSTKASSE_WORKER_INTERVAL_MS: '0',
    });
  });
  afterAll(() => server?.close());

  const events = (apiKey: string) =>
    fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } });

  it('counts each sender on its own and refuses the one over its limit, before storing anything', async () => {
    const { apiKey } = await server.sender('public');
    const other = await server.sender('public');
    await server.person(people.kari);
    expect((await sendLetterHttp(server, apiKey, letterJson())).status).toBe(201);
    expect((await events(apiKey)).status).toBe(200);
    expect((await events(apiKey)).status).toBe(200);
    const over = await sendLetterHttp(server, apiKey, letterJson());
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(over.body).toMatchObject({ code: 'rate_limited', retryable: true, status: 429 });
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    const stored = await rawStatement<{ n: number }>(server, 'select count(*) as n from letters');
    expect(Number(stored[0]?.n)).toBe(1);
    // Another sender is not held back by the first.
    expect((await events(other.apiKey)).status).toBe(200);
  });

  it('counts each person on its own', async () => {
    const { mailboxId } = await server.person(people.ola);
    const token = await server.token(people.ola);
    for (let i = 0; i < 4; i++) {
      expect((await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`)).status).toBe(200);
    }
    const over = await api(server, token, 'GET', '/api/v1/me/mailboxes');
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('rate_limited');
    const kari = await server.token(people.kari);
    expect((await api(server, kari, 'GET', '/api/v1/me/mailboxes')).status).toBe(200);
  });

  it('counts anonymous requests to the credential endpoints by address, and not pages or health', async () => {
    const token = () =>
      fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&client_assertion_type=x&client_assertion=y',
      });
    expect((await token()).status).not.toBe(429);
    expect((await token()).status).not.toBe(429);
    const over = await token();
    expect(over.status).toBe(429);
    expect(((await over.json()) as { code: string }).code).toBe('rate_limited');
    for (let i = 0; i < 5; i++) {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
    }
  });
});

const withRedis = await redisAvailable();

/**
 * A second process of the same installation: another app over the same context, with rate-limit
 * counts of its own unless they are shared, as a load balancer's second instance has.
 */
async function secondProcess(server: TestServer, logLines?: string[]): Promise<{ url: string; app: FastifyInstance }> {
  const app = logLines
    ? await buildApp(
        // The harness's processes log nothing; this one logs its warnings.
        { ...server.ctx, config: { ...server.ctx.config, logLevel: 'warn' } },
        { logStream: { write: (line: string) => logLines.push(line) } },
      )
    : await buildApp(server.ctx, { logger: false });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  return { url: `http://127.0.0.1:${port}`, app };
}

describe.each([
  ...(withRedis ? [{ shared: true, env: { POSTKASSE_RATE_LIMIT_REDIS_URL: testRedisUrl } }] : []),
  { shared: false, env: {} },
])('rate limits over two processes (shared through Redis: $shared)', ({ shared, env }) => {
  let server: TestServer;
  let second: { url: string; app: FastifyInstance };
  let redis: Redis | null = null;
  let nameSpace: string;
  beforeAll(async () => {
    server = await startTestServer('sqlite', {
      POSTKASSE_RATE_LIMITS: 'sender=3,person=3,anonymous=2',
      POSTKASSE_WORKER_INTERVAL_MS: '0',
      ...env,
    });
    second = await secondProcess(server);
    if (withRedis) redis = new Redis(testRedisUrl);
    nameSpace = `postkasse:${(await server.ctx.deps.store.read.installation.get())?.id}:rate:`;
  });
  afterAll(async () => {
    await second?.app.close();
    await server?.close();
    if (redis) {
      const keys = await redis.keys(`${nameSpace}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  const events = (url: string, apiKey: string) =>
    fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } });

  it(shared ? 'holds a sender to its limit whichever process it reaches' : 'counts in each process apart', async () => {
    const { apiKey } = await server.sender('public');
    expect((await events(server.url, apiKey)).status).toBe(200);
    expect((await events(second.url, apiKey)).status).toBe(200);
    expect((await events(second.url, apiKey)).status).toBe(200);
    const fourth = await events(server.url, apiKey);
    expect(fourth.status).toBe(shared ? 429 : 200);
    if (shared) {
      expect(((await fourth.json()) as { code: string }).code).toBe('rate_limited');
      expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
    }
  });

  it(shared ? 'keeps a person in Redis under a pseudonym only' : 'counts persons in each process apart', async () => {
    const { mailboxId } = await server.person(people.ola);
    const token = await server.token(people.ola);
    const list = (url: string) =>
      fetch(`${url}/api/v1/mailboxes/${mailboxId}/messages`, { headers: { authorization: `Bearer ${token}` } });
    for (const url of [server.url, second.url, server.url]) expect((await list(url)).status).toBe(200);
    expect((await list(second.url)).status).toBe(shared ? 429 : 200);
    const keys = redis ? await redis.keys(`${nameSpace}*`) : [];
    if (!shared) {
      expect(keys).toEqual([]);
      return;
    }
    expect(keys.filter((k) => k.startsWith(`${nameSpace}person:`))).toHaveLength(1);
    expect(keys.filter((k) => k.startsWith(`${nameSpace}sender:`))).toHaveLength(1);
    for (const key of keys) expect(key).not.toContain(people.ola);
    expect(await (await fetch(`${second.url}/metrics`)).text()).toMatch(/^postkasse_rate_limits_shared_up 1$/m);
    // The counts expire with their minute.
    const ttl = await redis?.pttl(keys[0] ?? '');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  // Only where the counts are shared: a Redis that holds its answers back.
  if (!shared) return;
  it('lets requests through uncounted while Redis does not answer, and shows it', async () => {
    const { apiKey } = await server.sender('public');
    // Redis holds every write for 1.5 s: a count waits its 1 s and fails.
    await redis?.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const started = Date.now();
    expect((await events(second.url, apiKey)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_450);
    expect(await (await fetch(`${second.url}/metrics`)).text()).toMatch(/^postkasse_rate_limits_shared_up 0$/m);
    await new Promise((resolve) => setTimeout(resolve, 600));
  });
});

describe('rate limits shared through a Redis that cannot be reached', () => {
  let server: TestServer;
  let second: { url: string; app: FastifyInstance };
  const logLines: string[] = [];
  beforeAll(async () => {
    // Nothing listens there: the process starts, serves, and says that nothing is counted.
    server = await startTestServer('sqlite', {
      POSTKASSE_RATE_LIMITS: 'sender=2',
      // With a password, which must reach no log line.
      POSTKASSE_RATE_LIMIT_REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${await freePort()}/0`,
      POSTKASSE_WORKER_INTERVAL_MS: '0',
    });
    second = await secondProcess(server, logLines);
  });
  afterAll(async () => {
    await second?.app.close();
    await server?.close();
  });

  it('lets letters through uncounted rather than refusing them, and warns the operator', async () => {
    const { apiKey } = await server.sender('public');
    await server.person(people.kari);
    const started = Date.now();
    for (let i = 0; i < 4; i++) {
      const sent = await fetch(`${second.url}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: letterForm(letterJson()),
      });
      expect(sent.status).toBe(201);
    }
    // Each request went on without waiting for a connection that is not there.
    expect(Date.now() - started).toBeLessThan(4 * 1_000);
    const warning = logLines.map((l) => JSON.parse(l)).find((l) => /Redis cannot be reached/.test(l.msg));
    expect(warning).toMatchObject({ level: 40 });
    expect(JSON.stringify(logLines)).not.toContain('redis://');
    expect(JSON.stringify(logLines)).not.toContain('s3cret-pw');
    // Monitoring sees it too.
    expect(await (await fetch(`${second.url}/metrics`)).text()).toMatch(/^postkasse_rate_limits_shared_up 0$/m);
  });
});
