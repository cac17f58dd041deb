/**
 * Request rate limits (POSTKASSE_RATE_LIMITS), per minute: each sender (by its
 * API key or client), each person (by token or session) and, on the endpoints that check
 * credentials without one (`/oauth/token`, the login routes), each client address. They run
 * after authentication, so a sender or person is counted as itself wherever it connects from,
 * and before a letter's documents are read (multipart is read in the handler), so a refused
 * upload costs little. Pages, assets, health and the API description are not counted: citizens
 * behind one carrier's address must all get in.
 * The answer is 429 `rate_limited`, retryable, with `Retry-After`.
 *
 * Each process counts on its own unless POSTKASSE_RATE_LIMIT_REDIS_URL names a Redis that the
 * installation's processes share: then a limit holds for the installation, however many
 * processes a load balancer spreads the requests over. Redis holds only counters under
 * pseudonyms (a keyed hash of the national id or address, never the id itself). While it cannot
 * be reached, requests are let through and counted nowhere (a warning a minute says so): letters
 * must not stop because a counter is away.
 */
import { createHmac } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import { AppError } from '@postkasse/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import type { AppContext } from './context.js';

/** Paths where an anonymous request checks credentials (counted by client address). */
const CREDENTIAL_PATHS = /^\/(oauth|auth|test-idp)(\/|$|\?)/;

/** The count's key: the sender's id, or a pseudonym of the person's national id or the address. */
function keyGenerator(secret: string): (request: FastifyRequest) => string {
  const pseudonym = (value: string) =>
    createHmac('sha256', secret).update(`postkasse:rate-limit:${value}`).digest('base64url').slice(0, 22);
  return (request) =>
    request.senderActor
      ? `sender:${request.senderActor.sender.id}`
      : request.personActor
        ? `person:${pseudonym(request.personActor.nationalId)}`
        : `address:${pseudonym(request.ip)}`;
}

/** How long a request waits for Redis's count before it goes on uncounted. */
const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/** The Redis the installation's processes count in, connected (or trying to be) before the first request. */
async function sharedCounter(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'deps'>,
  url: string,
  metrics: Registry | undefined,
): Promise<{ redis: import('ioredis').Redis; nameSpace: string; watch(): void }> {
  // Loaded only by installations that share their counts.
  const { Redis } = await import('ioredis');
  const installation = await ctx.deps.store.read.installation.get();
  const redis = new Redis(url, {
    lazyConnect: true,
    // A request never queues behind a connection that is not there: its count fails at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 250, 5_000),
  });
  let warnedAt = 0;
  let failedAt = 0;
  const warn = (error: unknown) => {
    failedAt = Date.now();
    if (Date.now() - warnedAt < 60_000) return;
    warnedAt = Date.now();
    app.log.warn(
      { reason: error instanceof Error ? error.message : String(error) },
      'rate limits: Redis cannot be reached or does not answer; requests are let through uncounted until it does',
    );
  };
  redis.on('error', warn);
  if (metrics) {
    new Gauge({
      name: 'postkasse_rate_limits_shared_up',
      help: 'Whether the Redis the rate limits are counted in answers (1), or requests pass uncounted (0)',
      registers: [metrics],
      collect() {
        // 0 while not connected, and for a minute after a count failed (a Redis that does not answer).
        this.set(redis.status === 'ready' && Date.now() - failedAt > 60_000 ? 1 : 0);
      },
    });
  }
  try {
    await redis.connect();
  } catch (error) {
    // It goes on trying (retryStrategy); the process serves meanwhile.
    warn(error);
  }
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  /**
   * Counts that fail while connected (a Redis too slow to answer within the timeout) pass
   * uncounted too (skipOnError); this makes them warn and show in the metric. It wraps the
   * counting command @fastify/rate-limit defines on the client (`rateLimit`, callback last).
   */
  const watch = () => {
    const client = redis as unknown as Record<string, unknown>;
    const count = client.rateLimit;
    if (typeof count !== 'function') return;
    client.rateLimit = (...args: unknown[]) => {
      const done = args.pop() as (error: unknown, result: unknown) => void;
      return count.call(redis, ...args, (error: unknown, result: unknown) => {
        if (error) warn(error);
        done(error, result);
      });
    };
  };
  return { redis, nameSpace: `postkasse:${installation?.id ?? 'installation'}:rate:`, watch };
}

export async function registerRateLimits(
  app: FastifyInstance,
  ctx: Pick<AppContext, 'config' | 'cookieSecret' | 'deps'>,
  /** Where a shared store's state is reported (/metrics). */
  metrics?: Registry,
): Promise<void> {
  const limits = ctx.config.rateLimits;
  if (!limits) return;
  const redisUrl = ctx.config.rateLimitRedisUrl;
  const shared = redisUrl ? await sharedCounter(app, ctx, redisUrl, metrics) : null;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    keyGenerator: keyGenerator(ctx.cookieSecret),
    max: (_request, key) =>
      key.startsWith('sender:') ? limits.sender : key.startsWith('person:') ? limits.person : limits.anonymous,
    allowList: (request, key) => key.startsWith('address:') && !CREDENTIAL_PATHS.test(request.url),
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests: at most ${context.max} a minute; try again in ${context.after}`),
    ...(shared ? { redis: shared.redis, nameSpace: shared.nameSpace, skipOnError: true } : {}),
  });
  shared?.watch();
}
