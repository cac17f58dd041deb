/**
 * A process whose clock is off from the database's: on PostgreSQL (processes on several machines
 * taking turns through leases stamped with their own clocks) it warns from 2 s, and from 30 s its
 * worker takes no job or lease until the clock is right again; /metrics shows the offset. SQLite
 * reads the same machine's clock: nothing is compared and the worker runs.
 */
import type { FastifyBaseLogger } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { letterJson, people, sendLetterHttp, startTestServer, type TestServer } from '../../../test/harness.js';
import { postgresAvailable } from '../../../test/postgres.js';
import { makeAnchor } from '../src/anchors.js';
import { createClockWatch, measureClockOffset } from '../src/clock-check.js';

const pgAvailable = await postgresAvailable();

type Logged = { level: string; message: string; obj: Record<string, unknown> };

function capturingLogger(logged: Logged[]): FastifyBaseLogger {
  const at = (level: string) => (obj: Record<string, unknown>, message: string) => logged.push({ level, message, obj });
  return {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: () => undefined,
  } as unknown as FastifyBaseLogger;
}

/** A clock `offsetMs` off from this machine's, which the test may change. */
function offClock(offsetMs: number) {
  const clock = { offsetMs, now: () => new Date(Date.now() + clock.offsetMs) };
  return clock;
}

async function sendOne(server: TestServer): Promise<void> {
  const sender = await server.sender();
  await server.person(people.kari);
  const res = await sendLetterHttp(server, sender.apiKey, letterJson());
  expect(res.status).toBe(201);
}

async function offsetMetric(server: TestServer): Promise<number | null> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('postkasse_clock_offset_seconds '));
  return line ? Number(line.split(' ')[1]) : null;
}

/** Sends a letter, starts the timed worker and waits for it to chain the letter's events, saying nothing amiss. */
async function expectWorkerChains(server: TestServer): Promise<void> {
  await sendOne(server);
  const logged: Logged[] = [];
  server.ctx.worker.start(capturingLogger(logged));
  const store = server.ctx.deps.store;
  await vi.waitFor(async () => expect((await store.read.eventChain.head()).position).toBeGreaterThanOrEqual(2), {
    timeout: 5000,
  });
  expect(logged.filter((l) => l.level !== 'info')).toEqual([]);
}

let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe.skipIf(!pgAvailable)('a clock off from the database (PostgreSQL)', () => {
  it('45 s ahead: the worker takes no lease (the events stay unchained), says why once, and /metrics shows it', async () => {
    server = await startTestServer('postgres', { POSTKASSE_WORKER_INTERVAL_MS: '20' }, { clock: offClock(45_000) });
    await sendOne(server);
    const logged: Logged[] = [];
    server.ctx.worker.start(capturingLogger(logged));
    await vi.waitFor(() => expect(logged.some((l) => l.level === 'error')).toBe(true), { timeout: 5000 });
    // Rounds every 20 ms for half a second: none of them chained the letter's events.
    await new Promise((r) => setTimeout(r, 500));
    expect((await server.ctx.deps.store.read.eventChain.head()).position).toBe(0);
    const errors = logged.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/clock is off from the database's.*takes no job or lease/);
    expect(errors[0]?.obj.offsetSeconds).toBeCloseTo(-45, 0);
    expect(await offsetMetric(server)).toBeCloseTo(-45, 0);
  });

  it('with the right clock the same worker chains the events and the metric is near 0', async () => {
    server = await startTestServer('postgres', { POSTKASSE_WORKER_INTERVAL_MS: '20' }, { clock: offClock(0) });
    await expectWorkerChains(server);
    expect(Math.abs((await offsetMetric(server)) ?? Number.NaN)).toBeLessThan(1);
  });

  it('the watch: paused from 30 s, a warning from 2 s, and it says when the clock agrees again', async () => {
    const clock = offClock(-40_000);
    server = await startTestServer('postgres', {}, { clock });
    const deps = { store: server.ctx.deps.store, clock };
    expect((await measureClockOffset(deps))?.seconds).toBeCloseTo(40, 0);
    const logged: Logged[] = [];
    const log = capturingLogger(logged);
    const watch = createClockWatch(deps, 0);
    expect(await watch.allows(log)).toBe(false);
    expect(await watch.allows(log)).toBe(false);
    clock.offsetMs = 5_000;
    expect(await watch.allows(log)).toBe(true);
    clock.offsetMs = 0;
    expect(await watch.allows(log)).toBe(true);
    expect(await watch.allows(log)).toBe(true);
    // Each change said once; the same state again within ten minutes says nothing more.
    expect(logged.map((l) => [l.level, l.obj.was ?? null])).toEqual([
      ['error', null],
      ['warn', null],
      ['info', 'off'],
    ]);
    expect(logged[1]?.obj.offsetSeconds).toBeCloseTo(-5, 0);
  });

  it('an anchor, which states its time, is refused 5 s off and made with the clock right', async () => {
    const clock = offClock(5_000);
    server = await startTestServer('postgres', {}, { clock });
    await sendOne(server);
    await expect(makeAnchor(server.ctx)).rejects.toThrow(/clock is 5\.\d s off from the database's/);
    expect((await server.ctx.deps.store.read.eventChain.head()).position).toBe(0);
    clock.offsetMs = 0;
    const anchor = await makeAnchor(server.ctx);
    expect(anchor.position).toBeGreaterThanOrEqual(2);
  });
});

describe('SQLite reads this machine clock', () => {
  it('compares nothing: no metric, and a worker with a clock 45 s ahead runs', async () => {
    server = await startTestServer('sqlite', { POSTKASSE_WORKER_INTERVAL_MS: '20' }, { clock: offClock(45_000) });
    expect(await measureClockOffset(server.ctx.deps)).toBeNull();
    await expectWorkerChains(server);
    expect(await offsetMetric(server)).toBeNull();
  });
});
