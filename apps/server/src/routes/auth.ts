import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  type AuthLevel,
  acrValues,
  authLevelFromAcr,
  completeLogin,
  endSession,
  isAppError,
  maskNationalId,
  satisfiesLevel,
} from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { type AuthPage, authPage } from '../auth-pages.js';
import { personOf, requirePerson, SESSION_COOKIE } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { problems } from './common.schemas.js';

const LOGIN_COOKIE = 'pk_login';

/** Only our own paths: no scheme, no host, no `//evil` or `/\evil`, no control characters. */
export function safeReturnTo(value: string | undefined, publicUrl: string): string {
  if (!value) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f\\]/.test(value)) {
    throw new AppError('validation_failed', 'returnTo must be a path on this site', {
      errors: [{ path: 'query.returnTo', code: 'not_a_local_path', message: 'must be a path on this site' }],
    });
  }
  const base = new URL(publicUrl);
  const target = new URL(value, base);
  if (target.origin !== base.origin) {
    throw new AppError('validation_failed', 'returnTo must be a path on this site');
  }
  const path = `${target.pathname}${target.search}${target.hash}`;
  // Dot segments are resolved above: "/.//evil" becomes "//evil", a host. Check the result too.
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) {
    throw new AppError('validation_failed', 'returnTo must be a path on this site');
  }
  return path;
}

function levelParam(value: string | undefined): AuthLevel {
  if (value === undefined || value === '') return 'substantial';
  const level = value === 'substantial' || value === 'high' ? value : authLevelFromAcr(value);
  if (!level) {
    throw new AppError('validation_failed', 'acr is substantial, high, idporten-loa-substantial or idporten-loa-high', {
      errors: [{ path: 'query.acr', code: 'enum', message: 'unknown level' }],
    });
  }
  return level;
}

/** The login URL that asks for a level and comes back to a page: used for step-up. */
export function loginUrl(level: AuthLevel, returnTo: string): string {
  return `/auth/login?acr=${acrValues[level]}&returnTo=${encodeURIComponent(returnTo)}`;
}

type LoginState = { state: string; nonce: string; verifier: string; returnTo: string; level: AuthLevel; iat: number };

/** A login must come back within this time; the signed state cookie says when it started. */
const LOGIN_TTL_MS = 10 * 60_000;

function htmlPage(request: FastifyRequest, reply: FastifyReply, status: number, kind: AuthPage, retry?: string) {
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(authPage(kind, request.headers['accept-language'], { retry }));
}

/**
 * Web login with OpenID Connect: /auth/login sends the browser to the provider with PKCE, state,
 * nonce and the wanted level; /auth/callback checks all of them and the level the provider says
 * it reached, opens a server-side session and returns to the page the person came from.
 */
