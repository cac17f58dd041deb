/**
 * Ingest benchmark: how many letters per second the real server accepts over HTTP, compared with
 * a baseline that does only the storage work (encrypt, blob write, one database row each).
 *
 *   npm run bench:ingest -- [--letters 10000] [--concurrency 32] [--dialect sqlite|postgres|both]
 *
 * For each dialect: a fresh temp data dir (and for PostgreSQL a fresh database), a sender and
 * persons made with the admin CLI (one `admin person import`), the server started as
 * `apps/cli/bin/postkasse serve` (the launcher users run) on a free port, a warm-up, then N
 * letters from a separate client process (client.ts) with the given concurrency. The server's
 * peak RSS is its VmHWM from /proc, plus VmRSS sampled during the load. The baseline
 * (baseline.ts) runs in a process of its own on the same kind of storage. Everything is stopped
 * and removed at the end, on failure, on Ctrl-C and on the overall timeout.
 *
 * Options (flag, or environment variable):
 *   --letters, -n     BENCH_LETTERS      measured letters in all, server and baseline each (default 10000)
 *   --rounds, -r      BENCH_ROUNDS       rounds the letters are split over, server and baseline taking
 *                                        turns (A B, B A, A B, ...), so both see the machine alike (default 3)
 *   --warmup          BENCH_WARMUP       warm-up letters of every phase, not measured (default 4000: a freshly
 *                                        started server takes about 2,000 letters to reach its steady rate)
 *   --concurrency, -c BENCH_CONCURRENCY  requests in flight (default 32)
 *   --dialect         BENCH_DIALECT      sqlite, postgres or both (default both)
 *   --recipients      BENCH_RECIPIENTS   persons the letters are spread over (default 50)
 *   --pg-url          BENCH_PG_URL       PostgreSQL server, as admin (default postgres://postgres@127.0.0.1:5432/postgres)
 *   --timeout         BENCH_TIMEOUT      overall limit in seconds (default 1800)
 *   --cpu-prof DIR    BENCH_CPU_PROF     write a V8 CPU profile of each server run into DIR
 *   --server-node-flags "..."  BENCH_SERVER_NODE_FLAGS  extra node flags for the server process
 *   --server-env "K=V ..."     BENCH_SERVER_ENV         extra environment for the server (a setting to compare)
 *   --skip-baseline   BENCH_SKIP_BASELINE=1
 *   --strict          BENCH_STRICT=1     exit 1 when a SQLite target is missed
 *   --json            BENCH_JSON=1       also print the figures as JSON
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { samplePdf } from '@postkasse/cli';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { BaselineConfig } from './baseline.js';
import type { ClientConfig } from './client.js';
import {
  type ChildMessage,
  type Dialect,
  type EdgeRates,
  latencyStats,
  type PhaseResult,
  syntheticNationalIds,
  type WarmMessage,
} from './shared.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliBin = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse.js');
// The server runs through the launcher users get (it picks the server's memory settings).
const launcher = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse');
const MB = 1024 * 1024;
const targets = { lettersPerSecond: 1000, ratio: 0.5, rssBytes: 300 * MB };

// ---------------------------------------------------------------------------------------------
// Options

type Options = {
  letters: number;
  rounds: number;
  warmup: number;
  concurrency: number;
  dialects: Dialect[];
  recipients: number;
  pgUrl: string;
  timeoutSeconds: number;
  cpuProfDir: string | null;
  serverNodeFlags: string[];
  serverEnv: Record<string, string>;
  skipBaseline: boolean;
  strict: boolean;
  json: boolean;
};

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      letters: { type: 'string', short: 'n' },
      rounds: { type: 'string', short: 'r' },
      warmup: { type: 'string' },
      concurrency: { type: 'string', short: 'c' },
      dialect: { type: 'string' },
      recipients: { type: 'string' },
      'pg-url': { type: 'string' },
      timeout: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'server-node-flags': { type: 'string' },
      'server-env': { type: 'string' },
      'skip-baseline': { type: 'boolean' },
      strict: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log('usage: npm run bench:ingest -- [--letters N] [--concurrency C] [--dialect sqlite|postgres|both]');
    console.log('       see the comment at the top of bench/ingest/run.ts for every option');
    process.exit(0);
  }
  const env = process.env;
  const int = (name: string, text: string | undefined, fallback: number, min: number) => {
    if (text === undefined || text === '') return fallback;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got ${text}`);
    return n;
  };
  const flag = (given: boolean | undefined, name: string) => given ?? /^(1|true|yes|on)$/i.test(env[name] ?? '');
  const letters = int('--letters', values.letters ?? env.BENCH_LETTERS, 10_000, 1);
  const dialect = values.dialect ?? env.BENCH_DIALECT ?? 'both';
  if (!['sqlite', 'postgres', 'both'].includes(dialect)) {
    throw new Error(`--dialect is sqlite, postgres or both, got ${dialect}`);
  }
  const cpuProf = values['cpu-prof'] ?? env.BENCH_CPU_PROF ?? null;
  const extraFlags = (values['server-node-flags'] ?? env.BENCH_SERVER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const serverEnv: Record<string, string> = {};
  for (const pair of (values['server-env'] ?? env.BENCH_SERVER_ENV ?? '').split(/\s+/).filter(Boolean)) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match?.[1]) throw new Error(`--server-env takes NAME=value pairs, got ${pair}`);
    serverEnv[match[1]] = match[2] ?? '';
  }
  const rounds = int('--rounds', values.rounds ?? env.BENCH_ROUNDS, 3, 1);
  if (rounds > letters) throw new Error(`--rounds must not exceed --letters (${letters}), got ${rounds}`);
  return {
    letters,
    rounds,
    warmup: int(
      '--warmup',
      values.warmup ?? env.BENCH_WARMUP,
      // A freshly started server takes about 2,000 letters to reach its steady rate (V8 compiling
      // its hot paths; measured with the rate of each half second after a warm-up of 200).
      4000,
      0,
    ),
    concurrency: int('--concurrency', values.concurrency ?? env.BENCH_CONCURRENCY, 32, 1),
    dialects: dialect === 'both' ? ['sqlite', 'postgres'] : [dialect as Dialect],
    recipients: int('--recipients', values.recipients ?? env.BENCH_RECIPIENTS, 50, 1),
    pgUrl: values['pg-url'] ?? env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    timeoutSeconds: int('--timeout', values.timeout ?? env.BENCH_TIMEOUT, 1800, 10),
    cpuProfDir: cpuProf ? resolve(cpuProf) : null,
    serverNodeFlags: extraFlags,
    serverEnv,
    skipBaseline: flag(values['skip-baseline'], 'BENCH_SKIP_BASELINE'),
    strict: flag(values.strict, 'BENCH_STRICT'),
    json: flag(values.json, 'BENCH_JSON'),
  };
}

// ---------------------------------------------------------------------------------------------
// Everything that must be undone, whatever happens

const children = new Set<ChildProcess>();
const databases: string[] = [];
let tempRoot: string | null = null;
let pgAdminUrl = '';
let cleaning: Promise<void> | null = null;

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
  } finally {
    await client.end();
  }
}

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    await Promise.all([...children].map((c) => exited(c, 5000).catch(() => undefined)));
    for (const name of databases.splice(0)) {
      await dropDatabase(name).catch((error) => log(`could not drop database ${name}: ${String(error)}`));
    }
    if (tempRoot) await rm(tempRoot, { recursive: true, force: true }).catch(() => undefined);
  })();
  return cleaning;
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} did not exit in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Keeps the last bytes a process wrote, to show when it fails. */
function tail(child: ChildProcess, limit = 16_384): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString('utf8')).slice(-limit);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

