/**
 * A worker whose rounds fail (the database is away) tries less often and logs the failure once,
 * not every second with a stack, and says when rounds succeed again.
 */
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { createWorker } from '../src/worker.js';

describe('the worker while its database is away', () => {
  it('backs off, logs the first failure only, and says when rounds succeed again', async () => {
    let away = true;
    let reads = 0;
    const refuse = async () => {
      reads += 1;
      if (away) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      return [];
    };
    const store = {
      serverTime: async () => null,
      read: {
        cursors: { get: async () => null },
        events: { deliveredForNotice: refuse, since: async () => [] },
        jobs: { anyDue: async () => false },
        webhooks: { anyDue: async () => false },
      },
    };
    const logged: Array<{ level: string; message: string }> = [];
    const log = (level: string) => (_obj: unknown, message: string) => logged.push({ level, message });
    const logger = { error: log('error'), info: log('info'), warn: log('warn') } as unknown as FastifyBaseLogger;
    const worker = createWorker(
      {
        deps: { store, clock: { now: () => new Date() } } as never,
        platformKey: {} as never,
        config: { workerIntervalMs: 10, delivery: { allowLocalHttpWebhooks: true } } as never,
      },
      { post: async () => ({ status: 200 }) },
    );
    worker.start(logger);
    await new Promise((r) => setTimeout(r, 700));
    // At 10 ms a round without backing off, 700 ms would have been ~70 rounds.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThan(10);
    expect(logged.filter((l) => l.level === 'error')).toEqual([{ level: 'error', message: 'worker round failed' }]);
    away = false;
    await vi.waitFor(() => expect(logged.at(-1)).toEqual({ level: 'info', message: 'worker rounds succeed again' }), {
      timeout: 10_000,
      interval: 50,
    });
    await worker.stop();
  });
});