export function authRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    const secure = ctx.config.publicUrl.startsWith('https:');
    const cookieBase = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure };

    app.get(
      '/auth/login',
      {
        schema: {
          tags: ['login'],
          operationId: 'startLogin',
          summary: 'Start a login at the identity provider',
          querystring: Type.Object({
            acr: Type.Optional(Type.String({ maxLength: 64 })),
            returnTo: Type.Optional(Type.String({ maxLength: 2000 })),
          }),
          response: { 302: Type.Null(), ...problems(400, 503) },
        },
      },
      async (request, reply) => {
        const level = levelParam(request.query.acr);
        const returnTo = safeReturnTo(request.query.returnTo, ctx.config.publicUrl);
        const configuration = await ctx.oidc.configuration().catch((error: unknown) => {
          throw new AppError('service_unavailable', 'The identity provider does not answer', { cause: error });
        });
        const state: LoginState = {
          state: client.randomState(),
          nonce: client.randomNonce(),
          verifier: client.randomPKCECodeVerifier(),
          returnTo,
          level,
          iat: Date.now(),
        };
        const url = client.buildAuthorizationUrl(configuration, {
          redirect_uri: ctx.oidc.redirectUri,
          scope: 'openid mailbox',
          response_type: 'code',
          code_challenge: await client.calculatePKCECodeChallenge(state.verifier),
          code_challenge_method: 'S256',
          state: state.state,
          nonce: state.nonce,
          acr_values: acrValues[level],
          // Always a fresh authentication: after a logout on a shared computer, the provider's
          // single sign-on must not log the next person in as the previous one; step-up too.
          prompt: 'login',
        });
        reply.setCookie(LOGIN_COOKIE, JSON.stringify(state), { ...cookieBase, signed: true, maxAge: 600 });
        return reply.redirect(url.href, 302);
      },
    );

    app.get('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
      const raw = request.cookies[LOGIN_COOKIE];
      const unsigned = raw ? request.unsignCookie(raw) : null;
      reply.clearCookie(LOGIN_COOKIE, cookieBase);
      if (!unsigned?.valid || !unsigned.value) {
        return htmlPage(request, reply, 400, 'expiredElsewhere');
      }
      const state = JSON.parse(unsigned.value) as LoginState;
      // Logging in again goes to the same page, at the same level.
      const again = loginUrl(state.level, state.returnTo);
      if (!(Date.now() - state.iat < LOGIN_TTL_MS)) {
        return htmlPage(request, reply, 400, 'expired', again);
      }
      let claims: Record<string, unknown> | undefined;
      try {
        const configuration = await ctx.oidc.configuration();
        const current = new URL(request.url, ctx.config.publicUrl);
        const tokens = await client.authorizationCodeGrant(configuration, current, {
          pkceCodeVerifier: state.verifier,
          expectedState: state.state,
          expectedNonce: state.nonce,
          idTokenExpected: true,
        });
        claims = tokens.claims();
      } catch (error) {
        request.log.info({ err: error }, 'login callback refused');
        return htmlPage(request, reply, 400, 'failed', again);
      }
      // The level is what the provider says it reached, never what we asked for.
      const reached = authLevelFromAcr(claims?.acr);
      if (!reached || !satisfiesLevel(reached, state.level)) {
        return htmlPage(request, reply, 403, 'levelTooLow', again);
      }
      try {
        const { token } = await completeLogin(ctx.deps, {
          nationalId: String(claims?.pid ?? ''),
          authLevel: reached,
        });
        const old = request.cookies[SESSION_COOKIE];
        if (old) await endSession(ctx.deps, old);
        reply.setCookie(SESSION_COOKIE, token, { ...cookieBase, maxAge: 8 * 3600 });
        return reply.redirect(state.returnTo, 303);
      } catch (error) {
        if (isAppError(error) && error.code === 'not_registered') {
          return htmlPage(request, reply, 403, 'notRegistered');
        }
        throw error;
      }
    });

    app.register(async (session) => {
      requirePerson(session, ctx);
      session.get(
        '/auth/session',
        {
          schema: {
            tags: ['login'],
            operationId: 'getSession',
            summary: 'The current login: who, at which level, and the CSRF token for unsafe requests',
            response: {
              200: Type.Object({
                nationalId: Type.String({ description: 'masked' }),
                authLevel: Type.Union([Type.Literal('substantial'), Type.Literal('high')]),
                csrfToken: Type.Union([Type.String(), Type.Null()]),
              }),
              ...problems(401),
            },
          },
        },
        async (request) => {
          const actor = personOf(request);
          return {
            nationalId: maskNationalId(actor.nationalId),
            authLevel: actor.authLevel,
            csrfToken: request.session?.csrfToken ?? null,
          };
        },
      );
      session.post(
        '/auth/logout',
        {
          schema: {
            tags: ['login'],
            operationId: 'logout',
            summary: 'End the session',
            response: { 204: Type.Null(), ...problems(401, 403) },
          },
        },
        async (request, reply) => {
          const token = request.cookies[SESSION_COOKIE];
          if (token) await endSession(ctx.deps, token);
          reply.clearCookie(SESSION_COOKIE, cookieBase);
          return reply.code(204).send(null);
        },
      );
    });
  };
}
