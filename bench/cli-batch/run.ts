/**
 * bench/cli-batch: `postkasse batch send` with N rows (default 20,000) against a server running
 * as its own process. The CLI is interrupted with SIGINT halfway and resumed; the bench reports
 * letters/s and the CLI's peak RSS (VmHWM) for each run, and checks that the server holds exactly
 * N letters, once each. In the same run it measures a baseline: the same number of letters sent
 * by a minimal in-process fetch loop with the same concurrency, and prints the ratio.
 *
 *   npm run bench:cli-batch
 *   BENCH_ROWS=2000 BENCH_CONCURRENCY=8 BENCH_RECIPIENTS=500 npm run bench:cli-batch
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey, createSender, registerPerson } from '@postkasse/core';
import { createContext, loadConfig } from '@postkasse/server';
import Database from 'better-sqlite3';
import { samplePdf } from '../../apps/cli/src/sample-pdf.js';
import { childEnv, spawnServer } from '../../test/spawn-server.js';
import { syntheticNationalIds } from '../ingest/shared.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// The launcher users get from npx (it picks the sender commands' memory settings).
const cliBin = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse');
const rows = Number(process.env.BENCH_ROWS ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const recipients = Number(process.env.BENCH_RECIPIENTS ?? 500);
const log = (m: string) => process.stderr.write(`[bench:cli-batch] ${m}\n`);

async function vmHwm(pid: number): Promise<number> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024;
}

async function stateRows(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  let n = 0;
  for (const line of text.split('\n')) if (/^\d+\t/.test(line)) n++;
  return n;
}

type CliRun = { code: number; stdout: string; stderr: string; wallMs: number; peakRss: number };

/**
 * Runs the CLI, sampling its peak RSS until it exits (VmHWM only grows, so the last sample before
 * exit is the peak); `interruptWhen` is polled and SIGINT sent once it says so.
 */
