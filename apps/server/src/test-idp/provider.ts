/**
 * The embedded test identity provider: a real OpenID Connect provider (oidc-provider) mounted
 * under /test-idp, like ID-porten's test environment. A tester types a synthetic national id and
 * picks a level; no password. ID tokens and JWT access tokens carry `pid` and `acr`.
 * On in the embedded default, off unless configured in production.
 */
import { randomBytes } from 'node:crypto';
import formbody from '@fastify/formbody';
import { acrValues, parseNationalId } from '@postkasse/core';
import type { TestIssuer } from '@postkasse/crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JWK } from 'jose';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { loginPage, messagePage } from './pages.js';

export type TestIdpClient = { clientId: string; clientSecret: string; redirectUris: string[] };

export type TestIdpOptions = {
  /** The issuer URL; its path is where the provider is mounted (e.g. http://localhost:8080/test-idp). */
  issuer: string;
  privateJwk: JWK;
  clients: TestIdpClient[];
  /** The `aud` of access tokens, as the recipient API expects it. */
  audience: string;
};

const RESOURCE = 'urn:postkasse:api';
const SCOPE = 'mailbox';
type Level = (typeof acrValues)[keyof typeof acrValues];
const levels: Level[] = [acrValues.substantial, acrValues.high];

export function createTestProvider(options: TestIdpOptions): Provider {
  const mountPath = new URL(options.issuer).pathname.replace(/\/$/, '');
  const provider = new Provider(options.issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'EdDSA',
      scope: `openid ${SCOPE}`,
    })),
    jwks: { keys: [options.privateJwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    acrValues: levels,
    scopes: ['openid', SCOPE],
    claims: { openid: ['sub', 'pid'] },
    conformIdTokenClaims: false,
    enabledJWA: { idTokenSigningAlgValues: ['EdDSA'] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, pid: sub }) }),
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPE,
          audience: options.audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: 'EdDSA' } },
        }),
      },
    },
    extraTokenClaims: async (ctx: KoaContextWithOIDC, token) => {
      if (token.kind !== 'AccessToken') return undefined;
      const code = ctx.oidc.entities.AuthorizationCode as { acr?: string } | undefined;
      return { pid: token.accountId, acr: code?.acr };
    },
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      // First-party test clients: consent is implied, as it is for ID-porten's own services.
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (!client || !session?.accountId) return undefined;
      const existing = session.grantIdFor(client.clientId);
      if (existing) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(`openid ${SCOPE}`);
      grant.addOIDCClaims(['pid']);
      grant.addResourceScope(RESOURCE, SCOPE);
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = messagePage('Login failed', String(out.error_description ?? out.error ?? 'The request was not valid'));
    },
    ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
  });
  return provider;
}

/** Mounts a provider under its issuer's path, with its login pages. */
export async function mountTestProvider(
  app: FastifyInstance,
  provider: Provider,
  issuer: string,
  clientName = 'Postkasse',
): Promise<void> {
  const mountPath = new URL(issuer).pathname.replace(/\/$/, '');
  const callback = provider.callback();

  // The login pages (our own routes, with a form body parser).
  await app.register(async (pages) => {
    await pages.register(formbody, { bodyLimit: 4096 });
    const show = async (request: FastifyRequest<{ Params: { uid: string } }>, reply: FastifyReply) => {
      const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
      if (!details) {
        return reply.code(400).type('text/html').send(messagePage('Login expired', 'Start the login again.'));
      }
      const requested = String(details.params.acr_values ?? '').split(' ');
      const level = requested.includes(acrValues.high) ? acrValues.high : acrValues.substantial;
      return reply
        .type('text/html')
        .header('cache-control', 'no-store')
        .send(loginPage({ action: `${mountPath}/interaction/${details.uid}`, level, client: clientName }));
    };
    pages.get(`${mountPath}/interaction/:uid`, { schema: { hide: true } }, show);
    pages.post<{ Params: { uid: string }; Body: Record<string, string> }>(
      `${mountPath}/interaction/:uid`,
      { schema: { hide: true } },
      async (request, reply) => {
        const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => null);
        if (!details) {
          return reply.code(400).type('text/html').send(messagePage('Login expired', 'Start the login again.'));
        }
        const pid = String(request.body?.pid ?? '').trim();
        const acr = String(request.body?.acr ?? '') as Level;
        const level = levels.includes(acr) ? acr : acrValues.substantial;
        const person = parseNationalId(pid);
        if (!person || !levels.includes(acr)) {
          return reply
            .code(400)
            .type('text/html')
            .send(
              loginPage({
                action: `${mountPath}/interaction/${details.uid}`,
                pid,
                level,
                client: clientName,
                error: person ? 'Choose a security level.' : 'That is not a valid national identity number.',
              }),
            );
        }
        reply.hijack();
        await provider.interactionFinished(
          request.raw,
          reply.raw,
          { login: { accountId: person.nationalId, acr, amr: ['TESTID'] } },
          { mergeWithLastSubmission: false },
        );
      },
    );
  });

  // Everything else is the provider itself (discovery, authorize, token, jwks, …), which reads
  // its own request bodies.
  await app.register(async (passthrough) => {
    passthrough.removeAllContentTypeParsers();
    passthrough.addContentTypeParser('*', (_request, _payload, done) => done(null));
    const handler = async (request: FastifyRequest, reply: FastifyReply) => {
      reply.hijack();
      const raw = request.raw as typeof request.raw & { originalUrl?: string };
      raw.originalUrl = raw.url;
      raw.url = (raw.url ?? '/').slice(mountPath.length) || '/';
      callback(raw, reply.raw);
    };
    passthrough.all(`${mountPath}/*`, { schema: { hide: true } }, handler);
  });
}

/** The provider for the embedded default: one client, Postkasse's own web login. */
export function embeddedTestProvider(issuer: TestIssuer, client: TestIdpClient, audience: string): Provider {
  return createTestProvider({ issuer: issuer.issuer, privateJwk: issuer.privateJwk, clients: [client], audience });
}
