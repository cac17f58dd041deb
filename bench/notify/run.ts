/**
 * bench/notify: N notifications (10,000 and 100,000) from delivered letters to a local SMTP sink
 * in its own process, through the real pipeline (the planner reading the event log, the job
 * table, the templates, pooled SMTP, NOTIFIED events), on SQLite (and PostgreSQL with
 * BENCH_DIALECTS=sqlite,postgres). Prints notifications/s and how the time grows from 10,000 to
 * 100,000, against a baseline measured in the same run: the same number of e-mails of the same
 * size sent straight to the sink with the same SMTP pool, no database and no domain code.
 *
 *   npm run bench:notify
 *   BENCH_SIZES=2000,20000 npm run bench:notify
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSender, type Letter, renderEmail } from '@postkasse/core';
import { createContext, loadConfig } from '@postkasse/server';
import nodemailer from 'nodemailer';
import { letterRecord, personRecord } from '../../test/letter-record.js';
import { createTestDatabase } from '../../test/postgres.js';
import { syntheticNationalIds } from '../ingest/shared.js';

type Dialect = 'sqlite' | 'postgres';
const here = dirname(fileURLToPath(import.meta.url));
const sizes = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const dialects = (process.env.BENCH_DIALECTS ?? 'sqlite').split(',') as Dialect[];
const log = (m: string) => process.stderr.write(`[bench:notify] ${m}\n`);

function startSink(): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(join(here, 'sink.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, port: m.port }));
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code})`)));
  });
}

function ask(child: ChildProcess, type: 'count' | 'reset'): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { count: number }) => resolve(m.count));
    child.send({ type });
  });
}

/** SQLite needs nothing; PostgreSQL a fresh database, dropped afterwards. */
async function database(dialect: Dialect): Promise<{ url: string | null; drop(): Promise<void> }> {
  return dialect === 'sqlite' ? { url: null, drop: async () => undefined } : createTestDatabase();
}

async function runPipeline(dialect: Dialect, n: number, sink: { child: ChildProcess; port: number }) {
  const dataDir = await mkdtemp(join(tmpdir(), 'pk-bench-notify-'));
  const db = await database(dialect);
  const ctx = await createContext(
    loadConfig({
      POSTKASSE_DATA_DIR: dataDir,
      NODE_ENV: 'production',
      // A real provider's settings (nothing is fetched from it here): the test provider is refused in production.
      POSTKASSE_OIDC_ISSUER: 'https://idp.example.invalid',
      POSTKASSE_OIDC_CLIENT_ID: 'postkasse',
      POSTKASSE_OIDC_CLIENT_SECRET: 'a-client-secret',
      LOG_LEVEL: 'silent',
      POSTKASSE_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      POSTKASSE_NOTIFY_COALESCE_SECONDS: '0',
      POSTKASSE_WORKER_INTERVAL_MS: '0',
      ...(db.url ? { DATABASE_URL: db.url } : {}),
    }),
  );
  try {
    log(`${dialect} ${n}: seeding ${n} persons, mailboxes and delivered letters`);
    const sender = await createSender(ctx.deps, { orgNumber: '974000008', name: 'Skatteetaten', kind: 'public' });
    const ids = syntheticNationalIds(n);
    const now = new Date().toISOString();
    for (let from = 0; from < n; from += 1000) {
      const chunk = ids.slice(from, from + 1000);
      await ctx.deps.store.write(async (repos) => {
        const letters: Letter[] = [];
        for (const nationalId of chunk) {
          await repos.persons.insert(
            personRecord({
              nationalId,
              email: `p${nationalId}@example.org`,
              emailUpdatedAt: now,
              emailVerifiedAt: now,
              createdAt: now,
            }),
          );
          const mailboxId = randomUUID();
          await repos.mailboxes.insert({
            id: mailboxId,
            ownerType: 'person',
            ownerId: nationalId,
            name: null,
            status: 'active',
            wrappedKey: Buffer.alloc(61),
            createdAt: now,
          });
          letters.push(
            letterRecord({
              senderId: sender.id,
              recipientId: nationalId,
              mailboxId,
              requestHash: 'x',
              subject: 'Skattemelding',
              nonSensitiveTitle: 'Skattemelding for 2026',
              authLevel: 'substantial',
              createdAt: now,
              deliveredAt: now,
            }),
          );
        }
        await repos.letters.insertManyIfAbsent(letters);
        await repos.events.append(
          letters.map((l) => ({
            id: randomUUID(),
            letterId: l.id,
            senderId: sender.id,
            type: 'DELIVERED',
            at: now,
            data: {},
          })),
        );
      });
    }
    await ask(sink.child, 'reset');
    log(`${dialect} ${n}: notifying`);
    const started = performance.now();
    let received = 0;
    while (received < n) {
      const round = await ctx.worker.runOnce();
      received = await ask(sink.child, 'count');
      if (round.jobs === 0 && round.planned === 0 && received < n) throw new Error(`stalled at ${received} of ${n}`);
    }
    const ms = performance.now() - started;
    return { ms, received };
  } finally {
    await ctx.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The same number of e-mails of the same size straight to the sink, with the same pool and concurrency. */
async function runBaseline(n: number, sink: { child: ChildProcess; port: number }) {
  await ask(sink.child, 'reset');
  const transport = nodemailer.createTransport(
    `smtp://127.0.0.1:${sink.port}?pool=true&maxConnections=4&maxMessages=1000`,
  );
  const mail = renderEmail(
    'nb',
    [
      {
        senderName: 'Skatteetaten',
        nonSensitiveTitle: 'Skattemelding for 2026',
        link: 'https://x/inbox/a/b',
        legalNotification: false,
        reminder: false,
      },
    ],
    { inboxLink: 'https://x/inbox/a' },
  );
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await transport.sendMail({ from: 'Postkasse <no-reply@postkasse.invalid>', to: `p${i}@example.org`, ...mail });
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  const ms = performance.now() - started;
  transport.close();
  return { ms, received: await ask(sink.child, 'count') };
}

const sink = await startSink();
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
try {
  for (const dialect of dialects) {
    const results: Array<{ n: number; ms: number; base: number }> = [];
    for (const n of sizes) {
      const base = await runBaseline(n, sink);
      const run = await runPipeline(dialect, n, sink);
      if (run.received !== n || base.received !== n)
        throw new Error(`expected ${n} e-mails, got ${run.received}/${base.received}`);
      results.push({ n, ms: run.ms, base: base.ms });
      process.stdout.write(
        `bench:notify ${dialect} ${n}: ${(run.ms / 1000).toFixed(1)} s, ${rate(n, run.ms)} notifications/s; ` +
          `baseline (SMTP only) ${rate(n, base.ms)}/s; ratio ${(base.ms / run.ms).toFixed(2)}\n`,
      );
    }
    const first = results[0];
    const last = results.at(-1);
    if (first && last && last !== first) {
      const growth = last.ms / first.ms;
      process.stdout.write(
        `bench:notify ${dialect}: ${last.n / first.n}x the notifications took ${growth.toFixed(1)}x the time ` +
          `(${growth / (last.n / first.n) <= 1.2 ? 'linear' : 'worse than linear'})\n`,
      );
    }
  }
} finally {
  sink.child.send({ type: 'stop' });
}