function runCli(args: string[], env: Record<string, string>, interruptWhen?: () => Promise<boolean>): Promise<CliRun> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child: ChildProcess = spawn(cliBin, args, {
      cwd: repoRoot,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    let peakRss = 0;
    let signalled = false;
    let exited = false;
    const sample = async () => {
      while (!exited) {
        peakRss = Math.max(peakRss, await vmHwm(child.pid as number));
        if (interruptWhen && !signalled && (await interruptWhen())) {
          signalled = true;
          child.kill('SIGINT');
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    void sample();
    child.once('exit', (code) => {
      exited = true;
      resolvePromise({ code: code ?? 1, stdout, stderr, wallMs: performance.now() - started, peakRss });
    });
  });
}

/** The baseline: a bare fetch loop, same letters, same concurrency, no SDK, no state, no parsing. */
async function baseline(url: string, apiKey: string, pdf: Buffer, people: string[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < rows) {
      const i = next++;
      const form = new FormData();
      const letter = {
        id: randomUUID(),
        recipient: { nationalId: people[i % people.length] },
        subject: `Årsoppgave ${i + 1}`,
        authLevel: 'substantial',
        documents: [{ part: 'doc1', role: 'main', filename: 'brev.pdf', mediaType: 'application/pdf' }],
      };
      form.append('message', new Blob([JSON.stringify(letter)], { type: 'application/json' }));
      form.append('doc1', new Blob([pdf], { type: 'application/pdf' }), 'brev.pdf');
      const res = await fetch(`${url}/api/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}` },
        body: form,
      });
      const body = await res.text();
      if (res.status !== 201) throw new Error(`baseline letter ${i}: ${res.status} ${body.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return performance.now() - started;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const rate = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000);

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'pk-bench-cli-batch-'));
  const work = await mkdtemp(join(tmpdir(), 'pk-bench-cli-batch-work-'));
  let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
  try {
    const people = syntheticNationalIds(recipients);
    log(`seeding ${people.length} recipients with mailboxes and two senders`);
    const ctx = await createContext(loadConfig({ POSTKASSE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    for (const nationalId of people) await registerPerson(ctx.deps, { nationalId });
    const cliSender = await createSender(ctx.deps, { orgNumber: '974000008', name: 'Skatteetaten', kind: 'public' });
    const cliKey = (await createApiKey(ctx.deps, cliSender.id)).secret;
    const baseSender = await createSender(ctx.deps, { orgNumber: '958300018', name: 'NAV', kind: 'public' });
    const baseKey = (await createApiKey(ctx.deps, baseSender.id)).secret;
    await ctx.close();

    const pdf = await samplePdf({ title: 'Årsoppgave 2026' });
    await writeFile(join(work, 'brev.pdf'), pdf);
    const input = join(work, 'letters.csv');
    const lines = ['to,subject,file,authLevel,nonSensitiveTitle,senderReference'];
    for (let i = 1; i <= rows; i++) {
      lines.push(`${people[i % people.length]},Årsoppgave ${i},brev.pdf,substantial,Brev fra Skatteetaten,REF-${i}`);
    }
    await writeFile(input, `${lines.join('\n')}\n`);
    log(`${rows} rows (${mb((await stat(input)).size)} CSV), one ${Math.round(pdf.length / 1024)} KB PDF`);

    server = await spawnServer({ POSTKASSE_DATA_DIR: dataDir }, 60_000);
    const env = { POSTKASSE_URL: server.url, POSTKASSE_API_KEY: cliKey };

    log(`baseline: ${rows} letters by a bare fetch loop, ${concurrency} in flight`);
    const baseMs = await baseline(server.url, baseKey, pdf, people);

    const args = ['batch', 'send', input, '--documents', work, '--concurrency', String(concurrency), '--json'];
    log('CLI run 1: interrupted with SIGINT halfway');
    const first = await runCli(args, env, async () => (await stateRows(`${input}.state`)) >= rows / 2);
    if (first.code !== 130) throw new Error(`run 1 exited ${first.code}, not 130:\n${first.stdout}\n${first.stderr}`);
    const s1 = JSON.parse(first.stdout);
    log(`CLI run 2: resumed`);
    const second = await runCli(args, env);
    if (second.code !== 0) throw new Error(`run 2 exited ${second.code}:\n${second.stdout}\n${second.stderr}`);
    const s2 = JSON.parse(second.stdout);

    const db = new Database(join(dataDir, 'postkasse.sqlite'), { readonly: true });
    const stored = db
      .prepare('select count(*) as n, count(distinct external_id) as ids from letters where sender_id = ?')
      .get(cliSender.id) as { n: number; ids: number };
    db.close();
    const exact = stored.n === rows && stored.ids === rows && s1.sent + s2.sent === rows && s2.skipped === s1.sent;

    const cliSent = s1.sent + s2.sent;
    const cliMs = s1.elapsedMs + s2.elapsedMs;
    const cliWall = first.wallMs + second.wallMs;
    const base = rate(rows, baseMs);
    const report = [
      `bench:cli-batch: ${rows} letters to ${recipients} recipients, one ${Math.round(pdf.length / 1024)} KB PDF each, ${concurrency} in flight (SQLite, server in its own process)`,
      `  run 1 (SIGINT at half): ${s1.sent} letters in ${(s1.elapsedMs / 1000).toFixed(1)} s = ${rate(s1.sent, s1.elapsedMs)} letters/s; process ${(first.wallMs / 1000).toFixed(1)} s; peak RSS ${mb(first.peakRss)}`,
      `  run 2 (resumed):        ${s2.sent} letters in ${(s2.elapsedMs / 1000).toFixed(1)} s = ${rate(s2.sent, s2.elapsedMs)} letters/s; process ${(second.wallMs / 1000).toFixed(1)} s; peak RSS ${mb(second.peakRss)}; ${s2.skipped} rows skipped, ${s2.replayed} answered as replays`,
      `  CLI overall: ${rate(cliSent, cliMs)} letters/s sending (${rate(cliSent, cliWall)} letters/s counting process start-up)`,
      `  baseline (bare fetch loop, same concurrency): ${base} letters/s in ${(baseMs / 1000).toFixed(1)} s`,
      `  ratio CLI / baseline: ${(rate(cliSent, cliMs) / base).toFixed(2)} (${(rate(cliSent, cliWall) / base).toFixed(2)} with start-up)`,
      `  server letters from the CLI's sender: ${stored.n} (${stored.ids} distinct ids) — ${exact ? 'exactly once each: OK' : 'MISMATCH'}`,
    ];
    process.stdout.write(`${report.join('\n')}\n`);
    if (!exact) process.exitCode = 1;
  } finally {
    await server?.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

await main();
