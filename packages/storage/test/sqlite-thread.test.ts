import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Letter, NewLetterUnit, Store } from '@postkasse/core';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterRecord, seedSenderAndMailbox } from '../../../test/letter-record.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { openPostgresStore, openSqliteStore } from '../src/index.js';
import { startSqliteThread } from '../src/sqlite-thread.js';

const dialects = await testDialects();
const now = () => new Date().toISOString();

/** SQLite with and without its writer thread, and PostgreSQL: `store.insert` answers alike on all. */
const variants = [
  { name: 'sqlite, writer thread', dialect: 'sqlite', thread: true },
  { name: 'sqlite, event loop only', dialect: 'sqlite', thread: false },
  ...(dialects.includes('postgres') ? [{ name: 'postgres', dialect: 'postgres', thread: false }] : []),
] as const;

describe.each(variants)('guarded inserts ($name)', ({ dialect, thread }) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let file = '';
  const senderId = randomUUID();
  const mailboxId = randomUUID();

  beforeAll(async () => {
    if (dialect === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'pk-writer-'));
      file = join(dir, 'db.sqlite');
      store = await openSqliteStore(file, { thread });
      cleanup = () => rm(dir, { recursive: true, force: true });
    } else {
      const db = await createTestDatabase();
      store = await openPostgresStore(db.url);
      cleanup = db.drop;
    }
    await seedSenderAndMailbox(store, { senderId, mailboxId });
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  const unit = (over: Partial<Letter> = {}, documents = 1, events = 2): NewLetterUnit => {
    const letter = letterRecord({ senderId, recipientId: '12858510129', mailboxId, documentCount: documents, ...over });
    return {
      letter,
      documents: Array.from({ length: documents }, (_, ordinal) => ({
        id: randomUUID(),
        letterId: letter.id,
        ordinal,
        role: ordinal === 0 ? ('main' as const) : ('attachment' as const),
        title: null,
        filename: `d${ordinal}.pdf`,
        mediaType: 'application/pdf',
        language: null,
        size: 3,
        sha256: 'x'.repeat(64),
        blobKey: randomUUID(),
        wrappedKey: Buffer.from([ordinal, 1, 2]),
        contentId: randomUUID(),
      })),
      events: Array.from({ length: events }, (_, i) => ({
        id: randomUUID(),
        letterId: letter.id,
        senderId,
        type: i === 0 ? ('ACCEPTED' as const) : ('DELIVERED' as const),
        at: now(),
        data: { n: i },
      })),
      jobs: [{ id: randomUUID(), kind: 'letter.print_if_unread' as const, ref: letter.id, payload: {}, runAt: now() }],
      blobs: [{ key: randomUUID(), data: randomBytes(3000) }],
    };
  };

  it('stores a letter with its documents, events and jobs, readable at once', async () => {
    const u = unit({}, 3, 2);
    expect(await store.insert.letter(u)).toBe(true);
    const letter = await store.read.letters.findByExternalId(senderId, u.letter.externalId);
    expect(letter?.id).toBe(u.letter.id);
    const documents = await store.read.documents.listByLetter(u.letter.id);
    expect(documents.map((d) => d.filename)).toEqual(['d0.pdf', 'd1.pdf', 'd2.pdf']);
    expect(Buffer.from(documents[1]!.wrappedKey)).toEqual(Buffer.from([1, 1, 2]));
    expect(documents[2]!.contentId).toBe(u.documents[2]!.contentId);
    const events = await store.read.events.listByLetter(u.letter.id);
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ['ACCEPTED', { n: 0 }],
      ['DELIVERED', { n: 1 }],
    ]);
    const blob = u.blobs[0]!;
    expect(Buffer.from((await store.read.blobContents.get(blob.key))!)).toEqual(Buffer.from(blob.data));
  });

  it("answers false and stores nothing of the second letter when the sender's id is taken", async () => {
    const first = unit();
    const second = unit({ externalId: first.letter.externalId });
    expect(await store.insert.letter(first)).toBe(true);
    expect(await store.insert.letter(second)).toBe(false);
    expect(await store.read.letters.getMany([first.letter.id, second.letter.id])).toHaveLength(1);
    expect(await store.read.documents.listByLetter(second.letter.id)).toEqual([]);
    expect(await store.read.events.listByLetter(second.letter.id)).toEqual([]);
    expect(await store.read.blobContents.get(second.blobs[0]!.key)).toBeNull();
  });

  it('stores one of many concurrent letters with the same id', async () => {
    const externalId = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => store.insert.letter(unit({ externalId }))));
    expect(answers.filter(Boolean)).toHaveLength(1);
  });

  it('rolls back a failing unit alone: the letters committed with it stay', async () => {
    const good = Array.from({ length: 5 }, () => unit());
    const bad = unit({ senderId: randomUUID() }); // no such sender: a foreign key fails
    const results = await Promise.allSettled(
      [...good.slice(0, 2), bad, ...good.slice(2)].map((u) => store.insert.letter(u)),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const failure = (results[2] as PromiseRejectedResult).reason as Error;
    expect(failure).toBeInstanceOf(Error);
    expect(failure.message).toMatch(/foreign key/i);
    expect(await store.read.letters.getMany(good.map((u) => u.letter.id))).toHaveLength(5);
    expect(await store.read.letters.getMany([bad.letter.id])).toEqual([]);
    expect(await store.read.events.listByLetter(bad.letter.id)).toEqual([]);
    expect(await store.read.blobContents.get(bad.blobs[0]!.key)).toBeNull();
  });

  it('refuses a letter whose mailbox or folder does not exist, as the foreign keys would', async () => {
    const good = unit();
    const noMailbox = unit({ mailboxId: randomUUID() });
    const noFolder = unit({ folderId: randomUUID() });
    const results = await Promise.allSettled([noMailbox, good, noFolder].map((u) => store.insert.letter(u)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    for (const r of [results[0], results[2]] as PromiseRejectedResult[]) {
      expect(String((r.reason as Error).message)).toMatch(/foreign key/i);
    }
    expect(await store.read.letters.getMany([noMailbox.letter.id, good.letter.id, noFolder.letter.id])).toHaveLength(1);
    expect(await store.read.events.listByLetter(noFolder.letter.id)).toEqual([]);
  });

  it('stores a letter inside a unit of work too (a batch letter), with or without a mailbox', async () => {
    const delivered = unit();
    const held = unit({ mailboxId: null, status: 'HELD', deliveredAt: null });
    const noMailbox = unit({ mailboxId: randomUUID() });
    expect(await store.write((r) => r.letters.insertWithContents(delivered))).toBe(true);
    expect(await store.write((r) => r.letters.insertWithContents(held))).toBe(true);
    await expect(store.write((r) => r.letters.insertWithContents(noMailbox))).rejects.toThrow(/foreign key|check/i);
    const stored = await store.read.letters.getMany([delivered.letter.id, held.letter.id, noMailbox.letter.id]);
    expect(stored.map((l) => l.id).sort()).toEqual([delivered.letter.id, held.letter.id].sort());
    expect(await store.read.events.listByLetter(held.letter.id)).toHaveLength(2);
  });

  it('answers each letter of a batch on its own: stored, id taken, failed', async () => {
    const first = unit();
    expect(await store.insert.letter(first)).toBe(true);
    const bad = unit({ senderId: randomUUID() });
    const taken = unit({ externalId: first.letter.externalId });
    const good = [unit(), unit()];
    // Sent together, so that on SQLite's writer thread they share one transaction; the failing
    // letter comes first, before any other has run.
    const results = await Promise.allSettled([bad, good[0]!, taken, good[1]!].map((u) => store.insert.letter(u)));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual([
      'rejected',
      true,
      false,
      true,
    ]);
    expect(await store.read.letters.getMany(good.map((u) => u.letter.id))).toHaveLength(2);
    expect(await store.read.letters.getMany([bad.letter.id, taken.letter.id])).toEqual([]);
    expect(await store.read.blobContents.get(taken.blobs[0]!.key)).toBeNull();
    expect(await store.read.events.listByLetter(good[1]!.letter.id)).toHaveLength(2);
  });

  it('stores nothing of a letter whose later insert fails (an event id taken)', async () => {
    const first = unit();
    expect(await store.insert.letter(first)).toBe(true);
    const second = unit();
    second.events[1] = { ...second.events[1]!, id: first.events[1]!.id };
    await expect(store.insert.letter(second)).rejects.toThrow(/unique|primary key|constraint/i);
    expect(await store.read.letters.getMany([second.letter.id])).toEqual([]);
    expect(await store.read.documents.listByLetter(second.letter.id)).toEqual([]);
    expect(await store.read.events.listByLetter(second.letter.id)).toEqual([]);
    expect(await store.read.blobContents.get(second.blobs[0]!.key)).toBeNull();
    // The sender's id is free again: the letter can be sent once it is right.
    second.events[1] = { ...second.events[1]!, id: randomUUID() };
    expect(await store.insert.letter(second)).toBe(true);
  });

  it('keeps blobs by key, once', async () => {
    const key = randomUUID();
    const data = randomBytes(40 * 1024);
    expect(await store.insert.blob(key, data, now())).toBe(true);
    expect(await store.insert.blob(key, randomBytes(10), now())).toBe(false);
    expect(Buffer.from((await store.read.blobContents.get(key))!)).toEqual(data);
  });

  it('interleaves inserts with ordinary units of work without losing or blocking either', async () => {
    const units = Array.from({ length: 300 }, () => unit());
    const folders = Array.from({ length: 60 }, () => randomUUID());
    const work = [
      ...units.map((u) => store.insert.letter(u)),
      ...folders.map((id) =>
        store.write((r) => r.folders.insert({ id, mailboxId, kind: 'custom', name: id.slice(0, 8), createdAt: now() })),
      ),
    ];
    await Promise.all(work);
    expect(await store.read.letters.getMany(units.map((u) => u.letter.id))).toHaveLength(units.length);
    const stored = await store.read.folders.list(mailboxId);
    expect(folders.every((id) => stored.some((f) => f.id === id))).toBe(true);
  });
});

/** Runs `test` with the path of a database file in a fresh folder, removed afterwards. */
async function inTempDatabase(test: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'pk-sqlite-thread-'));
  try {
    await test(join(dir, 'db.sqlite'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the SQLite writer thread', () => {
  it("answers reads with the rows the event loop's own connection gives", async () => {
    await inTempDatabase(async (file) => {
      const db = new SQLite(file);
      db.pragma('journal_mode = WAL');
      db.exec('create table t (id integer primary key, name text, data blob, n real)');
      db.prepare('insert into t (name, data, n) values (?, ?, ?), (?, ?, ?)').run(
        'a',
        Buffer.from([1, 2]),
        1.5,
        null,
        null,
        2,
      );
      const thread = startSqliteThread(file, { maxBatch: 10 });
      try {
        const query = 'select id, name, data, n, id as name from t where id >= ? order by id';
        const rows = await thread.read(query, [1]);
        expect(rows).toEqual(db.prepare(query).all(1));
        expect(rows[0]).toEqual({ id: 1, name: 1, data: Buffer.from([1, 2]), n: 1.5 });
        expect(Buffer.isBuffer(rows[0]?.data)).toBe(true);
        expect(await thread.read('select id from t where id > ?', [99])).toEqual([]);
      } finally {
        await thread.close();
        db.close();
      }
    });
  });

  it('says why when it cannot start, and closes', async () => {
    const thread = startSqliteThread(join(tmpdir(), `pk-missing-${randomUUID()}`, 'db.sqlite'), { maxBatch: 10 });
    await expect(thread.read('select 1 as one', [])).rejects.toThrow(/unable to open|no such file|does not exist/i);
    await expect(thread.run([])).rejects.toThrow(/unable to open|no such file|does not exist/i);
    await thread.close();
  });

  it('lets a process with nothing else to do wait for a failed thread to close (no silent exit)', async () => {
    // What a command does: its only work is the store, and it closes the store on the way out.
    const dir = await mkdtemp(join(tmpdir(), 'pk-thread-exit-'));
    const script = join(dir, 'close.mts');
    await writeFile(
      script,
      `
      import { startSqliteThread } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'sqlite-thread.ts'))};
      const thread = startSqliteThread('/nonexistent-${randomUUID()}/db.sqlite', { maxBatch: 10 });
      const failure = await thread.read('select 1', []).then(() => 'no failure', (e) => e.message);
      await thread.close();
      console.log('closed after: ' + failure);
    `,
    );
    // Well inside the test's own time limit, so that a hanging child is reported with its output.
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 15_000 });
    await rm(dir, { recursive: true, force: true });
    const said = `error: ${child.error}\nstdout: ${child.stdout}\nstderr: ${child.stderr}`;
    expect(child.stderr, said).not.toMatch(/Error/);
    expect(child.stdout, said).toMatch(/closed after: .*(unable to open|does not exist)/i);
    expect(child.status, said).toBe(0);
  });

  it('copies committed pages into the database file off the writers', async () => {
    await inTempDatabase(async (file) => {
      const store = await openSqliteStore(file);
      const sizeBefore = (await stat(file)).size;
      // About 1,000 pages of blobs, far below the writer's own threshold (10,000 pages): only
      // the checkpoint thread's PASSIVE checkpoints move them.
      await Promise.all(
        Array.from({ length: 250 }, () => store.insert.blob(randomUUID(), randomBytes(32 * 1024), now())),
      );
      let size = sizeBefore;
      for (let i = 0; i < 50 && size < sizeBefore + 250 * 32 * 1024; i++) {
        await new Promise((r) => setTimeout(r, 50));
        size = (await stat(file)).size;
      }
      expect(size).toBeGreaterThanOrEqual(sizeBefore + 250 * 32 * 1024);
      await store.close();
    });
  });

  it('makes new databases with 8 KiB pages and keeps the page size of an existing one', async () => {
    await inTempDatabase(async (file) => {
      const store = await openSqliteStore(file);
      await store.close();
      const check = new SQLite(file, { readonly: true });
      expect(check.pragma('page_size', { simple: true })).toBe(8192);
      check.close();
    });
    await inTempDatabase(async (file) => {
      const old = new SQLite(file);
      old.pragma('page_size = 4096');
      old.pragma('journal_mode = WAL');
      old.exec('create table earlier (k integer primary key)');
      old.close();
      const store = await openSqliteStore(file);
      const key = randomUUID();
      expect(await store.insert.blob(key, randomBytes(20_000), now())).toBe(true);
      expect(Buffer.from((await store.read.blobContents.get(key))!).byteLength).toBe(20_000);
      await store.close();
      const check = new SQLite(file, { readonly: true });
      expect(check.pragma('page_size', { simple: true })).toBe(4096);
      check.close();
    });
  });

  it('answers reads inside a unit of work on the event loop, and refuses writes through them', async () => {
    await inTempDatabase(async (file) => {
      const store = await openSqliteStore(file);
      const key = randomUUID();
      await store.insert.blob(key, Buffer.from('committed'), now());
      // The event loop's writer has its turn while this unit runs; the read thread still answers.
      const seen = await store.write(async (repos) => {
        await repos.blobContents.insert(randomUUID(), Buffer.from('uncommitted'), now());
        return store.read.blobContents.get(key);
      });
      expect(Buffer.isBuffer(seen)).toBe(true);
      expect(Buffer.from(seen!).toString()).toBe('committed');
      await expect(store.read.blobContents.insert(randomUUID(), Buffer.from('x'), now())).rejects.toThrow(
        /only statements that read/,
      );
      await expect(store.read.blobContents.get(randomUUID())).resolves.toBeNull();
      await store.ping();
      await store.close();
    });
  });

  it('runs what was queued before it closes, durably', async () => {
    await inTempDatabase(async (file) => {
      const store = await openSqliteStore(file);
      const keys = Array.from({ length: 100 }, () => randomUUID());
      const puts = keys.map((key) => store.insert.blob(key, randomBytes(100), now()));
      await store.close();
      expect(await Promise.all(puts)).toEqual(keys.map(() => true));
      await expect(store.insert.blob(randomUUID(), randomBytes(1), now())).rejects.toThrow(/closed/);
      const db = new SQLite(file, { readonly: true });
      try {
        expect((db.prepare('select count(*) as n from blob_contents').get() as { n: number }).n).toBe(100);
      } finally {
        db.close();
      }
    });
  });

  it('waits for another process holding the write lock instead of failing', async () => {
    await inTempDatabase(async (file) => {
      const store = await openSqliteStore(file);
      const other = new SQLite(file);
      other.prepare('begin immediate').run();
      const put = store.insert.blob(randomUUID(), randomBytes(10), now());
      await new Promise((r) => setTimeout(r, 300));
      other.prepare('commit').run();
      other.close();
      expect(await put).toBe(true);
      await store.close();
    });
  });

  it('stores every kind of value exactly as given', async () => {
    await inTempDatabase(async (file) => {
      const setup = new SQLite(file);
      setup.pragma('journal_mode = WAL');
      setup.exec('create table t (k integer primary key, v any)');
      setup.close();
      const writer = startSqliteThread(file, { maxBatch: 10 });
      const bytes = randomBytes(70_000);
      const values: unknown[] = [
        'plain',
        'æøå \u{1F4EC} "quoted" \\ {"$":[0,1]}',
        0,
        -17,
        2.5,
        Number.MAX_SAFE_INTEGER,
        2n ** 62n,
        null,
        bytes,
        bytes.subarray(100, 200),
        new Uint8Array(0),
      ];
      const insert = (k: number, v: unknown) => ({
        sql: 'insert into t (k, v) values (?, ?)',
        parameters: [k, v],
        query: { kind: 'RawNode' },
        queryId: { queryId: String(k) },
      });
      const answers = await Promise.all(values.map((v, k) => writer.run([insert(k, v)] as never)));
      expect(answers).toEqual(values.map(() => true));
      // A statement that fails rejects its unit with SQLite's error and code.
      await expect(writer.run([insert(0, 'again')] as never)).rejects.toMatchObject({
        code: 'SQLITE_CONSTRAINT_PRIMARYKEY',
      });
      await writer.close();
      const db = new SQLite(file, { readonly: true });
      db.defaultSafeIntegers(true);
      try {
        const rows = db.prepare('select k, v from t order by k').all() as Array<{ k: bigint; v: unknown }>;
        const read = rows.map((r) => (Buffer.isBuffer(r.v) ? Buffer.from(r.v) : r.v));
        const expected = values.map((v) =>
          v instanceof Uint8Array ? Buffer.from(v) : typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : v,
        );
        expect(read).toEqual(expected);
      } finally {
        db.close();
      }
    });
  });
});
