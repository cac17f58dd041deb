import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { buildApp } from '@postkasse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, letterJson, people, sendLetterHttp, startTestServer, type TestServer } from '../../../test/harness.js';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

describe('letters at rest (sqlite: database file, WAL and blobs in the data dir)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(() => server.close());

  it('keeps no plaintext byte run of a document anywhere in the data dir', async () => {
    const { apiKey } = await server.sender('public');
    const { mailboxId } = await server.person(people.kari);
    const marker = `KONFIDENSIELT-${randomUUID()}`;
    const pdf = Buffer.from(`%PDF-1.4\n% ${marker}\n${'helseopplysninger '.repeat(200)}\n%%EOF\n`);
    // The attachment is larger than the database keeps inline (256 KiB), so it becomes a file:
    // both places a document's bytes can be are looked at.
    const attachment = Buffer.from(`${marker} vedlegg ${'diagnose '.repeat(40_000)}`);
    const message = letterJson({
      documents: [
        { part: 'main', role: 'main', filename: 'vedtak.pdf', mediaType: 'application/pdf' },
        { part: 'att', role: 'attachment', filename: 'vedlegg.txt', mediaType: 'text/plain' },
      ],
    });
    const sent = await sendLetterHttp(server, apiKey, message, [
      { name: 'main', content: pdf, type: 'application/pdf' },
      { name: 'att', content: attachment, type: 'text/plain' },
    ]);
    expect(sent.status).toBe(201);

    const files = await filesUnder(server.dataDir);
    // One document's file, and the mark of the installation the blob store belongs to.
    const blobFiles = files.filter((f) => f.includes(`${join('blobs', '')}`));
    expect(blobFiles.filter((f) => !f.endsWith('.installation'))).toHaveLength(1);
    expect(blobFiles).toContain(join(server.dataDir, 'blobs', '.installation'));
    // Everything in the data dir is this user's alone: the database and its log, keys, blobs.
    for (const file of files) expect((await stat(file)).mode & 0o077, file).toBe(0);
    expect(files).toEqual(expect.arrayContaining([join(server.dataDir, 'postkasse.sqlite-wal')]));
    const inline = await server.ctx.deps.store.read.blobContents.listOlderThan(
      new Date(Date.now() + 60_000).toISOString(),
      null,
      10,
    );
    expect(inline).toHaveLength(1);
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.includes(Buffer.from(marker)), file).toBe(false);
      expect(bytes.includes(Buffer.from('helseopplysninger helseopplysninger')), file).toBe(false);
      expect(bytes.includes(Buffer.from('diagnose diagnose')), file).toBe(false);
    }

    // …and yet the owner reads it back exactly.
    const token = await server.token(people.kari);
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${list.body.items[0].id}`);
    const [main, att] = detail.body.documents;
    const base = `/api/v1/mailboxes/${mailboxId}/messages/${detail.body.id}/documents`;
    expect(Buffer.compare((await api(server, token, 'GET', `${base}/${main.id}/content`)).body, pdf)).toBe(0);
    expect(Buffer.compare((await api(server, token, 'GET', `${base}/${att.id}/content`)).body, attachment)).toBe(0);
  });
});

describe('logs', () => {
  let server: TestServer;
  const lines: string[] = [];
  let url: string;
  beforeAll(async () => {
    server = await startTestServer('sqlite', { LOG_LEVEL: 'info' });
    await server.app.close();
    const app = await buildApp(server.ctx, { logStream: { write: (line) => lines.push(line) } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    server.app = app;
  });
  afterAll(() => server.close());

  it('mask national ids and never contain credentials', async () => {
    const { apiKey } = await server.sender('public');
    await server.person(people.kari);
    const token = await server.token(people.kari);
    const local = { ...server, url };
    await sendLetterHttp(local, apiKey, letterJson());
    await sendLetterHttp(local, apiKey, letterJson({ recipient: { nationalId: '12858510128' } }));
    await fetch(`${url}/api/v1/people/${people.kari}?id=${people.mette}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await fetch(`${url}/api/v1/me/mailboxes`, { headers: { authorization: `Bearer ${token}x` } });
    await fetch(`${url}/auth/callback?code=ONE-TIME-CODE-42&state=STATE-42`);
    const log = lines.join('');
    expect(log).toContain('/auth/callback?code=[redacted]');
    expect(log).not.toContain('ONE-TIME-CODE-42');
    expect(log).not.toContain('STATE-42');
    expect(lines.length).toBeGreaterThan(3);
    expect(log).toContain('128585*****');
    for (const secret of [people.kari, people.mette, '12858510128', apiKey, token]) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });

  it("name the client by the peer's address, and believe X-Forwarded-For only from a trusted proxy", async () => {
    const requestLines = (from: number) =>
      lines
        .slice(from)
        .map((l) => JSON.parse(l) as { msg?: string; ip?: string; url?: string })
        .filter((l) => l.msg === 'request' && l.url === '/healthz');
    const from = lines.length;
    await fetch(`${url}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(requestLines(from).map((l) => l.ip)).toEqual(['127.0.0.1']);

    // Behind a proxy at 127.0.0.1 (POSTKASSE_TRUST_PROXY=127.0.0.1): the address it forwards.
    const proxied: string[] = [];
    const app = await buildApp(
      { ...server.ctx, config: { ...server.ctx.config, trustProxy: ['127.0.0.1'] } },
      { logStream: { write: (line) => proxied.push(line) } },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.4, 203.0.113.7' } });
      const logged = proxied
        .map((l) => JSON.parse(l) as { msg?: string; ip?: string })
        .filter((l) => l.msg === 'request');
      // The proxy appended the client it saw last; what came before it the client wrote itself.
      expect(logged.map((l) => l.ip)).toEqual(['203.0.113.7']);
    } finally {
      await app.close();
    }
  });

  it('leave out search words and other free query values, and mask ids hidden by percent-encoding', async () => {
    const { mailboxId } = await server.person(people.ola);
    const token = await server.token(people.ola);
    const from = lines.length;
    await fetch(
      `${url}/api/v1/mailboxes/${mailboxId}/messages?q=DIAGNOSE-HIV&sender=Klinikken&limit=5&from=2026-01-01`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    // 1285851%30129 is 12858510129 once decoded; a masking that reads the raw URL misses it.
    await fetch(`${url}/api/v1/me/consents/1285851%30129`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    const log = lines.slice(from).join('');
    expect(log).toContain('q=[redacted]&sender=[redacted]&limit=5&from=2026-01-01');
    expect(log).not.toContain('DIAGNOSE');
    expect(log).not.toContain('Klinikken');
    expect(log).toContain('/api/v1/me/consents/128585*****');
    expect(log).not.toContain('1285851%30129');
  });

  it('mask e-mail addresses, phone numbers and national ids inside logged errors (a failed job)', async () => {
    const from = lines.length;
    const smtp = Object.assign(new Error(`Can't send mail - all recipients were rejected: 550 <kari@example.org>`), {
      response: '550 5.1.1 <kari@example.org>: Recipient address rejected',
      rejected: ['kari@example.org'],
      rejectedErrors: [{ recipient: 'kari@example.org', mobile: '+4791234567', person: people.kari }],
    });
    server.app.log.warn({ err: smtp, job: { kind: 'notify' } }, 'job failed');
    const log = lines.slice(from).join('');
    expect(log).toContain('k***@example.org');
    expect(log).toContain('+47********');
    expect(log).toContain('Recipient address rejected');
    expect(log).toContain('"type":"Error"');
    for (const secret of ['kari@example.org', '91234567', people.kari]) expect(log).not.toContain(secret);
  });
});
