/**
 * bench/batch: one batch of N letters (default 100,000) sharing one ~30 KB PDF, each with its
 * own recipient and metadata, sent through the real HTTP API of a server running as its own
 * process, then committed. Prints letters/s for adding, for the commit and overall, and the
 * server's peak RSS. In the same run it measures a baseline: the same rows (letter, document,
 * event) written straight into an empty database of the same kind through the repositories,
 * with no HTTP and no domain code, and prints the ratio.
 *
 *   npm run bench:batch                       # SQLite, 100,000 letters
 *   BENCH_LETTERS=20000 BENCH_DIALECTS=sqlite,postgres npm run bench:batch
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Letter, registerPerson } from '@postkasse/core';
import { createContext, loadConfig } from '@postkasse/server';
import { openPostgresStore, openSqliteStore } from '@postkasse/storage';
import { samplePdf } from '../../apps/cli/src/sample-pdf.js';
import { letterRecord, seedSenderAndMailbox } from '../../test/letter-record.js';
import { createTestDatabase } from '../../test/postgres.js';
import { freePort } from '../../test/spawn-server.js';
import { syntheticNationalIds } from '../ingest/shared.js';

type Dialect = 'sqlite' | 'postgres';
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliBin = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse.js');
const letters = Number(process.env.BENCH_LETTERS ?? 100_000);
const recipients = Number(process.env.BENCH_RECIPIENTS ?? 2_000);
const perRequest = 1_000;
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 2);
const dialects = (process.env.BENCH_DIALECTS ?? 'sqlite').split(',') as Dialect[];
const log = (m: string) => process.stderr.write(`[bench:batch] ${m}\n`);

/** SQLite needs nothing; PostgreSQL a fresh database, dropped afterwards. */
async function database(dialect: Dialect): Promise<{ url: string | null; drop(): Promise<void> }> {
  return dialect === 'sqlite' ? { url: null, drop: async () => undefined } : createTestDatabase();
}

