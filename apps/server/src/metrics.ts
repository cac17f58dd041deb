import type { Deps } from '@postkasse/core';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { CLOCK_PAUSE_SECONDS, CLOCK_WARN_SECONDS, measureClockOffset } from './clock-check.js';

/**
 * The background queue, read at each scrape: how many jobs of each kind wait, are due now (and
 * since when the oldest), run, or gave up (`postkasse admin jobs` lists and retries those).
 */
function registerJobMetrics(registry: Registry, deps: Pick<Deps, 'store' | 'clock'>): void {
  let stats: Awaited<ReturnType<Deps['store']['read']['jobs']['stats']>> = [];
  new Gauge({
    name: 'postkasse_jobs',
    help: 'Background jobs by kind and state (pending includes due; due: pending and due now)',
    labelNames: ['kind', 'state'],
    registers: [registry],
    async collect() {
      stats = await deps.store.read.jobs.stats(deps.clock.now().toISOString());
      this.reset();
      for (const s of stats) {
        for (const state of ['pending', 'due', 'running', 'dead'] as const) this.set({ kind: s.kind, state }, s[state]);
      }
    },
  });
  // Collected after postkasse_jobs (the registry collects in order), from the same read.
  new Gauge({
    name: 'postkasse_jobs_oldest_due_seconds',
    help: 'How long the oldest due job of each kind has waited to run',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const now = deps.clock.now().getTime();
      for (const s of stats) {
        if (s.oldestDueAt) this.set({ kind: s.kind }, Math.max(0, (now - Date.parse(s.oldestDueAt)) / 1000));
      }
    },
  });
}

/** Prometheus metrics at /metrics: process figures, one histogram over every route, the job queue. */
export function registerMetrics(app: FastifyInstance, deps: Pick<Deps, 'store' | 'clock'>): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerJobMetrics(registry, deps);
  // Only where the database has a clock of its own (SQLite reads this machine's).
  if (deps.store.dialect === 'postgres') {
    new Gauge({
      name: 'postkasse_clock_offset_seconds',
      help:
        "The database's clock minus this process's, measured at the scrape; the worker warns from " +
        `${CLOCK_WARN_SECONDS} s and takes no job or lease from ${CLOCK_PAUSE_SECONDS} s`,
      registers: [registry],
      async collect() {
        const offset = await measureClockOffset(deps);
        if (offset) this.set(offset.seconds);
      },
    });
  }
  const duration = new Histogram({
    name: 'postkasse_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const problems = new Counter({
    name: 'postkasse_http_problems_total',
    help: 'Problem responses by status',
    labelNames: ['status'],
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
    if (reply.statusCode >= 400) problems.inc({ status: reply.statusCode });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
