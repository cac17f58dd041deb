import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, authenticateApiKey, type SenderActor } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, SignJWT } from 'jose';
import type { AppContext } from '../context.js';

export const SENDER_TOKEN_AUDIENCE = 'postkasse-sender-api';
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ASSERTION_ALGS = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];
const TOKEN_TTL_S = 600;
const MAX_ASSERTION_LIFETIME_S = 300;

type OAuthError = { status: number; error: string; description: string };
const oauthError = (status: number, error: string, description: string): OAuthError => ({ status, error, description });

/** Exchanges a sender's signed client assertion (RFC 7523) for a short-lived access token. */
async function exchangeAssertion(ctx: AppContext, body: Record<string, unknown>) {
  if (body.grant_type !== 'client_credentials') {
    throw oauthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');
  }
  if (body.client_assertion_type !== ASSERTION_TYPE || typeof body.client_assertion !== 'string') {
    throw oauthError(400, 'invalid_request', `Send client_assertion_type=${ASSERTION_TYPE} and a client_assertion`);
  }
  const assertion = body.client_assertion;
  let senderId: string;
  let kid: string | undefined;
  try {
    senderId = String(decodeJwt(assertion).iss ?? '');
    kid = decodeProtectedHeader(assertion).kid;
  } catch {
    throw oauthError(400, 'invalid_request', 'client_assertion is not a JWT');
  }
  const invalid = oauthError(401, 'invalid_client', 'The client assertion is not valid');
  const sender = /^[0-9a-f-]{36}$/.test(senderId) ? await ctx.deps.store.read.senders.get(senderId) : null;
  if (sender?.status !== 'active') throw invalid;
  const keys = (await ctx.deps.store.read.clientKeys.listBySender(sender.id)).filter(
    (k) => !k.revokedAt && (kid === undefined || k.kid === kid),
  );
  for (const key of keys) {
    try {
      const alg = typeof key.jwk.alg === 'string' ? key.jwk.alg : undefined;
      const publicKey = await importJWK(key.jwk, alg);
      const { payload } = await jwtVerify(assertion, publicKey, {
        issuer: sender.id,
        subject: sender.id,
        audience: `${ctx.config.publicUrl}/oauth/token`,
        algorithms: ASSERTION_ALGS,
        requiredClaims: ['exp', 'iat', 'jti'],
        maxTokenAge: `${MAX_ASSERTION_LIFETIME_S}s`,
        clockTolerance: 30,
      });
      if ((payload.exp ?? 0) - (payload.iat ?? 0) > MAX_ASSERTION_LIFETIME_S) throw new Error('lives too long');
      const now = ctx.deps.clock.now();
      const fresh = await ctx.deps.store.write((repos) =>
        repos.clientKeys.useAssertion(
          `${sender.id}:${payload.jti}`,
          new Date((payload.exp ?? 0) * 1000 + 60_000).toISOString(),
          now.toISOString(),
        ),
      );
      if (!fresh) throw oauthError(400, 'invalid_grant', 'This client assertion was already used');
      const requested = typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : key.scopes;
      const refused = requested.filter((sc) => !key.scopes.includes(sc));
      if (refused.length > 0) {
        throw oauthError(400, 'invalid_scope', `This client key is not allowed ${refused.join(', ')}`);
      }
      const scope = [...new Set(['messages', ...requested])].join(' ');
      const token = await new SignJWT({ scope, cid: key.id })
        .setProtectedHeader({ alg: 'EdDSA', kid: ctx.platformKey.kid, typ: 'at+jwt' })
        .setIssuer(ctx.config.publicUrl)
        .setSubject(sender.id)
        .setAudience(SENDER_TOKEN_AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${TOKEN_TTL_S}s`)
        .sign(ctx.platformKey.privateKey);
      return { access_token: token, token_type: 'Bearer' as const, expires_in: TOKEN_TTL_S, scope };
    } catch (error) {
      const code = (error as OAuthError).error;
      if (code === 'invalid_grant' || code === 'invalid_scope') throw error;
    }
  }
  throw invalid;
}

/**
 * Authenticates a sender by API key or by an access token from the client-credentials grant.
 * Both end in the same actor; a revoked key or a disabled sender fails either way.
 */
export async function authenticateSenderCredential(ctx: AppContext, credential: string): Promise<SenderActor> {
  if (credential.includes('.')) {
    try {
      const { payload } = await jwtVerify(credential, ctx.platformKey.publicKey, {
        issuer: ctx.config.publicUrl,
        audience: SENDER_TOKEN_AUDIENCE,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'sub'],
      });
      const sender = await ctx.deps.store.read.senders.get(String(payload.sub));
      const key = (await ctx.deps.store.read.clientKeys.listBySender(String(payload.sub))).find(
        (k) => k.id === payload.cid,
      );
      if (sender?.status === 'active' && key && !key.revokedAt) {
        const scopes = String(payload.scope ?? '')
          .split(' ')
          .filter((sc) => key.scopes.includes(sc));
        return { kind: 'sender', sender, credentialId: key.id, scopes };
      }
    } catch {
      // fall through to the refusal below
    }
    throw new AppError('invalid_token', 'The access token is not valid for the sender API');
  }
  const found = await authenticateApiKey(ctx.deps, credential);
  if (!found) throw new AppError('invalid_token', 'The API key is not valid or has been revoked');
  return { kind: 'sender', sender: found.sender, credentialId: found.key.id, scopes: found.key.scopes };
}

export function oauthRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    await app.register(formbody, { bodyLimit: 16 * 1024 });
    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getSigningKeys',
          summary: "The platform's public signing keys",
          description:
            'The current key first, then every retired one: receipts signed before a key was rotated ' +
            'still verify. Only the current key signs anything new.',
        },
      },
      async (_request, reply) =>
        reply
          .header('cache-control', 'public, max-age=300')
          .send({ keys: [ctx.platformKey.publicJwk, ...ctx.platformKey.retiredJwks] }),
    );
    app.post(
      '/oauth/token',
      {
        schema: {
          tags: ['sender'],
          operationId: 'createAccessToken',
          summary: 'Client credentials with a signed JWT assertion (RFC 7523): a sender access token',
          description:
            'application/x-www-form-urlencoded: grant_type=client_credentials, client_assertion_type=' +
            `${ASSERTION_TYPE}, client_assertion=<JWT signed with a registered client key; iss=sub=sender id, ` +
            'aud=<server>/oauth/token, jti, lifetime at most 5 minutes>. Errors follow RFC 6749.',
          consumes: ['application/x-www-form-urlencoded'],
          response: {
            200: Type.Object({
              access_token: Type.String(),
              token_type: Type.Literal('Bearer'),
              expires_in: Type.Integer(),
              scope: Type.String(),
            }),
            400: Type.Object({ error: Type.String(), error_description: Type.String() }, { description: 'RFC 6749' }),
            401: Type.Object({ error: Type.String(), error_description: Type.String() }, { description: 'RFC 6749' }),
          },
        },
      },
      async (request, reply) => {
        try {
          const body = (request.body ?? {}) as Record<string, unknown>;
          return reply.header('cache-control', 'no-store').send(await exchangeAssertion(ctx, body));
        } catch (error) {
          const e = error as OAuthError;
          if (!e.error) throw error;
          return reply
            .code(e.status as 400 | 401)
            .header('cache-control', 'no-store')
            .type('application/json')
            .send({ error: e.error, error_description: e.description });
        }
      },
    );
  };
}