async function peakRss(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [cliBin, 'serve'], {
    cwd: repoRoot,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not start');
}

async function call(url: string, key: string, method: string, path: string, body?: unknown | FormData) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, any>;
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

async function runServer(dialect: Dialect, pdf: Buffer, people: string[]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pk-bench-batch-'));
  const db = await database(dialect);
  const env = {
    ...process.env,
    POSTKASSE_DATA_DIR: dataDir,
    POSTKASSE_TEST_IDP: 'on',
    ...(db.url ? { DATABASE_URL: db.url } : {}),
  };
  try {
    log(`${dialect}: seeding ${people.length} recipients with mailboxes`);
    const ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    for (const nationalId of people) await registerPerson(ctx.deps, { nationalId });
    const { createSender, createApiKey } = await import('@postkasse/core');
    const sender = await createSender(ctx.deps, { orgNumber: '974000008', name: 'Skatteetaten', kind: 'public' });
    const { secret } = await createApiKey(ctx.deps, sender.id);
    await ctx.close();

    const { child, url } = await startServer(env);
    try {
      const started = performance.now();
      const batch = await call(url, secret, 'POST', '/api/v1/batches', { reference: 'bench' });
      const form = new FormData();
      form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'aarsoppgave.pdf');
      const doc = await call(url, secret, 'POST', `/api/v1/batches/${batch.id}/documents`, form);
      let next = 0;
      let accepted = 0;
      const worker = async () => {
        while (next < letters) {
          const from = next;
          next += perRequest;
          const messages = [];
          for (let i = from; i < Math.min(letters, from + perRequest); i++) {
            messages.push({
              id: randomUUID(),
              recipient: { nationalId: people[i % people.length] },
              subject: `Årsoppgave 2026 nr. ${i}`,
              nonSensitiveTitle: 'Brev fra Skatteetaten',
              authLevel: 'substantial',
              senderReference: `case-${i}`,
              documents: [{ documentId: doc.id, role: 'main', title: 'Årsoppgave' }],
            });
          }
          const answer = await call(url, secret, 'POST', `/api/v1/batches/${batch.id}/messages`, { messages });
          if (answer.failed > 0)
            throw new Error(`letters failed: ${JSON.stringify(answer.results.find((r: any) => r.error))}`);
          accepted += answer.accepted;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const added = performance.now();
      const committed = await call(url, secret, 'POST', `/api/v1/batches/${batch.id}/commit`);
      const done = performance.now();
      if (committed.counts.DELIVERED !== letters || accepted !== letters) {
        throw new Error(`expected ${letters} delivered, got ${JSON.stringify(committed.counts)}`);
      }
      return {
        addMs: added - started,
        commitMs: done - added,
        totalMs: done - started,
        rss: await peakRss(child.pid ?? 0),
      };
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  } finally {
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The same rows straight into an empty database through the repositories: letter, document, two events. */
async function runBaseline(dialect: Dialect, people: string[]) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pk-bench-batch-base-'));
  const db = await database(dialect);
  const store = db.url ? await openPostgresStore(db.url) : await openSqliteStore(join(dataDir, 'base.sqlite'));
  try {
    const senderId = randomUUID();
    const mailboxId = randomUUID();
    const folderId = randomUUID();
    const at = new Date().toISOString();
    await seedSenderAndMailbox(store, { senderId, mailboxId, inboxId: folderId, ownerId: people[0] ?? '' }, at);
    const started = performance.now();
    for (let from = 0; from < letters; from += perRequest) {
      const rows: Letter[] = [];
      for (let i = from; i < Math.min(letters, from + perRequest); i++) {
        rows.push(
          letterRecord({
            senderId,
            recipientId: people[i % people.length] ?? '',
            mailboxId,
            requestHash: 'x'.repeat(64),
            subject: `Årsoppgave 2026 nr. ${i}`,
            nonSensitiveTitle: 'Brev fra Skatteetaten',
            authLevel: 'substantial',
            senderReference: `case-${i}`,
            createdAt: at,
            deliveredAt: at,
            folderId,
            documentCount: 1,
            totalBytes: 30_000,
          }),
        );
      }
      await store.write(async (r) => {
        await r.letters.insertManyIfAbsent(rows);
        await r.documents.insertMany(
          rows.map((l) => ({
            id: randomUUID(),
            letterId: l.id,
            ordinal: 0,
            role: 'main',
            title: 'Årsoppgave',
            filename: 'aarsoppgave.pdf',
            mediaType: 'application/pdf',
            language: null,
            size: 30_000,
            sha256: 'x'.repeat(64),
            blobKey: 'shared',
            wrappedKey: Buffer.alloc(60),
            contentId: 'shared',
          })),
        );
        await r.events.append(
          rows.flatMap((l) =>
            ['ACCEPTED', 'DELIVERED'].map((type) => ({
              id: randomUUID(),
              letterId: l.id,
              senderId,
              type: type as 'ACCEPTED',
              at,
              data: {},
            })),
          ),
        );
      });
    }
    return { totalMs: performance.now() - started };
  } finally {
    await store.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const pdf = await samplePdf({ title: 'Årsoppgave 2026' });
const people = syntheticNationalIds(recipients);
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
let ok = true;
for (const dialect of dialects) {
  const baseline = await runBaseline(dialect, people);
  const server = await runServer(dialect, pdf, people);
  const overall = rate(letters, server.totalMs);
  const base = rate(letters, baseline.totalMs);
  const lines = [
    `bench:batch ${dialect}: ${letters} letters to ${recipients} recipients, one shared ${Math.round(pdf.length / 1024)} KB PDF, ${perRequest} letters per request, ${concurrency} requests in flight`,
    `  add letters:  ${(server.addMs / 1000).toFixed(1)} s  (${rate(letters, server.addMs)} letters/s)`,
    `  commit:       ${(server.commitMs / 1000).toFixed(1)} s  (${rate(letters, server.commitMs)} letters/s)`,
    `  overall:      ${(server.totalMs / 1000).toFixed(1)} s  ${overall} letters/s   (target on SQLite >= 2,000)`,
    `  server peak RSS: ${Math.round(server.rss / 1024 / 1024)} MB`,
    `  baseline (same rows straight into the database): ${base} letters/s; ratio ${(overall / base).toFixed(2)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (dialect === 'sqlite' && overall < 2000) ok = false;
}
process.exit(ok ? 0 : 2);
