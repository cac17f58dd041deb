import { AppError, authenticateApiKey, type PersonActor, type SenderActor } from '@postkasse/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    senderActor: SenderActor | null;
    personActor: PersonActor | null;
  }
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) throw new AppError('unauthenticated', 'Send credentials as "Authorization: Bearer <token>"');
  return match[1];
}

/**
 * Authenticates every request of a route group before its body is read or validated: senders by
 * API key, persons by access token. A credential of the other kind is simply not valid here.
 */
export function requireSender(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('senderActor', null);
  app.addHook('onRequest', async (request) => {
    const found = await authenticateApiKey(ctx.deps, bearer(request));
    if (!found) throw new AppError('invalid_token', 'The API key is not valid or has been revoked');
    request.senderActor = { kind: 'sender', sender: found.sender, credentialId: found.key.id };
  });
}

export function requirePerson(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('personActor', null);
  app.addHook('onRequest', async (request) => {
    request.personActor = await ctx.tokens.verify(bearer(request));
  });
}

export function senderOf(request: FastifyRequest): SenderActor {
  if (!request.senderActor) throw new AppError('unauthenticated');
  return request.senderActor;
}

export function personOf(request: FastifyRequest): PersonActor {
  if (!request.personActor) throw new AppError('unauthenticated');
  return request.personActor;
}
