import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyAuditLogs } from '@postkasse/core';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  letterJson,
  people,
  productionEnv,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  testClock,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

type Received = { body: string; signature: string; events: Array<Record<string, any>> };

/** A webhook receiver that refuses the first `failures` posts, then takes everything. */
async function receiver(failures: number) {
  const received: Received[] = [];
  let refused = 0;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (refused < failures) {
        refused += 1;
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({
        body,
        signature: String(req.headers['postkasse-signature'] ?? ''),
        events: JSON.parse(body).events,
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, refusedCount: () => refused, close: () => new Promise((r) => server.close(r)) };
}

function verifySignature(secret: string, header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest('hex');
  return expected === m[2];
}

for (const dialect of await testDialects()) {
  describe(`receipts and webhooks (${dialect})`, () => {
    let server: TestServer;
    const clock = testClock();
    let apiKey: string;
    let senderId: string;
    beforeAll(async () => {
      // The receivers below listen on 127.0.0.1: this server lets webhooks go there.
      server = await startTestServer(dialect, { POSTKASSE_WEBHOOKS_ALLOW_PRIVATE: 'on' }, { clock });
      await server.person(people.kari);
      ({ apiKey, id: senderId } = await server.sender('public'));
    });
    afterAll(async () => server.close());

    it('signs every event with the platform key, verifiable against the published JWKS', async () => {
      const sent = await sendLetterHttp(server, apiKey, letterJson());
      expect(sent.status).toBe(201);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const org = (await server.ctx.deps.store.read.senders.get(senderId))?.orgNumber;
      for (const event of sent.body.events) {
        const { payload, protectedHeader } = await jwtVerify(event.receipt, jwks, { issuer: server.url });
        expect(protectedHeader.alg).toBe('EdDSA');
        expect(protectedHeader.typ).toBe('postkasse-receipt+jwt');
        expect(payload.jti).toBe(event.id);
        expect(payload.sub).toBe(sent.body.id);
        expect(payload.event).toMatchObject({ id: event.id, type: event.type, at: event.at, messageId: sent.body.id });
        // Who it is from and to, as a court reads them: the sender's organization number, the recipient's id.
        expect(payload.letter).toEqual({
          sender: { orgNumber: org },
          recipient: { nationalId: people.kari },
          documents: [{ sha256: createHash('sha256').update(tinyPdf).digest('hex') }],
        });
      }
      const feed = await api(server, apiKey, 'GET', '/api/v1/events?limit=1000');
      // Receipts are stored with their events: the feed shows the very receipts of the answer.
      expect(sent.body.events.map((e: any) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
      for (const event of sent.body.events) {
        const inFeed = feed.body.items.find((e: any) => e.id === event.id);
        expect(inFeed.receipt).toBe(event.receipt);
      }
      await jwtVerify(sent.body.events[1].receipt, jwks);
    });

    it('stores each receipt as its event is written: a row changed later gets no new receipt', async () => {
      const sent = await sendLetterHttp(server, apiKey, letterJson({ openingReceipt: true }));
      expect(sent.status).toBe(201);
      const letter = await server.ctx.deps.store.read.letters.findByExternalId(senderId, sent.body.id);
      if (!letter) throw new Error('not stored');
      // The answer's receipts are the stored ones, and so is a later event's (the reader's opening).
      const token = await server.token(people.kari);
      const box = (await api(server, token, 'GET', '/api/v1/me/mailboxes')).body.items[0].id;
      const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${box}/messages/${letter.id}`);
      await api(
        server,
        token,
        'GET',
        `/api/v1/mailboxes/${box}/messages/${letter.id}/documents/${detail.body.documents[0].id}/content`,
      );
      const stored = await server.ctx.deps.store.read.events.listByLetter(letter.id);
      expect(stored.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED', 'OPENED']);
      expect(stored.slice(0, 2).map((e) => e.receipt)).toEqual(sent.body.events.map((e: any) => e.receipt));
      expect(stored[2]?.receipt).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

      // The events are links of the evidence chain (event-chain.ts) once the worker has run, and
      // the table refuses changes.
      await server.ctx.worker.runOnce();
      expect((await verifyAuditLogs(server.ctx.deps)).events.broken).toEqual([]);
      const opened = stored[2];
      const moveOn = `update events set at = '2027-12-01T10:00:00.000Z' where id = '${opened?.id}'`;
      await expect(rawStatement(server, moveOn)).rejects.toThrow(/append-only/);
      // Someone with the database at hand removes the guard and moves the opening a year on.
      const [unguard, guard] =
        dialect === 'postgres'
          ? [
              'alter table events disable trigger events_append_only',
              'alter table events enable trigger events_append_only',
            ]
          : ['drop trigger events_no_update', null];
      await rawStatement(server, unguard);
      await rawStatement(server, moveOn);
      if (guard) await rawStatement(server, guard);
      // The chain tells.
      const chain = (await verifyAuditLogs(server.ctx.deps)).events;
      expect(chain.broken).toEqual([{ chain: 'events', seq: expect.any(Number), reason: 'hash' }]);
      const after = await api(server, apiKey, 'GET', `/api/v1/messages/${sent.body.id}`);
      const shown = after.body.events.find((e: any) => e.type === 'OPENED');
      expect(shown.at).toBe('2027-12-01T10:00:00.000Z');
      // The receipt is still the one signed at the time: it says when the letter was really opened.
      expect(shown.receipt).toBe(opened?.receipt);
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(shown.receipt, jwks);
      expect((payload.event as { at: string }).at).toBe(opened?.at);
      // What was opened: the receipts name the letter's document by its SHA-256, the sender's to
      // compare with what it sent (the answer's receipts, signed on sending, and the opening's).
      const digest = createHash('sha256').update(tinyPdf).digest('hex');
      for (const receipt of [...sent.body.events.map((e: any) => e.receipt), shown.receipt]) {
        const claims = (await jwtVerify(receipt, jwks)).payload as { letter: { documents: unknown } };
        expect(claims.letter.documents).toEqual([{ sha256: digest }]);
      }
    });

    it('refuses a tampered receipt', async () => {
      const sent = await sendLetterHttp(server, apiKey, letterJson());
      const [header, payload, signature] = sent.body.events[0].receipt.split('.');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      claims.event.type = 'OPENED';
      const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
      await expect(jwtVerify(forged, jwks)).rejects.toThrow(/signature/);
    });

    it('delivers every event exactly once, in order per letter, after the receiver recovers', async () => {
      const hookServer = await receiver(3);
      const secret = 'a-webhook-secret-of-some-length';
      const created = await api(server, apiKey, 'POST', '/api/v1/webhooks', { url: hookServer.url, secret });
      expect(created.status).toBe(201);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const sent = await sendLetterHttp(server, apiKey, letterJson({ subject: `Webhook ${i}` }));
        ids.push(sent.body.id);
      }
      // Three rounds fail (503); each failure waits for the backoff, which the clock passes.
      for (let round = 0; round < 6; round++) {
        await server.ctx.worker.runOnce();
        clock.advance(10 * 60_000);
      }
      expect(hookServer.refusedCount()).toBe(3);
      const events = hookServer.received.flatMap((r) => r.events);
      const mine = events.filter((e) => ids.includes(e.messageId));
      expect(mine).toHaveLength(10);
      expect(new Set(mine.map((e) => e.id)).size).toBe(10);
      for (const id of ids) {
        expect(mine.filter((e) => e.messageId === id).map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
      }
      for (const post of hookServer.received) {
        expect(verifySignature(secret, post.signature, post.body)).toBe(true);
        // A receiver with the wrong secret, or a changed body, sees a bad signature.
        expect(verifySignature('another-secret-entirely', post.signature, post.body)).toBe(false);
        expect(verifySignature(secret, post.signature, post.body.replace('DELIVERED', 'OPENED'))).toBe(false);
      }
      // Nothing is sent twice on later rounds.
      await server.ctx.worker.runOnce();
      expect(hookServer.received.flatMap((r) => r.events).filter((e) => ids.includes(e.messageId))).toHaveLength(10);
      const state = await api(server, apiKey, 'GET', `/api/v1/webhooks/${created.body.id}`);
      expect(state.body).toMatchObject({ failingSince: null, lastError: null, failures: [] });
      expect(state.body.lastDeliveredAt).not.toBeNull();
      await api(server, apiKey, 'DELETE', `/api/v1/webhooks/${created.body.id}`);
      await hookServer.close();
    });

    it('gives up an event after 24 hours of failures and records it, while the feed keeps it', async () => {
      const hookServer = await receiver(Number.MAX_SAFE_INTEGER);
      const created = await api(server, apiKey, 'POST', '/api/v1/webhooks', {
        url: hookServer.url,
        secret: 'another-secret-of-length',
      });
      const sent = await sendLetterHttp(server, apiKey, letterJson({ subject: 'Never delivered by webhook' }));
      await server.ctx.worker.runOnce();
      clock.advance(25 * 3600_000);
      await server.ctx.worker.runOnce();
      const state = await api(server, apiKey, 'GET', `/api/v1/webhooks/${created.body.id}`);
      expect(state.body.failures.map((f: any) => f.eventId).sort()).toEqual(
        sent.body.events.map((e: any) => e.id).sort(),
      );
      expect(state.body.lastError).toMatch(/503/);
      const feed = await api(server, apiKey, 'GET', '/api/v1/events?limit=1000');
      expect(feed.body.items.filter((e: any) => e.messageId === sent.body.id)).toHaveLength(2);
      await api(server, apiKey, 'DELETE', `/api/v1/webhooks/${created.body.id}`);
      await hookServer.close();
    });

    it('refuses webhook URLs that are not https (http only to localhost), and another sender sees none', async () => {
      expectProblem(
        await api(server, apiKey, 'POST', '/api/v1/webhooks', {
          url: 'http://example.org/hook',
          secret: 'long-enough-secret-1',
        }),
        400,
        'validation_failed',
      );
      expectProblem(
        await api(server, apiKey, 'POST', '/api/v1/webhooks', {
          url: 'https://user:pw@example.org/hook',
          secret: 'long-enough-secret-1',
        }),
        400,
        'validation_failed',
      );
      expectProblem(
        await api(server, apiKey, 'POST', '/api/v1/webhooks', { url: 'not a url', secret: 'long-enough-secret-1' }),
        400,
        'validation_failed',
      );
      expectProblem(
        await api(server, apiKey, 'POST', '/api/v1/webhooks', { url: 'https://example.org/h', secret: 'short' }),
        400,
        'validation_failed',
      );
      const mine = await api(server, apiKey, 'POST', '/api/v1/webhooks', {
        url: 'https://example.org/hook',
        secret: 'long-enough-secret-1',
      });
      expect(mine.status).toBe(201);
      const other = await server.sender('public');
      expect((await api(server, other.apiKey, 'GET', '/api/v1/webhooks')).body.items).toEqual([]);
      expectProblem(await api(server, other.apiKey, 'GET', `/api/v1/webhooks/${mine.body.id}`), 404, 'not_found');
      expectProblem(await api(server, other.apiKey, 'DELETE', `/api/v1/webhooks/${mine.body.id}`), 404, 'not_found');
      await api(server, apiKey, 'DELETE', `/api/v1/webhooks/${mine.body.id}`);
    });

    it('posts each event once even with several workers delivering at the same time', async () => {
      const hookServer = await receiver(0);
      const created = await api(server, apiKey, 'POST', '/api/v1/webhooks', {
        url: hookServer.url,
        secret: 'a-webhook-secret-of-some-length',
      });
      const sent = await Promise.all(
        Array.from({ length: 6 }, (_, i) => sendLetterHttp(server, apiKey, letterJson({ subject: `Parallel ${i}` }))),
      );
      const { deliverWebhooks } = await import('@postkasse/core');
      const { fetchTransport } = await import('../src/worker.js');
      const { presentFeedEvent } = await import('../src/receipts.js');
      await Promise.all(
        Array.from({ length: 4 }, () =>
          deliverWebhooks(server.ctx.deps, fetchTransport(false), (e) => presentFeedEvent(server.ctx, e)),
        ),
      );
      const ids = new Set(sent.map((s) => s.body.id));
      const got = hookServer.received.flatMap((r) => r.events).filter((e) => ids.has(e.messageId));
      expect(got).toHaveLength(12);
      expect(new Set(got.map((e) => e.id)).size).toBe(12);
      await api(server, apiKey, 'DELETE', `/api/v1/webhooks/${created.body.id}`);
      await hookServer.close();
    });

    it.each([
      ['by default', {}],
      ['in production', productionEnv],
      ['when turned off explicitly', { POSTKASSE_WEBHOOKS_ALLOW_PRIVATE: 'off' }],
    ])('refuses webhooks to localhost, private and metadata addresses %s', async (_name, env) => {
      const prod = await startTestServer(dialect, env);
      try {
        const s = await prod.sender('public');
        expectProblem(
          await api(prod, s.apiKey, 'POST', '/api/v1/webhooks', {
            url: 'http://127.0.0.1:9/hook',
            secret: 'long-enough-secret-1',
          }),
          400,
          'validation_failed',
        );
        for (const url of [
          'https://10.1.2.3/hook',
          'https://169.254.169.254/latest',
          'https://[::1]:8443/h',
          'https://localhost/h',
        ]) {
          const refused = await api(prod, s.apiKey, 'POST', '/api/v1/webhooks', {
            url,
            secret: 'long-enough-secret-1',
          });
          expectProblem(refused, 400, 'validation_failed');
          expect(refused.body.errors[0].code, url).toBe('private_address');
        }
      } finally {
        await prod.close();
      }
    });
  });
}
