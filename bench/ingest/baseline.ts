/**
 * The baseline, a child process of run.ts: what the storage path alone costs. The same documents
 * are encrypted with the real vault (AES-256-GCM content key per document, wrapped by a mailbox
 * key that the master key wraps) and stored as the server stores them by default: on SQLite a
 * sealed document up to 256 KiB as a row of a blob table in the database, anything larger (and
 * every document on PostgreSQL) in the real file blob store (file + directory fsync); then one
 * row per letter. One transaction per letter: SQLite in WAL mode with synchronous=FULL, or
 * PostgreSQL through a pool of the server's size. No HTTP, no multipart, no validation, no domain code.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createVault, envKeyProvider } from '@postkasse/crypto';
import { openFsBlobStore } from '@postkasse/storage';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import {
  childConfig,
  type Dialect,
  latencyStats,
  measure,
  readDocuments,
  runAsChild,
  tell,
  type WarmupConfig,
  warmUp,
} from './shared.js';

export type BaselineConfig = WarmupConfig & {
  dialect: Dialect;
  dir: string;
  databaseUrl: string | null;
  mailboxes: number;
  letters: number;
  /** Sealed documents up to this size go into the database (the server's default for the dialect). */
  inlineMaxBytes: number;
  /** Connections to PostgreSQL; the server's pool has 10. */
  poolSize: number;
  pdfDir: string;
};

type Row = [string, string, string, string, Buffer, number, string, string];
/** Stores one letter's row, with its sealed document when that is kept in the database. */
type Insert = (row: Row, blob: { key: string; data: Buffer } | null) => Promise<void>;

const columns = 'id, mailbox_id, document_id, blob_key, wrapped_key, size, sha256, created_at';

async function openDatabase(
  config: BaselineConfig,
): Promise<{ insert: Insert; count(): Promise<number>; close(): Promise<void> }> {
  if (config.dialect === 'sqlite') {
    const db = new SQLite(join(config.dir, 'baseline.sqlite'));
    db.pragma('busy_timeout = 10000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`create table letters (id text primary key, mailbox_id text not null, document_id text not null,
      blob_key text not null unique, wrapped_key blob not null, size integer not null, sha256 text not null,
      created_at text not null)`);
    db.exec('create table blob_contents (key text primary key, created_at text not null, data blob not null)');
    const statement = db.prepare(`insert into letters (${columns}) values (?, ?, ?, ?, ?, ?, ?, ?)`);
    const blobStatement = db.prepare('insert into blob_contents (key, created_at, data) values (?, ?, ?)');
    // One transaction, so one commit (and one fsync of the WAL) for each letter.
    const store = db.transaction((row: Row, blob: { key: string; data: Buffer } | null) => {
      if (blob) blobStatement.run(blob.key, row[7], blob.data);
      statement.run(...row);
    });
    return {
      insert: async (row, blob) => {
        store(row, blob);
      },
      count: async () => (db.prepare('select count(*) as n from letters').get() as { n: number }).n,
      close: async () => {
        db.close();
      },
    };
  }
  if (!config.databaseUrl) throw new Error('the PostgreSQL baseline needs a database URL');
  const db = new pg.Pool({ connectionString: config.databaseUrl, max: config.poolSize });
  await db.query(`create table letters (id text primary key, mailbox_id text not null, document_id text not null,
    blob_key text not null unique, wrapped_key bytea not null, size bigint not null, sha256 text not null,
    created_at timestamptz not null)`);
  const text = `insert into letters (${columns}) values ($1, $2, $3, $4, $5, $6, $7, $8)`;
  return {
    insert: async (row, blob) => {
      // The server keeps documents as files on PostgreSQL by default, and so does the baseline.
      if (blob) throw new Error('the PostgreSQL baseline keeps documents as files');
      await db.query({ name: 'insert-letter', text, values: row });
    },
    count: async () => Number((await db.query('select count(*) as n from letters')).rows[0].n),
    close: () => db.end(),
  };
}

async function main(): Promise<void> {
  const config = childConfig<BaselineConfig>();
  await mkdir(config.dir, { recursive: true });
  const documents = await readDocuments(config.pdfDir);
  const vault = createVault(envKeyProvider(randomBytes(32).toString('base64')));
  const blobs = await openFsBlobStore(join(config.dir, 'blobs'));
  const mailboxes = await Promise.all(
    Array.from({ length: config.mailboxes }, async () => {
      const id = randomUUID();
      return { id, wrappedKey: await vault.newMailboxKey(id) };
    }),
  );
  const db = await openDatabase(config);

  async function store(i: number): Promise<number> {
    const started = performance.now();
    const content = documents[i % documents.length]!;
    const mailbox = mailboxes[i % mailboxes.length]!;
    const documentId = randomUUID();
    const sealed = await vault.seal(mailbox, documentId, content);
    const blobKey = randomUUID();
    const inline = sealed.ciphertext.byteLength <= config.inlineMaxBytes;
    if (!inline) await blobs.put(blobKey, sealed.ciphertext);
    const sha256 = createHash('sha256').update(content).digest('hex');
    await db.insert(
      [
        randomUUID(),
        mailbox.id,
        documentId,
        blobKey,
        Buffer.from(sealed.wrappedKey),
        content.byteLength,
        sha256,
        new Date().toISOString(),
      ],
      inline ? { key: blobKey, data: Buffer.from(sealed.ciphertext) } : null,
    );
    return performance.now() - started;
  }

  const warmed = await warmUp(config, store);
  const { latencies, wallMs, cpuMs, rates } = await measure(config, warmed, store);
  const rows = await db.count();
  await db.close();
  const expected = warmed + config.letters;
  await tell({
    type: 'result',
    result: {
      letters: config.letters,
      warmupLetters: warmed,
      errors: rows === expected ? 0 : Math.abs(expected - rows),
      firstError: rows === expected ? null : `expected ${expected} rows, found ${rows}`,
      wallMs,
      lettersPerSecond: (config.letters / wallMs) * 1000,
      latency: latencyStats(latencies),
      rates,
      latenciesMs: latencies,
      cpuMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    },
  });
}

runAsChild(main);