// ---------------------------------------------------------------------------------------------
// Processes

function childEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('POSTKASSE_') || ['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(key)) delete env[key];
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

/** Runs the admin CLI and returns its JSON answer. */
async function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const child = track(spawn(process.execPath, [cliBin, ...args], { cwd: repoRoot, env, stdio: 'pipe' }));
  let stdout = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  const output = tail(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await exited(child, timeoutMs + 5000).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`postkasse ${args.join(' ')} failed (exit ${code}):\n${output()}`);
  return JSON.parse(stdout) as Record<string, unknown>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * Starts a bench child (client.ts or baseline.ts) under tsx with an IPC channel; resolves with
 * its result. `onWarm` runs when it says the warm-up is over.
 */
function runChild(
  script: string,
  config: object,
  timeoutMs: number,
  onWarm: (warm: WarmMessage) => void,
): Promise<PhaseResult> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'ingest', script)], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_CHILD_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const settle = (error: Error | null, result?: PhaseResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(error);
      } else resolvePromise(result!);
    };
    const timer = setTimeout(() => settle(new Error(`${script} did not finish in ${timeoutMs / 1000} s`)), timeoutMs);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'warm') onWarm(message);
      else if (message.type === 'result') settle(null, message.result);
      else if (message.type === 'error') settle(new Error(`${script} failed: ${message.error}`));
    });
    child.once('error', (error) => settle(error));
    child.once('exit', (code, signal) => settle(new Error(`${script} exited (${signal ?? code}) without a result`)));
  });
}

