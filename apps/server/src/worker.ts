/**
 * The background worker of a server process: runs due jobs (deliveries that fall due, held
 * letters, print) and delivers webhooks. Several processes may run it against PostgreSQL: jobs
 * are claimed with SKIP LOCKED and webhooks are leased, so each runs once at a time; a process
 * whose clock is far off from the database's takes no lease meanwhile (clock-check.ts).
 */
import {
  type Deps,
  deliverWebhooks,
  extendEventChain,
  type Job,
  lifecycleJobGaveUp,
  notificationJobGaveUp,
  planNotifications,
  runDueJobs,
  runLifecycleJob,
  runNotificationJob,
  type Webhook,
  type WebhookTransport,
} from '@postkasse/core';
import type { FastifyBaseLogger } from 'fastify';
import { createClockWatch } from './clock-check.js';
import type { AppContext } from './context.js';
import { presentFeedEvent } from './receipts.js';
import { assertPublicDestination } from './webhook-guard.js';

/**
 * How much each step of a round takes on at most. The chain's pages are read in one statement
 * each: on SQLite a read of 5,000 events held the letters' writer thread for 60-140 ms, one of
 * 1,000 lets their batches in between.
 */
const PAGES = { plan: 200, jobs: 50, hooks: 20, chain: 1000 };

const isNotification = (job: Job) => job.kind.startsWith('notify.');
/** Every kind of job, each to the module it belongs to. */
const handlers = {
  run: (deps: Deps, job: Job) => (isNotification(job) ? runNotificationJob(deps, job) : runLifecycleJob(deps, job)),
  gaveUp: (deps: Deps, job: Job, error: string) =>
    isNotification(job) ? notificationJobGaveUp(deps, job, error) : lifecycleJobGaveUp(deps, job, error),
};

export type Worker = {
  /** Runs everything due now until nothing is left; for tests with a controlled clock. */
  runOnce(options?: { chainEveryMs?: number }): Promise<{ jobs: number; webhookEvents: number; planned: number }>;
  start(logger: FastifyBaseLogger): void;
  stop(): Promise<void>;
};

/**
 * Posts with a timeout and without following redirects (a redirect is a failed delivery); in
 * production only to public addresses, checked again at every delivery.
 */
export const fetchTransport = (publicOnly: boolean): WebhookTransport => ({
  async post(url, body, headers) {
    if (publicOnly) await assertPublicDestination(url);
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status };
  },
});

export function createWorker(
  ctx: Pick<AppContext, 'deps' | 'platformKey' | 'config'>,
  transport: WebhookTransport = fetchTransport(!ctx.config.delivery.allowLocalHttpWebhooks),
): Worker {
  let log: FastifyBaseLogger | null = null;
  const onJobError = (job: Job, error: unknown) =>
    log?.warn({ err: error, job: { id: job.id, kind: job.kind, attempts: job.attempts } }, 'job failed');
  const onHookError = (hook: Webhook, error: unknown) => log?.warn({ err: error, webhook: hook.id }, 'webhook failed');
  const present = (e: Parameters<typeof presentFeedEvent>[1]) => presentFeedEvent(ctx, e);

  // The event chain is extended every few seconds in the background (tests: at every runOnce):
  // fewer, larger units of work beside a full load of letters, each event chained within seconds.
  let chainedAt = 0;
  async function runOnce(options: { chainEveryMs?: number; backlogOnly?: boolean } = {}) {
    let jobs = 0;
    let webhookEvents = 0;
    let planned = 0;
    // When due, the chain catches up with every event before this call ends.
    const chainDue = Date.now() - chainedAt >= (options.chainEveryMs ?? 0);
    if (chainDue) chainedAt = Date.now();
    for (let round = 0; round < 1000; round++) {
      const queued = await planNotifications(ctx.deps, { limit: PAGES.plan });
      const ran = await runDueJobs(ctx.deps, handlers, { onError: onJobError, limit: PAGES.jobs });
      const sent = await deliverWebhooks(ctx.deps, transport, present, { onError: onHookError, limit: PAGES.hooks });
      const chained = chainDue ? await extendEventChain(ctx.deps, { limit: PAGES.chain }) : 0;
      jobs += ran;
      webhookEvents += sent;
      planned += queued;
      if (ran === 0 && sent === 0 && queued === 0 && chained === 0) break;
      // A timed round goes on at once only while a step found a full page waiting: under a
      // steady stream of letters every round finds a few new ones, and rounds of a few letters
      // each (two write transactions, each pausing the letters' writer thread) cost the event
      // loop a fifth of its time per letter; what came in since waits for the next tick.
      const backlog = queued >= PAGES.plan || ran >= PAGES.jobs || sent >= PAGES.hooks || chained >= PAGES.chain;
      if (options.backlogOnly && !backlog) break;
    }
    return { jobs, webhookEvents, planned };
  }

  // Timed rounds only: a test's runOnce moves its clock by hand, days at a time.
  const clockWatch = createClockWatch(ctx.deps);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;
  let stopped = false;
  // While rounds fail (the database is away), they are tried less often, up to once a minute,
  // and logged at the first failure and then once a minute, not every second with a stack.
  let failures = 0;
  let loggedAt = 0;
  const tick = () => {
    if (stopped) return;
    running = clockWatch
      .allows(log)
      .then((allowed) => (allowed ? runOnce({ chainEveryMs: 5000, backlogOnly: true }) : undefined))
      .then(() => {
        if (failures > 0) log?.info({ failedRounds: failures }, 'worker rounds succeed again');
        failures = 0;
      })
      .catch((error: unknown) => {
        failures += 1;
        if (failures === 1 || Date.now() - loggedAt >= 60_000) {
          loggedAt = Date.now();
          log?.error({ err: error, failedRounds: failures }, 'worker round failed');
        }
      })
      .finally(() => {
        running = null;
        const wait = Math.min(ctx.config.workerIntervalMs * 2 ** Math.min(failures, 6), 60_000);
        if (!stopped) timer = setTimeout(tick, Math.max(wait, ctx.config.workerIntervalMs));
      });
  };
  return {
    runOnce,
    start(logger) {
      log = logger;
      if (ctx.config.workerIntervalMs > 0 && !timer && !stopped) timer = setTimeout(tick, ctx.config.workerIntervalMs);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
