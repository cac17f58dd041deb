/**
 * The crash test: `kill -9` of the server in the middle of a stream of letters, then a restart.
 * Every letter that was acknowledged is there and readable, none is there twice, nothing
 * half-written is visible, and resending what was not acknowledged is safe (idempotent).
 *
 * The server runs as a separate process (`postkasse serve`) so it can really be SIGKILLed; the
 * sender, the recipient and the access token are made with the admin CLI on the same data.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterForm, type Part, people, tinyPdf } from '../../../test/harness.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { killAllServers, runCli, type ServerProcess, spawnServer } from '../../../test/spawn-server.js';

const dialects = await testDialects();

/** Requests in flight at once while streaming. */
const CONCURRENCY = 16;
/** The server is killed once this many letters (plus a random few) have been acknowledged. */
const KILL_AFTER = 300;
/** An upper bound on letters sent, in case the kill never comes. */
const MAX_LETTERS = 2000;
const REQUEST_TIMEOUT_MS = 20_000;
/** Letters whose upload is cut off halfway and left hanging until the kill. */
const STALLED_UPLOADS = 3;

type Doc = { part: string; role: 'main' | 'attachment'; filename: string; mediaType: string; content: Buffer };
type Planned = { index: number; id: string; subject: string; message: Record<string, unknown>; docs: Doc[] };
type Outcome =
  | { kind: 'acked'; replayed: boolean }
  | { kind: 'http'; status: number; body: string; afterKill: boolean }
  | { kind: 'error'; message: string; afterKill: boolean };

/** A PDF the content sniffer accepts, whose bytes are unique to this letter and part. */
function pdfFor(id: string, index: number, part: string, padding: number): Buffer {
  return Buffer.concat([
    Buffer.from(`%PDF-1.4\n% postkasse crash test: letter ${index} ${id} part ${part}\n%`),
    randomBytes(padding),
    Buffer.from('\n'),
    tinyPdf.subarray('%PDF-1.4\n'.length),
  ]);
}

/** Letter `index`: a main PDF; every third also a larger PDF attachment, every tenth a text one. */
function planLetter(index: number): Planned {
  const id = randomUUID();
  const subject = `Crash letter ${index} ${id}`;
  const docs: Doc[] = [
    {
      part: 'main',
      role: 'main',
      filename: `brev-${index}.pdf`,
      mediaType: 'application/pdf',
      content: pdfFor(id, index, 'main', 200 + (index % 17) * 97),
    },
  ];
  if (index % 3 === 0) {
    docs.push({
      part: 'vedlegg',
      role: 'attachment',
      filename: `vedlegg-${index}.pdf`,
      mediaType: 'application/pdf',
      content: pdfFor(id, index, 'vedlegg', 16_000 + (index % 11) * 4_000),
    });
  }
  if (index % 10 === 0) {
    docs.push({
      part: 'notat',
      role: 'attachment',
      filename: `notat-${index}.txt`,
      mediaType: 'text/plain',
      content: Buffer.from(`Notat til brev ${index} (${id}): æøå ${'x'.repeat(index % 50)}\n`),
    });
  }
  const message = {
    id,
    recipient: { nationalId: people.kari },
    subject,
    nonSensitiveTitle: 'Brev fra kommunen',
    authLevel: 'substantial',
    documents: docs.map((d) => ({ part: d.part, role: d.role, filename: d.filename, mediaType: d.mediaType })),
  };
  return { index, id, subject, message, docs };
}

function partsOf(letter: Planned): Part[] {
  return letter.docs.map((d) => ({ name: d.part, content: d.content, type: d.mediaType, filename: d.filename }));
}