// ---------------------------------------------------------------------------------------------
// /proc figures of the server

type ProcStatus = { rssBytes: number; hwmBytes: number };

/** The server process and any processes it starts. */
async function processTree(pid: number): Promise<number[]> {
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const ids = children.split(/\s+/).filter(Boolean).map(Number);
  const nested = await Promise.all(ids.map(processTree));
  return [pid, ...nested.flat()];
}

async function oneStatus(pid: number): Promise<ProcStatus | null> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
    return { rssBytes: kb('VmRSS') * 1024, hwmBytes: kb('VmHWM') * 1024 };
  } catch {
    return null;
  }
}

/** RSS and peak RSS summed over the server's processes (the sum of peaks bounds the peak of sums). */
async function procStatus(pid: number): Promise<ProcStatus | null> {
  const all = (await Promise.all((await processTree(pid)).map(oneStatus))).filter((s) => s !== null);
  if (all.length === 0) return null;
  return {
    rssBytes: all.reduce((n, s) => n + s.rssBytes, 0),
    hwmBytes: all.reduce((n, s) => n + s.hwmBytes, 0),
  };
}

/** utime + stime in ms from a /proc stat file (clock ticks are 100 Hz on Linux). */
async function statCpuMs(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (!text) return 0;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU of the server's processes in ms, and of its main thread alone (the event loop: every
 * request passes through it, so its share bounds the throughput).
 */
async function procCpuMs(pid: number): Promise<{ all: number; eventLoop: number }> {
  let all = 0;
  for (const id of await processTree(pid)) all += await statCpuMs(`/proc/${id}/stat`);
  return { all, eventLoop: await statCpuMs(`/proc/${pid}/task/${pid}/stat`) };
}

