import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

describe.each(dialects)('a letter from sender to mailbox (%s)', (dialect) => {
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ apiKey } = await server.sender('public'));
    ({ mailboxId } = await server.person(people.kari, 'Kari Nordmann'));
    token = await server.token(people.kari, 'high');
  });
  afterAll(() => server.close());

  it('arrives, is listed, and its PDF comes back byte-identical', async () => {
    const message = letterJson({ openingReceipt: true, senderReference: 'case-1' });
    const sent = await sendLetterHttp(server, apiKey, message);
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ id: message.id, status: 'DELIVERED', rejectReason: null, documentCount: 1 });
    expect(sent.body.events.map((e: { type: string }) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    // The sender reads back what was stored of the letter, defaults included.
    const stored = {
      subject: 'Vedtak om bostøtte',
      nonSensitiveTitle: 'Brev fra kommunen',
      senderReference: 'case-1',
      authLevel: 'substantial',
      sensitivity: 'normal',
      openingReceipt: true,
      legalNotification: false,
      mandatory: false,
      replyBy: null,
    };
    expect(sent.body).toMatchObject(stored);
    expect((await api(server, apiKey, 'GET', `/api/v1/messages/${message.id}`)).body).toMatchObject(stored);

    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    expect(list.status).toBe(200);
    const item = list.body.items.find((i: { subject: string }) => i.subject === 'Vedtak om bostøtte');
    expect(item).toMatchObject({ read: false, restricted: false, sender: { orgNumber: '974000008' } });

    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    expect(detail.body.documents).toHaveLength(1);
    const doc = detail.body.documents[0];
    expect(doc).toMatchObject({
      role: 'main',
      filename: 'vedtak.pdf',
      mediaType: 'application/pdf',
      size: tinyPdf.length,
    });

    const content = await api(
      server,
      token,
      'GET',
      `/api/v1/mailboxes/${mailboxId}/messages/${item.id}/documents/${doc.id}/content`,
    );
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toBe('application/pdf');
    expect(content.headers.get('content-disposition')).toContain('vedtak.pdf');
    expect(Buffer.compare(content.body, tinyPdf)).toBe(0);

    // The first opening is recorded once, and told to the sender who asked for a receipt.
    const status = await fetch(`${server.url}/api/v1/messages/${message.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await status.json()) as { openedAt: string; events: Array<{ type: string; data: unknown }> };
    expect(body.openedAt).toEqual(expect.any(String));
    expect(body.events.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED', 'OPENED']);
    expect(body.events[2]?.data).toEqual({ by: 'recipient' });
    await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}/documents/${doc.id}/content`);
    const again = await fetch(`${server.url}/api/v1/messages/${message.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const againBody = (await again.json()) as { openedAt: string; events: Array<{ type: string }> };
    expect(againBody.openedAt).toBe(body.openedAt);
    expect(againBody.events).toHaveLength(3);

    const after = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    expect(after.body.read).toBe(true);
  });

  it.each([
    ['Norwegian letters', 'Vedtak om bostøtte – Ærø.pdf', 'Vedtak om bostotte - AEro.pdf'],
    ['Danish and accents', 'Årsopgørelse é.pdf', 'Arsopgorelse e.pdf'],
    ['Greek and CJK', 'Απόφαση 決定.pdf', '_ _.pdf'],
    ['only ASCII, with a percent sign', 'svar 100% (kopi).pdf', 'svar 100% (kopi).pdf'],
  ])(
    'downloads a document whose file name has %s, named in full in filename* and in ASCII in filename',
    async (_n, filename, ascii) => {
      const message = letterJson({
        subject: `Filnavn ${filename}`,
        documents: [{ part: 'main', role: 'main', filename, mediaType: 'application/pdf', title: 'Vedtak' }],
      });
      expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
      const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
      const item = list.body.items.find((i: { subject: string }) => i.subject === `Filnavn ${filename}`);
      const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
      const doc = detail.body.documents[0];
      expect(doc.filename).toBe(filename);
      for (const query of ['', '?download=true']) {
        const path = `/api/v1/mailboxes/${mailboxId}/messages/${item.id}/documents/${doc.id}/content${query}`;
        const content = await api(server, token, 'GET', path);
        expect(content.status, String(content.body)).toBe(200);
        expect(Buffer.compare(content.body, tinyPdf)).toBe(0);
        const header = content.headers.get('content-disposition') ?? '';
        expect(header).toMatch(query ? /^attachment;/ : /^inline;/);
        // Every byte of the header is printable ASCII, whatever the name.
        expect(header).toMatch(/^[\x20-\x7e]+$/);
        expect(header).toContain(`filename="${ascii}"`);
        const star = /filename\*=UTF-8''([^;]+)/.exec(header);
        if (filename === ascii) expect(star, header).toBeNull();
        else expect(decodeURIComponent(star?.[1] ?? ''), header).toBe(filename);
      }
    },
  );

  it('takes a media type in any case, as HTTP does, and keeps it in lower case', async () => {
    const message = letterJson({
      subject: 'Store bokstaver',
      documents: [{ part: 'main', role: 'main', filename: 'a.pdf', mediaType: 'Application/PDF', title: 'A' }],
    });
    const sent = await sendLetterHttp(server, apiKey, message);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
    const item = list.body.items.find((i: { subject: string }) => i.subject === 'Store bokstaver');
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    expect(detail.body.documents[0].mediaType).toBe('application/pdf');
  });

  it('answers HEAD on a document with its headers and records no opening; the GET after it does', async () => {
    const message = letterJson({ openingReceipt: true, subject: 'Bare hodet' });
    expect((await sendLetterHttp(server, apiKey, message)).status).toBe(201);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
    const item = list.body.items.find((i: { subject: string }) => i.subject === 'Bare hodet');
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    const path = `/api/v1/mailboxes/${mailboxId}/messages/${item.id}/documents/${detail.body.documents[0].id}/content`;
    const head = await fetch(`${server.url}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/pdf');
    expect(head.headers.get('content-length')).toBe(String(tinyPdf.length));
    expect(head.headers.get('content-disposition')).toContain('vedtak.pdf');
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const events = async () => {
      const res = await fetch(`${server.url}/api/v1/messages/${message.id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      return ((await res.json()) as { events: Array<{ type: string }> }).events.map((e) => e.type);
    };
    expect(await events()).toEqual(['ACCEPTED', 'DELIVERED']);
    const after = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    expect(after.body.read).toBe(false);
    // HEAD by another person is refused like GET.
    const other = await server.token(people.ingrid, 'high');
    const refused = await fetch(`${server.url}${path}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${other}` },
    });
    expect(refused.status).toBe(404);
    const got = await api(server, token, 'GET', path);
    expect(Buffer.compare(got.body, tinyPdf)).toBe(0);
    expect(await events()).toEqual(['ACCEPTED', 'DELIVERED', 'OPENED']);
  });

  it('tells the sender nothing about opening when no receipt was asked for', async () => {
    const message = letterJson();
    await sendLetterHttp(server, apiKey, message);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=1`);
    const letter = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${list.body.items[0].id}`);
    await api(
      server,
      token,
      'GET',
      `/api/v1/mailboxes/${mailboxId}/messages/${letter.body.id}/documents/${letter.body.documents[0].id}/content`,
    );
    const status = await fetch(`${server.url}/api/v1/messages/${message.id}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const body = (await status.json()) as { openedAt: string | null; events: Array<{ type: string }> };
    expect(body.openedAt).toBeNull();
    expect(body.events.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
  });

  it('rejects a letter to a person without a mailbox, with a reason code', async () => {
    const message = letterJson({ recipient: { nationalId: people.per } });
    const sent = await sendLetterHttp(server, apiKey, message);
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_has_no_mailbox' });
    expect(sent.body.events.map((e: { type: string }) => e.type)).toEqual(['REJECTED']);
  });

  it('delivers to an organization mailbox by organization number', async () => {
    await server.organization('958300018');
    const sent = await sendLetterHttp(server, apiKey, letterJson({ recipient: { orgNumber: '958300018' } }));
    expect(sent.body.status).toBe('DELIVERED');
  });

  it('pages the inbox newest first with a cursor', async () => {
    const { apiKey: key } = await server.sender('public');
    const { mailboxId: box } = await server.person(people.ola);
    const olaToken = await server.token(people.ola);
    const subjects: string[] = [];
    for (let i = 0; i < 7; i++) {
      subjects.push(`Letter ${i}`);
      await sendLetterHttp(server, key, letterJson({ recipient: { nationalId: people.ola }, subject: `Letter ${i}` }));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = await api(server, olaToken, 'GET', `/api/v1/mailboxes/${box}/messages?limit=3${q}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { subject: string }) => i.subject));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...subjects].reverse());
  });

  it.each(['after', 'cursor'])('reads the event feed in order with the position passed as %s', async (name) => {
    const { apiKey: key } = await server.sender('public');
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = letterJson();
      ids.push(m.id);
      await sendLetterHttp(server, key, m);
    }
    // PostgreSQL shows an event once every older transaction on the server has ended, so the
    // feed may trail a 201 briefly: poll as a sender's client would, until all have arrived.
    const seen: Array<{ messageId: string; type: string }> = [];
    let after = '';
    const deadline = Date.now() + 10_000;
    while (seen.length < ids.length * 2 && Date.now() < deadline) {
      const res = await fetch(`${server.url}/api/v1/events?limit=3${after ? `&${name}=${after}` : ''}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const page = (await res.json()) as { items: Array<{ messageId: string; type: string }>; nextCursor: string };
      if (page.items.length === 0) {
        expect(page.nextCursor).toBe(after === '' ? null : after);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      seen.push(...page.items);
      after = page.nextCursor;
    }
    expect(seen.map((e) => `${e.messageId}:${e.type}`)).toEqual(
      ids.flatMap((id) => [`${id}:ACCEPTED`, `${id}:DELIVERED`]),
    );
    // Both names at once must agree.
    const both = await fetch(`${server.url}/api/v1/events?after=${after}&cursor=${after}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(both.status).toBe(200);
    const first = (await (
      await fetch(`${server.url}/api/v1/events?limit=1`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { nextCursor: string };
    const disagree = await fetch(`${server.url}/api/v1/events?after=${after}&cursor=${first.nextCursor}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(disagree.status).toBe(400);
    expect(((await disagree.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('conflicting_cursor');
  });
});