async function postLetter(url: string, apiKey: string, letter: Planned) {
  const res = await fetch(`${url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
    body: letterForm(letter.message, partsOf(letter)),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true', text };
}

/**
 * Starts sending a letter but stops halfway through the body and never finishes: the server has
 * part of the upload when it is killed. Resolves to the error the request ends with.
 */
async function stalledUpload(url: string, apiKey: string, letter: Planned): Promise<string> {
  const encoded = new Request('http://localhost/', {
    method: 'POST',
    body: letterForm(letter.message, partsOf(letter)),
  });
  const contentType = encoded.headers.get('content-type') ?? '';
  const bytes = new Uint8Array(await encoded.arrayBuffer());
  const head = bytes.subarray(0, Math.floor(bytes.byteLength * 0.6));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
      // ...and the rest never comes.
    },
  });
  try {
    const res = await fetch(`${url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': contentType },
      body,
      duplex: 'half',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return `answered ${res.status}: ${await res.text()}`;
  } catch (error) {
    return String((error as Error).cause ?? error);
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function inPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type Summary = { id: string; subject: string | null; documentCount: number };

describe.each(dialects)('kill -9 in the middle of a stream of letters (%s)', (dialect) => {
  let dataDir: string;
  let db: { url: string; drop(): Promise<void> } | null = null;
  let env: Record<string, string>;
  let server: ServerProcess | null = null;
  let apiKey: string;
  let mailboxId: string;
  let token: string;

  const planned = new Map<string, Planned>();
  const outcomes = new Map<string, Outcome>();
  let inFlightAtKill: string[] = [];
  /** Letters cut off halfway through their upload at the kill. */
  const stalled: string[] = [];
  /** Mailbox letters already opened and found complete since the restart. */
  const verified = new Set<string>();
  let killAfter = KILL_AFTER;

  const acked = () => [...outcomes].filter(([, o]) => o.kind === 'acked').map(([id]) => id);
  const notAcked = () => [...outcomes].filter(([, o]) => o.kind !== 'acked').map(([id]) => id);
  const letterOf = (id: string) => {
    const letter = planned.get(id);
    if (!letter) throw new Error(`no planned letter ${id}`);
    return letter;
  };

  async function recipient(method: string, path: string) {
    const res = await fetch(`${server?.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(bytes.toString('utf8')) : null;
    return { status: res.status, bytes, json: json as any };
  }

  /** Every letter in the inbox, paged with nextCursor. */
  async function listInbox(): Promise<Summary[]> {
    const all: Summary[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 1000; pages++) {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await recipient('GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200${q}`);
      expect(page.status, page.bytes.toString()).toBe(200);
      all.push(...(page.json.items as Summary[]));
      cursor = page.json.nextCursor;
      if (!cursor) return all;
    }
    throw new Error('the inbox pages never end');
  }

  /** The sender's letter id named in a subject we wrote. */
  function externalIdOf(item: Summary): string {
    const match = /^Crash letter \d+ ([0-9a-f-]{36})$/.exec(item.subject ?? '');
    if (!match?.[1]) throw new Error(`a letter we did not send is in the mailbox: ${JSON.stringify(item)}`);
    return match[1];
  }

  /** Opens a letter in the mailbox and checks it is complete: every document there and byte-identical. */
  async function expectComplete(item: Summary): Promise<void> {
    const letter = letterOf(externalIdOf(item));
    // Each letter is opened once after the restart; nothing writes to it in between.
    if (verified.has(item.id)) return;
    const detail = await recipient('GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    expect(detail.status, detail.bytes.toString()).toBe(200);
    expect(detail.json.restricted).toBe(false);
    expect(item.documentCount).toBe(letter.docs.length);
    expect(detail.json.documentCount).toBe(letter.docs.length);
    const docs = detail.json.documents as Array<{ id: string; role: string; filename: string; size: number }>;
    expect(docs.map((d) => [d.role, d.filename, d.size])).toEqual(
      letter.docs.map((d) => [d.role, d.filename, d.content.byteLength]),
    );
    for (const [i, doc] of docs.entries()) {
      const content = await recipient(
        'GET',
        `/api/v1/mailboxes/${mailboxId}/messages/${item.id}/documents/${doc.id}/content`,
      );
      expect(content.status, `letter ${letter.index} document ${doc.filename}: ${content.bytes}`).toBe(200);
      const same = Buffer.compare(content.bytes, letter.docs[i]?.content ?? Buffer.alloc(0)) === 0;
      expect(same, `letter ${letter.index} document ${doc.filename} is not byte-identical`).toBe(true);
    }
    verified.add(item.id);
  }

  /** The sender's event feed: for each letter id, its event types in feed order. */
  async function readFeed(): Promise<Map<string, string[]>> {
    const byLetter = new Map<string, string[]>();
    let after = '';
    for (let pages = 0; pages < 1000; pages++) {
      const res = await fetch(`${server?.url}/api/v1/events?limit=1000${after ? `&after=${after}` : ''}`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: Array<{ messageId: string; type: string }>; nextCursor: string };
      if (page.items.length === 0) return byLetter;
      for (const e of page.items) byLetter.set(e.messageId, [...(byLetter.get(e.messageId) ?? []), e.type]);
      after = page.nextCursor;
    }
    throw new Error('the event feed never ends');
  }

  /** Checks the mailbox holds exactly `expected` (external ids), each once and complete in the server's count. */
  async function expectMailboxHoldsExactly(expected: Set<string>): Promise<Summary[]> {
    const items = await listInbox();
    const ids = items.map((i) => i.id);
    expect(new Set(ids).size, 'a letter is listed twice').toBe(ids.length);
    const external = items.map(externalIdOf);
    const twice = external.filter((id, i) => external.indexOf(id) !== i);
    expect(twice, 'a sender letter id is in the mailbox twice').toEqual([]);
    expect([...external].sort()).toEqual([...expected].sort());

    const folders = await recipient('GET', `/api/v1/mailboxes/${mailboxId}/folders`);
    expect(folders.status).toBe(200);
    const inbox = (folders.json.items as Array<{ kind: string; total: number }>).find((f) => f.kind === 'inbox');
    expect(inbox?.total, "the inbox's count differs from its listing").toBe(items.length);

    // The sender's view agrees: every letter it has is in the feed once, ACCEPTED then DELIVERED.
    // (In PostgreSQL the feed holds back transactions newer than the oldest one running anywhere
    // on the server, so give a concurrent test's transaction a moment to end.)
    let feed = await readFeed();
    for (let tries = 0; tries < 50 && feed.size < expected.size; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      feed = await readFeed();
    }
    expect([...feed.keys()].sort()).toEqual([...expected].sort());
    for (const [id, types] of feed) expect(types, `events of ${id}`).toEqual(['ACCEPTED', 'DELIVERED']);
    return items;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'postkasse-crash-'));
    db = dialect === 'postgres' ? await createTestDatabase() : null;
    env = {
      POSTKASSE_DATA_DIR: dataDir,
      // Tokens name this issuer whatever port the server gets on each start.
      POSTKASSE_PUBLIC_URL: 'http://postkasse.crash-test.invalid',
      LOG_LEVEL: 'warn',
      ...(db ? { DATABASE_URL: db.url } : {}),
    };
    // The first command creates the database, the master key file and the test issuer's key.
    const sender = JSON.parse(
      await runCli(['admin', 'sender', 'create', '--org', '974000008', '--name', 'Krasj kommune', '--json'], env),
    );
    apiKey = sender.apiKey;
    const [person, issued] = await Promise.all([
      runCli(['admin', 'person', 'create', '--id', people.kari, '--json'], env),
      runCli(['admin', 'token', '--id', people.kari, '--json'], env),
    ]);
    mailboxId = JSON.parse(person).mailboxId;
    token = JSON.parse(issued).accessToken;
    expect(apiKey).toEqual(expect.any(String));
    expect(mailboxId).toEqual(expect.any(String));
    server = await spawnServer(env);
  }, 90_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await killAllServers();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('streams letters, is killed with SIGKILL mid-stream, and starts again on the same data', async () => {
    const victim = server as ServerProcess;
    killAfter = KILL_AFTER + Math.floor(Math.random() * 50);
    let killed = false;
    let next = 0;
    let ackCount = 0;
    const inFlight = new Set<string>();
    const stalledRequests: Array<Promise<string>> = [];

    const worker = async () => {
      while (!killed && next < MAX_LETTERS) {
        const letter = planLetter(next++);
        planned.set(letter.id, letter);
        inFlight.add(letter.id);
        let outcome: Outcome;
        try {
          const res = await postLetter(victim.url, apiKey, letter);
          let body: { id?: string; status?: string } = {};
          try {
            body = JSON.parse(res.text);
          } catch {
            // not JSON: not an acknowledgment
          }
          outcome =
            res.status === 201 && body.id === letter.id && body.status === 'DELIVERED'
              ? { kind: 'acked', replayed: res.replayed }
              : { kind: 'http', status: res.status, body: res.text.slice(0, 500), afterKill: killed };
        } catch (error) {
          outcome = { kind: 'error', message: String((error as Error).cause ?? error), afterKill: killed };
        }
        inFlight.delete(letter.id);
        outcomes.set(letter.id, outcome);
        if (outcome.kind === 'acked') ackCount++;
        if (!killed && stalledRequests.length === 0 && ackCount >= killAfter - 40) {
          for (let i = 0; i < STALLED_UPLOADS; i++) {
            const cut = planLetter(next++);
            planned.set(cut.id, cut);
            stalled.push(cut.id);
            inFlight.add(cut.id);
            stalledRequests.push(stalledUpload(victim.url, apiKey, cut));
          }
        }
        if (!killed && ackCount >= killAfter) {
          killed = true;
          inFlightAtKill = [...inFlight];
          process.kill(victim.pid, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await victim.stop('SIGKILL');
    expect(killed, `the server was never killed: ${victim.output()}`).toBe(true);
    const stalledEnds = await Promise.all(stalledRequests);
    stalled.forEach((id, i) => {
      outcomes.set(id, { kind: 'error', message: stalledEnds[i] ?? '', afterKill: true });
    });
    expect(
      stalledEnds.filter((e) => e.startsWith('answered')),
      'a half-sent letter was answered',
    ).toEqual([]);

    // Until the kill, every letter was acknowledged: the stream itself was healthy.
    const earlyFailures = [...outcomes.values()].filter((o) => o.kind !== 'acked' && !o.afterKill);
    expect(earlyFailures, victim.output()).toEqual([]);
    expect(acked().length).toBeGreaterThanOrEqual(killAfter);
    // The kill really came in the middle of the stream.
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    expect(notAcked().length).toBeGreaterThan(0);
    expect(notAcked().every((id) => inFlightAtKill.includes(id))).toBe(true);

    server = await spawnServer(env);
  }, 60_000);

  it('has every acknowledged letter, delivered, with every document byte-identical', async () => {
    const ackedIds = acked();
    const statuses = await inPool(ackedIds, CONCURRENCY, async (id) => {
      const res = await fetch(`${server?.url}/api/v1/messages/${id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const body = (await res.json()) as { status: string; documentCount: number; events: Array<{ type: string }> };
      return { id, status: res.status, body };
    });
    const missing = statuses.filter((s) => s.status !== 200).map((s) => `${s.id}: ${s.status}`);
    expect(missing, 'acknowledged letters the server no longer knows').toEqual([]);
    for (const s of statuses) {
      expect(s.body.status).toBe('DELIVERED');
      expect(s.body.documentCount).toBe(letterOf(s.id).docs.length);
      expect(s.body.events.map((e) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    }

    const items = await listInbox();
    const bySender = new Map(items.map((i) => [externalIdOf(i), i]));
    const notInMailbox = ackedIds.filter((id) => !bySender.has(id));
    expect(notInMailbox, 'acknowledged letters missing from the mailbox').toEqual([]);
    await inPool(ackedIds, CONCURRENCY, (id) => expectComplete(bySender.get(id) as Summary));
  }, 60_000);

  it('lists each letter once, and as many letters as the server has, all of them complete', async () => {
    // What the server has: the acknowledged letters, and any of those in flight at the kill that
    // committed before it (the sender's status endpoint says which).
    const inFlightKnown = await inPool(notAcked(), CONCURRENCY, async (id) => {
      const res = await fetch(`${server?.url}/api/v1/messages/${id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      expect([200, 404]).toContain(res.status);
      return res.status === 200 ? id : null;
    });
    const has = new Set([...acked(), ...inFlightKnown.filter((id): id is string => id !== null)]);
    // A letter whose upload never finished cannot have been stored.
    expect(
      stalled.filter((id) => has.has(id)),
      'half-uploaded letters that exist',
    ).toEqual([]);
    const items = await expectMailboxHoldsExactly(has);
    // Nothing half-written: every letter the mailbox shows, in flight at the kill or not, is whole.
    await inPool(items, CONCURRENCY, expectComplete);
  }, 60_000);

  it('accepts every letter that was not acknowledged when sent again, and then holds each exactly once', async () => {
    const existedBefore = new Set((await listInbox()).map(externalIdOf));
    const resent = await inPool(notAcked(), CONCURRENCY, async (id) => ({
      id,
      res: await postLetter(server?.url as string, apiKey, letterOf(id)),
    }));
    for (const { id, res } of resent) {
      expect(res.status, res.text).toBe(201);
      expect(JSON.parse(res.text)).toMatchObject({ id, status: 'DELIVERED', documentCount: letterOf(id).docs.length });
      // A letter that made it in before the kill is answered as a replay, not stored again.
      expect(res.replayed, `replayed header of ${id}`).toBe(existedBefore.has(id));
    }
    // Sending an acknowledged letter again is a replay too, across the crash.
    const again = await inPool(acked(), CONCURRENCY, (id) => postLetter(server?.url as string, apiKey, letterOf(id)));
    for (const res of again) {
      expect(res.status, res.text).toBe(201);
      expect(res.replayed).toBe(true);
    }

    const items = await expectMailboxHoldsExactly(new Set(planned.keys()));
    const newcomers = items.filter((i) => !existedBefore.has(externalIdOf(i)));
    await inPool(newcomers, CONCURRENCY, expectComplete);
  }, 60_000);
});
