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

for (const dialect of await testDialects()) {
  describe(`searching a mailbox (${dialect})`, () => {
    let server: TestServer;
    let box: string;
    let high: string;
    let substantial: string;
    const search = async (token: string, query: string) =>
      (await api(server, token, 'GET', `/api/v1/mailboxes/${box}/messages?${query}`)).body.items.map(
        (i: { subject: string | null; nonSensitiveTitle: string | null }) => i.subject ?? `(${i.nonSensitiveTitle})`,
      );

    beforeAll(async () => {
      server = await startTestServer(dialect);
      box = (await server.person(people.kari)).mailboxId;
      const nav = await server.sender('public', '974000008');
      const skatt = await server.sender('public', '958300018');
      await sendLetterHttp(server, nav.apiKey, letterJson({ subject: 'Vedtak om bostøtte', authLevel: 'substantial' }));
      await sendLetterHttp(
        server,
        skatt.apiKey,
        letterJson({
          subject: 'Årsoppgjør med restskatt',
          nonSensitiveTitle: 'Brev fra Skatteetaten',
          authLevel: 'high',
          sensitivity: 'sensitive',
        }),
      );
      await sendLetterHttp(server, nav.apiKey, letterJson({ subject: 'Rabatt 100% på_alt', authLevel: 'substantial' }));
      high = await server.token(people.kari, 'high');
      substantial = await server.token(people.kari, 'substantial');
    });
    afterAll(async () => server.close());

    it('finds by words in the subject, whatever their case, across folders', async () => {
      expect(await search(high, 'q=BOSTØTTE')).toEqual(['Vedtak om bostøtte']);
      expect(await search(high, 'q=%C3%A5rsoppgj%C3%B8r')).toEqual(['Årsoppgjør med restskatt']);
      // Wildcards are plain characters.
      expect(await search(high, 'q=100%25')).toEqual(['Rabatt 100% på_alt']);
      expect(await search(high, 'q=%25')).toEqual(['Rabatt 100% på_alt']);
      expect(await search(high, 'q=t_a')).toEqual([]);
    });

    it('does not let a lower login level find a letter by what it may not see', async () => {
      expect(await search(substantial, 'q=restskatt')).toEqual([]);
      // The non-sensitive title is there to be seen, so it finds.
      expect(await search(substantial, 'q=skatteetaten')).toEqual(['(Brev fra Skatteetaten)']);
      // A sensitive letter's sender is hidden at that level, so searching by it finds nothing.
      expect(await search(substantial, 'sender=958300018')).toEqual([]);
      expect(await search(high, 'sender=958300018')).toEqual(['Årsoppgjør med restskatt']);
    });

    it('finds by sender, date and read state, and leaves the trash out unless asked', async () => {
      expect((await search(high, 'sender=Sender%20974000008')).sort()).toEqual([
        'Rabatt 100% på_alt',
        'Vedtak om bostøtte',
      ]);
      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      expect(await search(high, `from=${today}&to=${today}`)).toHaveLength(3);
      expect(await search(high, `to=${yesterday}`)).toEqual([]);
      const list = (await api(server, high, 'GET', `/api/v1/mailboxes/${box}/messages`)).body.items;
      const rabatt = list.find((i: { subject: string }) => i.subject.startsWith('Rabatt'));
      await api(server, high, 'PATCH', `/api/v1/mailboxes/${box}/messages/${rabatt.id}`, { read: true });
      expect((await search(high, 'unread=true')).sort()).toEqual(['Vedtak om bostøtte', 'Årsoppgjør med restskatt']);
      expect(await search(high, 'unread=false')).toEqual(['Rabatt 100% på_alt']);
      await api(server, high, 'DELETE', `/api/v1/mailboxes/${box}/messages/${rabatt.id}`);
      expect(await search(high, 'q=rabatt')).toEqual([]);
      expect(await search(high, 'q=rabatt&folder=trash')).toEqual(['Rabatt 100% på_alt']);
    });

    it("refuses bad dates and another person's mailbox", async () => {
      for (const bad of [
        'yesterday',
        '1',
        '2026',
        '2026-02-31',
        '2026-13-45',
        '%2B010000-01-01',
        '2026-02-31T10:00:00Z',
      ]) {
        const res = await api(server, high, 'GET', `/api/v1/mailboxes/${box}/messages?from=${bad}`);
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors[0], bad).toMatchObject({ path: 'query.from', code: 'invalid_date' });
      }
      // The far ends of four-digit years are dates like any other.
      expect(await search(high, 'from=9999-12-31')).toEqual([]);
      const all = await search(high, 'from=2000-01-01');
      expect(all.length).toBeGreaterThan(0);
      expect(await search(high, 'to=9999-12-31')).toEqual(all);
      expect(await search(high, 'from=2000-01-01T00:00:00%2B01:00')).toEqual(all);
      expectProblem(
        await api(server, high, 'GET', `/api/v1/mailboxes/${box}/messages?q=${'x'.repeat(101)}`),
        400,
        'validation_failed',
      );
      await server.person(people.ola);
      const ola = await server.token(people.ola, 'high');
      expectProblem(await api(server, ola, 'GET', `/api/v1/mailboxes/${box}/messages?q=vedtak`), 404, 'not_found');
    });
  });
}
