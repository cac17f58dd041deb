import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

type Frame = { event: string; data: any };

/** Opens a mailbox's change stream and reads server-sent events from it one by one. */
async function openChanges(server: TestServer, token: string, mailboxId: string) {
  const controller = new AbortController();
  const res = await fetch(`${server.url}/api/v1/mailboxes/${mailboxId}/changes`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  const reader = res.body?.getReader();
  let buffer = '';
  const decoder = new TextDecoder();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    /** The next event (comments and the retry line skipped), or null when the stream ended. */
    async next(): Promise<Frame | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n').filter((l) => !l.startsWith(':') && !l.startsWith('retry:'));
          if (lines.length === 0) continue;
          const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
          const data = lines.find((l) => l.startsWith('data: '))?.slice(6);
          return { event, data: data ? JSON.parse(data) : null };
        }
        const chunk = await reader?.read();
        if (!chunk || chunk.done) return null;
        buffer += decoder.decode(chunk.value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

for (const dialect of await testDialects()) {
  describe(`live changes in a mailbox (${dialect})`, () => {
    let server: TestServer;
    let box: string;
    let apiKey: string;
    beforeAll(async () => {
      server = await startTestServer(dialect, { POSTKASSE_LIVE_POLL_MS: '100' });
      box = (await server.person(people.kari)).mailboxId;
      await server.person(people.ola);
      apiKey = (await server.sender('public')).apiKey;
    });
    afterAll(async () => server.close());

    it('tells an open view when a letter arrives, is read, moved, deleted and restored, and when folders change', async () => {
      const kari = await server.token(people.kari);
      const stream = await openChanges(server, kari, box);
      expect(stream.status).toBe(200);
      expect(stream.type).toMatch(/^text\/event-stream/);
      try {
        await sendLetterHttp(server, apiKey, letterJson({ subject: 'Live' }));
        const arrived = await stream.next();
        expect(arrived).toMatchObject({ event: 'change', data: { kind: 'letter.arrived' } });
        const letterId = arrived?.data.letterId;
        const listed = await api(server, kari, 'GET', `/api/v1/mailboxes/${box}/messages`);
        expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(letterId);

        await api(server, kari, 'PATCH', `/api/v1/mailboxes/${box}/messages/${letterId}`, { read: true });
        expect(await stream.next()).toEqual({ event: 'change', data: { kind: 'letter.changed', letterId } });
        await api(server, kari, 'DELETE', `/api/v1/mailboxes/${box}/messages/${letterId}`);
        expect(await stream.next()).toEqual({ event: 'change', data: { kind: 'letter.changed', letterId } });
        await api(server, kari, 'POST', `/api/v1/mailboxes/${box}/messages/${letterId}/restore`);
        expect(await stream.next()).toEqual({ event: 'change', data: { kind: 'letter.changed', letterId } });
        await api(server, kari, 'POST', `/api/v1/mailboxes/${box}/folders`, { name: 'Skatt' });
        expect(await stream.next()).toMatchObject({ event: 'change', data: { kind: 'folders.changed' } });
      } finally {
        stream.close();
      }
    });

    it("refuses another person's mailbox, and ends a delegate's stream when the grant is revoked", async () => {
      const ola = await server.token(people.ola);
      const refused = await api(server, ola, 'GET', `/api/v1/mailboxes/${box}/changes`);
      expectProblem(refused, 404, 'not_found');

      const kari = await server.token(people.kari);
      const grant = await api(server, kari, 'POST', `/api/v1/mailboxes/${box}/grants`, {
        granteeNationalId: people.ola,
        scope: 'read',
      });
      expect(grant.status).toBe(201);
      const stream = await openChanges(server, ola, box);
      try {
        expect(stream.status).toBe(200);
        // The grant's own creation may still come as a change: on PostgreSQL a view starts from
        // what every running transaction (in any database of the server) has let be seen, so a
        // change made just before it opened can follow. Skip those, and only those.
        const isLateGrant = (f: Frame | null) => f?.event === 'change' && f.data.kind === 'access.changed';
        const nextButLateGrant = async () => {
          for (;;) {
            const frame = await stream.next();
            if (!isLateGrant(frame)) return frame;
          }
        };
        await sendLetterHttp(server, apiKey, letterJson({ subject: 'Til Kari, sett av Ola' }));
        expect(await nextButLateGrant()).toMatchObject({ data: { kind: 'letter.arrived' } });
        await api(server, kari, 'DELETE', `/api/v1/mailboxes/${box}/grants/${grant.body.id}`);
        expect(await nextButLateGrant()).toEqual({ event: 'end', data: { reason: 'access_ended' } });
        expect(await stream.next()).toBeNull();
      } finally {
        stream.close();
      }
    });

    it('ends every open stream when the server shuts down, instead of waiting for the views', async () => {
      const other = await startTestServer(dialect, { POSTKASSE_LIVE_POLL_MS: '100' });
      const { mailboxId } = await other.person(people.kari);
      const stream = await openChanges(other, await other.token(people.kari), mailboxId);
      expect(stream.status).toBe(200);
      const closing = other.close();
      // Ended without an `end` event: an EventSource connects again by itself.
      expect(await stream.next()).toBeNull();
      await closing;
    });
  });
}