/** Bytes the server's processes handed to write system calls (files and sockets: /proc/<pid>/io wchar). */
async function procWrittenBytes(pid: number): Promise<number> {
  let bytes = 0;
  for (const id of await processTree(pid)) {
    const text = await readFile(`/proc/${id}/io`, 'utf8').catch(() => '');
    bytes += Number(/^wchar:\s+(\d+)/m.exec(text)?.[1] ?? 0);
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// One dialect

type ServerFigures = PhaseResult & {
  hwmBytes: number;
  sampledRssBytes: number;
  serverCpuMs: number;
  eventLoopCpuMs: number;
  /** Bytes written (write system calls) during the measured letters. */
  writtenBytes: number;
  /** Letter rows counted in the database afterwards, and how many the answers promised. */
  rowsFound: number;
  rowsExpected: number;
};

type DialectReport = {
  dialect: Dialect;
  /** All rounds together: letters/s over their summed load time, percentiles over all letters. */
  server: ServerFigures;
  baseline: PhaseResult | null;
  rounds: Array<{ server: number; baseline: number | null }>;
};

/** Rounds of one phase as one: their letters over their summed time, percentiles over every letter. */
function mergePhases(phases: PhaseResult[]): PhaseResult {
  const letters = phases.reduce((n, p) => n + p.letters, 0);
  const wallMs = phases.reduce((n, p) => n + p.wallMs, 0);
  const latenciesMs = phases.flatMap((p) => p.latenciesMs);
  return {
    letters,
    warmupLetters: phases.reduce((n, p) => n + p.warmupLetters, 0),
    errors: phases.reduce((n, p) => n + p.errors, 0),
    firstError: phases.find((p) => p.firstError)?.firstError ?? null,
    wallMs,
    lettersPerSecond: (letters / wallMs) * 1000,
    latency: latencyStats(latenciesMs),
    latenciesMs,
    rates: {
      first: phases.reduce((n, p) => n + p.rates.first, 0) / phases.length,
      last: phases.reduce((n, p) => n + p.rates.last, 0) / phases.length,
      windowSeconds: Math.min(...phases.map((p) => p.rates.windowSeconds)),
    },
    cpuMs: phases.reduce((n, p) => n + p.cpuMs, 0),
    peakRssBytes: Math.max(...phases.map((p) => p.peakRssBytes)),
  };
}

function mergeServer(rounds: ServerFigures[]): ServerFigures {
  return {
    ...mergePhases(rounds),
    hwmBytes: Math.max(...rounds.map((r) => r.hwmBytes)),
    sampledRssBytes: Math.max(...rounds.map((r) => r.sampledRssBytes)),
    serverCpuMs: rounds.reduce((n, r) => n + r.serverCpuMs, 0),
    eventLoopCpuMs: rounds.reduce((n, r) => n + r.eventLoopCpuMs, 0),
    writtenBytes: rounds.reduce((n, r) => n + r.writtenBytes, 0),
    rowsFound: rounds.reduce((n, r) => n + r.rowsFound, 0),
    rowsExpected: rounds.reduce((n, r) => n + r.rowsExpected, 0),
  };
}

async function createDatabase(tag: string): Promise<string> {
  const name = `postkasse_bench_${randomBytes(5).toString('hex')}_${tag}`;
  const client = new pg.Client({ connectionString: pgAdminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    databases.push(name);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(pgAdminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Flushes the page cache and waits a moment, so one phase does not pay for the previous one's
 * writeback. Data dirs are removed only at the very end: deleting hundreds of MB of blobs between
 * phases (on a file system mounted with `discard`) measurably slowed every fsync of the next phase.
 */
async function settleDisk(): Promise<void> {
  spawnSync('sync', { stdio: 'ignore', timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 2000));
}

function warmupText(options: Options): string {
  return `${options.warmup} letters`;
}

function warmedText(dialect: Dialect, warm: WarmMessage): string {
  return (
    `${dialect}: warmed up with ${warm.letters} letters in ${warm.seconds.toFixed(1)} s ` + `(${ratesText(warm.rates)})`
  );
}

/** A phase's rate at its start and end: a server still warming up shows a low first figure. */
function ratesText(rates: EdgeRates): string {
  const span = rates.windowSeconds >= 1 ? 'second' : `${rates.windowSeconds.toFixed(2)} s`;
  return `${rates.first.toFixed(0)} letters/s in its first ${span}, ${rates.last.toFixed(0)} in its last`;
}

function phaseTimeout(options: Options): number {
  // Generous: assumes no worse than 20 letters/s, and never less than two minutes.
  return Math.max(120_000, ((options.letters + options.warmup) / 20) * 1000);
}

async function startServer(options: Options, env: NodeJS.ProcessEnv) {
  const flags = [...options.serverNodeFlags];
  if (options.cpuProfDir) {
    await mkdir(options.cpuProfDir, { recursive: true });
    flags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // As users run it, through the launcher (extra node flags reach it through NODE_OPTIONS); a
    // profiled run starts node itself, as --cpu-prof is not allowed in NODE_OPTIONS.
    const serverEnv = { ...env, ...options.serverEnv, PORT: String(port), HOST: '127.0.0.1' };
    const server = track(
      options.cpuProfDir
        ? spawn(process.execPath, [...flags, cliBin, 'serve'], {
            cwd: repoRoot,
            env: serverEnv,
            stdio: ['ignore', 'pipe', 'pipe'],
          })
        : spawn(launcher, ['serve'], {
            cwd: repoRoot,
            env: { ...serverEnv, ...(flags.length > 0 ? { NODE_OPTIONS: flags.join(' ') } : {}) },
            stdio: ['ignore', 'pipe', 'pipe'],
          }),
    );
    const output = tail(server);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && server.exitCode === null) {
      const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { server, url, output };
      await new Promise((r) => setTimeout(r, 100));
    }
    if (server.exitCode === null) server.kill('SIGKILL');
    await exited(server, 5000).catch(() => undefined);
    if (attempt < 3 && /EADDRINUSE/.test(output())) continue;
    throw new Error(`the server did not become healthy at ${url}:\n${output()}`);
  }
}

async function countLetters(dialect: Dialect, dataDir: string, databaseUrl: string | null): Promise<number> {
  if (dialect === 'sqlite') {
    const db = new SQLite(join(dataDir, 'postkasse.sqlite'), { readonly: true });
    try {
      return (db.prepare("select count(*) as n from letters where status = 'DELIVERED'").get() as { n: number }).n;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: databaseUrl! });
  await client.connect();
  try {
    return Number((await client.query("select count(*) as n from letters where status = 'DELIVERED'")).rows[0].n);
  } finally {
    await client.end();
  }
}

async function runServerPhase(
  options: Options,
  dialect: Dialect,
  pdfDir: string,
  round: number,
): Promise<ServerFigures> {
  const dataDir = join(tempRoot!, `server-${dialect}-${round}`);
  const databaseUrl = dialect === 'postgres' ? await createDatabase('server') : null;
  // At the server's default log level (info: a line for each request, read here as an operator's
  // log collector would), as users run it; in interleaved runs that cost nothing measurable.
  const env = childEnv({
    POSTKASSE_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl ?? undefined,
  });

  const started = performance.now();
  const sender = await cli(
    ['admin', 'sender', 'create', '--org', '974000008', '--name', 'Bench kommune', '--kind', 'public', '--json'],
    env,
  );
  const apiKey = sender.apiKey;
  if (typeof apiKey !== 'string') throw new Error(`no apiKey in ${JSON.stringify(sender)}`);
  const recipients = syntheticNationalIds(options.recipients);
  // One import for all of them, as an operator loads a register (admin person import).
  const personsFile = join(tempRoot!, `persons-${dialect}.csv`);
  await writeFile(personsFile, `nationalId\n${recipients.join('\n')}\n`);
  const imported = await cli(['admin', 'person', 'import', personsFile, '--json'], env);
  if (imported.imported !== recipients.length) throw new Error(`person import: ${JSON.stringify(imported)}`);
  log(
    `${dialect}: sender and ${recipients.length} persons created in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  await settleDisk();
  const { server, url, output } = await startServer(options, env);
  const pid = server.pid!;
  log(`${dialect}: server pid ${pid} healthy at ${url}; warming up (${warmupText(options)})`);
  let unexpectedExit: string | null = null;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    unexpectedExit = `the server exited during the run (${signal ?? code}):\n${output()}`;
  };
  server.once('exit', onExit);

  let sampledRssBytes = 0;
  let measuring = false;
  const sampler = setInterval(() => {
    if (!measuring) return;
    void procStatus(pid).then((s) => {
      if (s && s.rssBytes > sampledRssBytes) sampledRssBytes = s.rssBytes;
    });
  }, 100);
  let cpuAtStart = { all: 0, eventLoop: 0 };
  let writtenAtStart = 0;
  let writtenAtEnd = 0;
  let result: PhaseResult;
  let cpuAtEnd: { all: number; eventLoop: number };
  let status: ProcStatus | null;
  try {
    const config: ClientConfig = {
      url,
      apiKey,
      recipients,
      letters: options.letters,
      warmup: options.warmup,
      concurrency: options.concurrency,
      pdfDir,
      requestTimeoutMs: 60_000,
    };
    result = await runChild('client.ts', config, phaseTimeout(options), (warm) => {
      measuring = true;
      log(`${warmedText(dialect, warm)}; sending ${options.letters} letters with concurrency ${options.concurrency}`);
      void procCpuMs(pid).then((ms) => {
        cpuAtStart = ms;
      });
      void procWrittenBytes(pid).then((bytes) => {
        writtenAtStart = bytes;
      });
    });
    measuring = false;
    cpuAtEnd = await procCpuMs(pid);
    writtenAtEnd = await procWrittenBytes(pid);
    status = await procStatus(pid);
    if (unexpectedExit) throw new Error(unexpectedExit);
  } finally {
    clearInterval(sampler);
    server.off('exit', onExit);
    if (server.exitCode === null) server.kill('SIGTERM');
    const code = await exited(server, options.cpuProfDir ? 60_000 : 15_000).catch(() => {
      server.kill('SIGKILL');
      return null;
    });
    if (code !== 0 && code !== null) log(`${dialect}: server exited with ${code}:\n${output()}`);
  }
  if (unexpectedExit) throw new Error(unexpectedExit);

  const expected = result.warmupLetters + options.letters - result.errors;
  const rows = await countLetters(dialect, dataDir, databaseUrl);
  // Each round starts on an empty data dir; the last one's letters need not fill the disk.
  await rm(dataDir, { recursive: true, force: true });
  if (rows !== expected) result.errors += Math.abs(expected - rows);
  return {
    ...result,
    hwmBytes: status?.hwmBytes ?? Number.NaN,
    sampledRssBytes,
    serverCpuMs: cpuAtEnd.all - cpuAtStart.all,
    eventLoopCpuMs: cpuAtEnd.eventLoop - cpuAtStart.eventLoop,
    writtenBytes: writtenAtEnd - writtenAtStart,
    rowsFound: rows,
    rowsExpected: expected,
  };
}

async function runBaselinePhase(
  options: Options,
  dialect: Dialect,
  pdfDir: string,
  round: number,
): Promise<PhaseResult> {
  const dir = join(tempRoot!, `baseline-${dialect}-${round}`);
  const config: BaselineConfig = {
    dialect,
    dir,
    databaseUrl: dialect === 'postgres' ? await createDatabase('baseline') : null,
    mailboxes: options.recipients,
    letters: options.letters,
    warmup: options.warmup,
    concurrency: options.concurrency,
    // As the server stores them by default (POSTKASSE_BLOB_INLINE_MAX_BYTES).
    inlineMaxBytes: dialect === 'sqlite' ? 256 * 1024 : 0,
    poolSize: 10,
    pdfDir,
  };
  await settleDisk();
  log(
    `${dialect}: baseline, warm-up (${warmupText(options)}) + ${options.letters} letters, concurrency ${options.concurrency}`,
  );
  const result = await runChild('baseline.ts', config, phaseTimeout(options), (warm) => log(warmedText(dialect, warm)));
  await rm(dir, { recursive: true, force: true });
  return result;
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(options: Options, reports: DialectReport[], pdfBytes: number): boolean {
  const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
  const mb = (n: number) => (Number.isFinite(n) ? `${(n / MB).toFixed(0)} MB` : '-');
  const rows: Array<[string, ...string[]]> = [['', ...reports.map((r) => r.dialect)]];
  const add = (label: string, cell: (r: DialectReport) => string) => rows.push([label, ...reports.map(cell)]);
  const ratio = (r: DialectReport) =>
    r.baseline ? r.server.lettersPerSecond / r.baseline.lettersPerSecond : Number.NaN;

  add('server letters/s', (r) => f0(r.server.lettersPerSecond));
  add('  at its start / end (mean)', (r) => `${f0(r.server.rates.first)} / ${f0(r.server.rates.last)}`);
  add('server latency p50 / p99 ms', (r) => `${f1(r.server.latency.p50)} / ${f1(r.server.latency.p99)}`);
  add('server latency p90 / max ms', (r) => `${f1(r.server.latency.p90)} / ${f1(r.server.latency.max)}`);
  add('server peak RSS (VmHWM)', (r) => mb(r.server.hwmBytes));
  add('server max RSS sampled in load', (r) => mb(r.server.sampledRssBytes));
  add('server CPU ms / letter', (r) => f2(r.server.serverCpuMs / r.server.letters));
  add('  of which event loop', (r) => f2(r.server.eventLoopCpuMs / r.server.letters));
  add('server KB written / letter', (r) => f1(r.server.writtenBytes / 1024 / r.server.letters));
  add('server CPU (cores busy)', (r) => f2(r.server.serverCpuMs / r.server.wallMs));
  add('client CPU (cores busy)', (r) => f2(r.server.cpuMs / r.server.wallMs));
  add('failed letters', (r) => String(r.server.errors));
  add('letters in database', ({ server: s }) =>
    s.rowsFound === s.rowsExpected ? `${s.rowsFound} ok` : `${s.rowsFound} of ${s.rowsExpected} expected`,
  );
  add('baseline letters/s', (r) => (r.baseline ? f0(r.baseline.lettersPerSecond) : 'skipped'));
  add('baseline latency p50 / p99 ms', (r) =>
    r.baseline ? `${f1(r.baseline.latency.p50)} / ${f1(r.baseline.latency.p99)}` : '-',
  );
  add('baseline CPU ms / letter', (r) => (r.baseline ? f2(r.baseline.cpuMs / r.baseline.letters) : '-'));
  add('ratio server / baseline', (r) => (Number.isFinite(ratio(r)) ? ratio(r).toFixed(3) : '-'));
  if (options.rounds > 1) {
    add('server letters/s by round', (r) => r.rounds.map((x) => f0(x.server)).join(' '));
    add('baseline letters/s by round', (r) =>
      r.rounds.map((x) => (x.baseline === null ? '-' : f0(x.baseline))).join(' '),
    );
    add('ratio by round', (r) =>
      r.rounds.map((x) => (x.baseline === null ? '-' : (x.server / x.baseline).toFixed(2))).join(' '),
    );
  }

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('   ');
  const rule = '-'.repeat(line(rows[0]!).length);
  console.log('');
  console.log(
    `Postkasse ingest benchmark: ${options.letters} letters in ${options.rounds} round(s) ` +
      `(each after a warm-up of ${warmupText(options)}), concurrency ` +
      `${options.concurrency}, ${options.recipients} recipients, PDF ${(pdfBytes / 1024).toFixed(1)} KB`,
  );
  console.log(`${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? '?'}), node ${process.version}`);
  console.log(rule);
  console.log(line(rows[0]!));
  console.log(rule);
  for (const row of rows.slice(1)) console.log(line(row));
  console.log(rule);

  let allMet = true;
  for (const r of reports) {
    const checks = [
      [`>= ${targets.lettersPerSecond} letters/s`, r.server.lettersPerSecond >= targets.lettersPerSecond],
      [`>= ${targets.ratio} of baseline`, r.baseline ? ratio(r) >= targets.ratio : null],
      [`peak RSS <= ${targets.rssBytes / MB} MB`, r.server.hwmBytes <= targets.rssBytes],
      ['no failed letters', r.server.errors === 0],
    ] as const;
    const text = checks.map(([name, ok]) => `${name}: ${ok === null ? 'n/a' : ok ? 'MET' : 'MISSED'}`).join(', ');
    const binding = r.dialect === 'sqlite' ? 'targets' : 'targets (informational)';
    console.log(`${r.dialect} ${binding}: ${text}`);
    if (r.dialect === 'sqlite' && checks.some(([, ok]) => ok === false)) allMet = false;
  }
  if (options.json) {
    // The figures, without every letter's latency.
    const bare = ({ latenciesMs: _, ...rest }: PhaseResult) => rest;
    const out = reports.map((r) => ({
      ...r,
      server: bare(r.server),
      baseline: r.baseline ? bare(r.baseline) : null,
    }));
    console.log(JSON.stringify({ options, pdfBytes, reports: out }, null, 2));
  }
  return allMet;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const options = readOptions();
  overall = setTimeout(() => {
    log(`overall timeout (${options.timeoutSeconds} s): stopping`);
    void finish(124);
  }, options.timeoutSeconds * 1000);
  pgAdminUrl = options.pgUrl;
  tempRoot = await mkdtemp(join(tmpdir(), 'postkasse-bench-'));
  const pdfDir = join(tempRoot, 'pdfs');
  await mkdir(pdfDir);
  const pdfs = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      samplePdf({ title: `Vedtak om bostøtte ${i + 1}`, reference: `2026/${10_000 + i}` }),
    ),
  );
  await Promise.all(pdfs.map((pdf, i) => writeFile(join(pdfDir, `letter-${i}.pdf`), pdf)));
  const pdfBytes = pdfs.reduce((n, p) => n + p.byteLength, 0) / pdfs.length;
  log(`temp dir ${tempRoot}; ${pdfs.length} sample PDFs of ~${(pdfBytes / 1024).toFixed(1)} KB`);

  const reports: DialectReport[] = [];
  for (const dialect of options.dialects) {
    const servers: ServerFigures[] = [];
    const baselines: PhaseResult[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // The letters split evenly; the first rounds take one more where they do not divide.
      const letters = Math.floor(options.letters / options.rounds) + (round < options.letters % options.rounds ? 1 : 0);
      const phase = { ...options, letters };
      const tag = options.rounds > 1 ? ` (round ${round + 1} of ${options.rounds})` : '';
      const baseline = async () => {
        if (options.skipBaseline) return;
        const b = await runBaselinePhase(phase, dialect, pdfDir, round);
        log(
          `${dialect}: baseline ${b.lettersPerSecond.toFixed(0)} letters/s (${ratesText(b.rates)}), ` +
            `p99 ${b.latency.p99.toFixed(1)} ms${tag}`,
        );
        baselines.push(b);
      };
      const server = async () => {
        const f = await runServerPhase(phase, dialect, pdfDir, round);
        log(
          `${dialect}: server ${f.lettersPerSecond.toFixed(0)} letters/s (${ratesText(f.rates)}), ` +
            `p99 ${f.latency.p99.toFixed(1)} ms${tag}`,
        );
        servers.push(f);
      };
      // Taking turns (baseline first, then server first, ...) so that a machine getting faster or
      // slower during the run favours neither.
      if (round % 2 === 0) {
        await baseline();
        await server();
      } else {
        await server();
        await baseline();
      }
    }
    reports.push({
      dialect,
      server: mergeServer(servers),
      baseline: baselines.length > 0 ? mergePhases(baselines) : null,
      rounds: servers.map((f, i) => ({
        server: f.lettersPerSecond,
        baseline: baselines[i]?.lettersPerSecond ?? null,
      })),
    });
  }
  const allMet = printReport(options, reports, pdfBytes);
  if (options.cpuProfDir) console.log(`CPU profiles of the server runs: ${options.cpuProfDir}`);
  const failed = reports.some((r) => r.server.errors > 0 || (r.baseline?.errors ?? 0) > 0);
  if (failed) return 1;
  return options.strict && !allMet ? 1 : 0;
}

let overall: NodeJS.Timeout | undefined;

async function finish(code: number): Promise<never> {
  if (overall) clearTimeout(overall);
  await cleanup();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void finish(130);
  });
}

main().then(
  (code) => finish(code),
  (error: unknown) => {
    // After Ctrl-C or the overall timeout the children were killed on purpose: no second report.
    if (cleaning) return;
    log(`FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    void finish(1);
  },
);
