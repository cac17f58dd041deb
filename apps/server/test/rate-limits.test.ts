/**
 * Request rate limits (apps/server/src/rate-limits.ts): each sender, each person and, on the
 * credential endpoints, each client address has its own count; over it the answer is 429
 * `rate_limited` with Retry-After, before a body is read; pages and health checks are not counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';

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
