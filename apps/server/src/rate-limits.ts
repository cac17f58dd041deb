/**
 * Request rate limits (POSTKASSE_RATE_LIMITS), per minute and per process: each sender (by its
 * API key or client), each person (by token or session) and, on the endpoints that check
 * credentials without one (`/oauth/token`, the login routes), each client address. They run
 * after authentication, so a sender or person is counted as itself wherever it connects from,
 * and before a letter's documents are read (multipart is read in the handler), so a refused
 * upload costs little. Pages, assets, health and the API description are not counted: citizens
 * behind one carrier's address must all get in.
 * The answer is 429 `rate_limited`, retryable, with `Retry-After`.
 */
import fastifyRateLimit from '@fastify/rate-limit';
import { AppError } from '@postkasse/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';

/** Paths where an anonymous request checks credentials (counted by client address). */
const CREDENTIAL_PATHS = /^\/(oauth|auth|test-idp)(\/|$|\?)/;

const keyOf = (request: FastifyRequest): string =>
  request.senderActor
    ? `sender:${request.senderActor.sender.id}`
    : request.personActor
      ? `person:${request.personActor.nationalId}`
      : `address:${request.ip}`;

export async function registerRateLimits(app: FastifyInstance, ctx: Pick<AppContext, 'config'>): Promise<void> {
  const limits = ctx.config.rateLimits;
  if (!limits) return;
  await app.register(fastifyRateLimit, {
    global: true,
    hook: 'preHandler',
    timeWindow: 60_000,
    keyGenerator: keyOf,
    max: (_request, key) =>
      key.startsWith('sender:') ? limits.sender : key.startsWith('person:') ? limits.person : limits.anonymous,
    allowList: (request, key) => key.startsWith('address:') && !CREDENTIAL_PATHS.test(request.url),
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests: at most ${context.max} a minute; try again in ${context.after}`),
  });
}
