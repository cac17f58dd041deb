import { timingSafeEqual } from 'node:crypto';
import { AppError, type PersonActor, resolveSession, type SenderActor, type Session } from '@postkasse/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from './context.js';
import { authenticateSenderCredential } from './routes/oauth.js';

export const SESSION_COOKIE = 'pk_session';

declare module 'fastify' {
  interface FastifyRequest {
    senderActor: SenderActor | null;
    personActor: PersonActor | null;
    session: Session | null;
  }
}

function bearer(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new AppError('unauthenticated', 'Send credentials as "Authorization: Bearer <token>"');
  return match[1];
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates every request of a route group before its body is read or validated: senders by
 * API key; persons by access token or by the web session cookie. A credential of the other kind
 * is simply not valid here.
 */
export function requireSender(app: FastifyInstance, ctx: AppContext): void {
  app.decorateRequest('senderActor', null);
  app.addHook('onRequest', async (request) => {
    const token = bearer(request);
    if (!token) throw new AppError('unauthenticated', 'Send the API key as "Authorization: Bearer <key>"');
    request.senderActor = await authenticateSenderCredential(ctx, token);
  });
}

/**
 * A session cookie authenticates only together with the session's CSRF token on unsafe methods
 * (`x-csrf-token` header), so another site cannot make a logged-in browser change anything.
 */
export function requirePerson(app: FastifyInstance, ctx: AppContext): void {
  if (!app.hasRequestDecorator('personActor')) app.decorateRequest('personActor', null);
  if (!app.hasRequestDecorator('session')) app.decorateRequest('session', null);
  app.addHook('onRequest', async (request) => {
    const token = bearer(request);
    if (token) {
      request.personActor = await ctx.tokens.verify(token);
      return;
    }
    const cookie = request.cookies?.pk_session;
    const session = cookie ? await resolveSession(ctx.deps, cookie) : null;
    if (!session)
      throw new AppError('unauthenticated', 'Log in, or send an access token as "Authorization: Bearer <token>"');
    if (!SAFE_METHODS.has(request.method)) {
      const given = request.headers['x-csrf-token'];
      if (typeof given !== 'string' || !sameToken(given, session.csrfToken)) throw new AppError('csrf_failed');
    }
    request.session = session;
    request.personActor = { kind: 'person', nationalId: session.nationalId, authLevel: session.authLevel };
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
