/**
 * What the orchestrator (run.ts) and its child processes (client.ts, baseline.ts) share: the
 * messages they exchange over IPC, the synthetic recipients and the latency statistics.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type Dialect = 'sqlite' | 'postgres';

/** Sent by a child over IPC once its warm-up is done and the measured phase starts. */
export type WarmMessage = { type: 'warm'; letters: number; seconds: number; rates: EdgeRates };

/**
 * Letters/s at the start and at the end of a phase: over its first and last second, or its first
 * and last quarter when it is shorter than 4 s.
 */
export type EdgeRates = { first: number; last: number; windowSeconds: number };

export type PhaseResult = {
  /** Letters in the measured phase (warm-up excluded). */
  letters: number;
  /** Letters of the warm-up before it. */
  warmupLetters: number;
  /** Letters that failed (non-201, wrong status, transport error); 0 in a good run. */
  errors: number;
  firstError: string | null;
  wallMs: number;
  lettersPerSecond: number;
  latency: LatencyStats;
  /** The measured phase's rate at its start and at its end: a ramp shows as a low first. */
  rates: EdgeRates;
  /** Every measured letter's latency in ms, so that rounds can be summed up exactly. */
  latenciesMs: number[];
  /** CPU the child itself used in the measured phase, in ms (user + system). */
  cpuMs: number;
  peakRssBytes: number;
};

export type ResultMessage = { type: 'result'; result: PhaseResult };
export type ErrorMessage = { type: 'error'; error: string };
export type ChildMessage = WarmMessage | ResultMessage | ErrorMessage;

export type LatencyStats = { p50: number; p90: number; p99: number; max: number; mean: number };

/** Nearest-rank percentiles over latencies in ms. */
export function latencyStats(samples: number[]): LatencyStats {
  if (samples.length === 0) return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: 0 };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0, mean: sum / sorted.length };
}

const W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function control(values: number[], weights: number[]): number | null {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (values[i] ?? 0) * (weights[i] ?? 0);
  const k = 11 - (sum % 11);
  if (k === 11) return 0;
  if (k === 10) return null;
  return k;
}

/**
 * `count` distinct synthetic Norwegian national ids (month + 80, as Skatteetaten's test ids):
 * DDMMYY III K1 K2 with both mod-11 control digits; candidates whose control digit would be 10
 * are skipped. Deterministic, so every run uses the same people.
 */
export function syntheticNationalIds(count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    if (n > 1_000_000) throw new Error('could not make enough synthetic national ids');
    const day = 1 + (n % 28);
    const month = 1 + (Math.floor(n / 28) % 12);
    const year = 70 + (Math.floor(n / 336) % 30);
    const individual = 100 + (Math.floor(n / 10_080) % 400);
    const base = `${String(day).padStart(2, '0')}${month + 80}${year}${individual}`;
    const d = Array.from(base, (c) => c.charCodeAt(0) - 48);
    const k1 = control(d, W1);
    if (k1 === null) continue;
    const k2 = control([...d, k1], W2);
    if (k2 === null) continue;
    ids.push(`${base}${k1}${k2}`);
  }
  return ids;
}

/** The sample PDFs the orchestrator wrote, in a stable order. */
export async function readDocuments(dir: string): Promise<Buffer[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.pdf')).sort();
  if (names.length === 0) throw new Error(`no PDFs in ${dir}`);
  return Promise.all(names.map((n) => readFile(join(dir, n))));
}

/** Reads the JSON configuration a child was started with (env BENCH_CHILD_CONFIG). */
export function childConfig<T>(): T {
  const text = process.env.BENCH_CHILD_CONFIG;
  if (!text) throw new Error('BENCH_CHILD_CONFIG is not set; this script is started by bench/ingest/run.ts');
  return JSON.parse(text) as T;
}

/** Sends a message to the parent and waits until it is handed over (so exit does not drop it). */
export function tell(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('no IPC channel to the parent'));
      return;
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()));
  });
}

export function cpuMsSince(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1000;
}

/**
 * Runs `work(i)` for i in [0, count) with at most `concurrency` in flight; answers the times
 * (ms since it began) at which they finished, in order.
 */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<Float64Array> {
  const started = performance.now();
  const finished = new Float64Array(count);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      await work(next++);
      finished[done++] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return finished;
}

/** A phase's EdgeRates, from the times its letters finished. */
export function edgeRates(finished: Float64Array): EdgeRates {
  const end = finished.length > 0 ? finished[finished.length - 1]! : 0;
  const window = Math.min(1000, end / 4);
  if (window <= 0) return { first: Number.NaN, last: Number.NaN, windowSeconds: 0 };
  let first = 0;
  let last = 0;
  for (const t of finished) {
    if (t <= window) first++;
    if (t > end - window) last++;
  }
  return { first: (first / window) * 1000, last: (last / window) * 1000, windowSeconds: window / 1000 };
}

/** Runs a bench child's main: exit 0 when done, or tell the parent what failed and exit 1. */
export function runAsChild(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    async (error: unknown) => {
      await tell({
        type: 'error',
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }).catch(() => undefined);
      process.exit(1);
    },
  );
}

export type WarmupConfig = { warmup: number; concurrency: number };

/**
 * The warm-up: `warmup` calls of `one`, `concurrency` in flight, so that the measured phase finds
 * the process in its steady state; tells the parent how many and how long they took.
 */
export async function warmUp(config: WarmupConfig, one: (n: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  const finished = await pool(config.warmup, config.concurrency, async (i) => {
    await one(i);
  });
  const seconds = (performance.now() - started) / 1000;
  await tell({ type: 'warm', letters: config.warmup, seconds, rates: edgeRates(finished) });
  return config.warmup;
}

/** The measured phase: `letters` calls of `one` (numbered after the warm-up's), timed for wall clock and CPU. */
export async function measure(
  config: { letters: number; concurrency: number },
  warmed: number,
  one: (n: number) => Promise<number>,
): Promise<{ latencies: number[]; wallMs: number; cpuMs: number; rates: EdgeRates }> {
  const latencies = new Array<number>(config.letters);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const finished = await pool(config.letters, config.concurrency, async (i) => {
    latencies[i] = await one(warmed + i);
  });
  return { latencies, wallMs: performance.now() - started, cpuMs: cpuMsSince(cpu), rates: edgeRates(finished) };
}
