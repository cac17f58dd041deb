import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  type ApiKey,
  AppError,
  addClientKeyAsAdmin,
  addMember,
  type ClientKey,
  createGrant,
  type Grant,
  issueSenderApiKey,
  listClientKeys,
  listGrants,
  listMembers,
  listMySenders,
  listSenderApiKeys,
  type Member,
  removeMember,
  requireSenderAdmin,
  revokeClientKey,
  revokeGrant,
  revokeSenderApiKey,
  rotateSenderApiKey,
} from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { importJWK } from 'jose';
import { personOf, requirePerson } from '../authenticate.js';
import type { AppContext } from '../context.js';
import {
  ApiKeyBody,
  ApiKeySchema,
  ClientKeyBody,
  ClientKeyParams,
  ClientKeySchema,
  GrantBody,
  GrantParams,
  GrantSchema,
  KeyParams,
  MemberBody,
  MemberParams,
  MemberSchema,
  NewApiKeySchema,
  SenderParams,
  SenderSchema,
} from './access.schemas.js';
import { bearerAuth, problems } from './common.schemas.js';
import { MailboxParams } from './mailboxes.schemas.js';

const presentGrant = (g: Grant, now: number) => ({
  id: g.id,
  granteeNationalId: g.granteeNationalId,
  scope: g.scope,
  validUntil: g.validUntil,
  createdAt: g.createdAt,
  revokedAt: g.revokedAt,
  active: !g.revokedAt && (!g.validUntil || Date.parse(g.validUntil) > now),
});
const presentMember = (m: Member) => ({ id: m.id, nationalId: m.nationalId, role: m.role, createdAt: m.createdAt });
const presentKey = (k: ApiKey) => ({
  id: k.id,
  prefix: k.prefix,
  label: k.label,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

const presentClientKey = (k: ClientKey) => ({
  id: k.id,
  kid: k.kid,
  jwk: k.jwk,
  createdAt: k.createdAt,
  revokedAt: k.revokedAt,
});

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** Accepts a public signing key of an allowed type; refuses private and symmetric keys. */
export async function checkPublicJwk(jwk: Record<string, unknown>): Promise<Record<string, unknown> & { kid: string }> {
  const problem = (message: string) =>
    new AppError('validation_failed', message, { errors: [{ path: 'body.jwk', code: 'invalid_jwk', message }] });
  if (PRIVATE_MEMBERS.some((m) => m in jwk))
    throw problem('Send the public key only; this JWK holds private or secret parts');
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 100)
    throw problem('The JWK needs a kid (1-100 characters)');
  const allowed: Record<string, string[]> = { OKP: ['Ed25519'], EC: ['P-256', 'P-384'], RSA: [] };
  const kty = String(jwk.kty);
  if (!(kty in allowed)) throw problem('kty must be OKP, EC or RSA');
  if (kty !== 'RSA' && !allowed[kty]?.includes(String(jwk.crv)))
    throw problem(`crv ${String(jwk.crv)} is not accepted`);
  if (kty === 'RSA' && Buffer.from(String(jwk.n ?? ''), 'base64url').byteLength < 256)
    throw problem('RSA keys need 2048 bits or more');
  const alg =
    typeof jwk.alg === 'string'
      ? jwk.alg
      : kty === 'OKP'
        ? 'EdDSA'
        : kty === 'EC'
          ? jwk.crv === 'P-384'
            ? 'ES384'
            : 'ES256'
          : 'RS256';
  try {
    await importJWK({ ...jwk, alg }, alg);
  } catch {
    throw problem('The JWK is not a usable public key');
  }
  const { kid, kty: _kty, crv, x, y, n, e } = jwk as Record<string, unknown>;
  const clean = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e, alg, use: 'sig' }).filter(([, v]) => v !== undefined),
  );
  return { ...clean, kid: String(kid) };
}

/**
 * Access management for people: read access to one's mailbox (grants), members of an
 * organization's mailbox, and the API keys of the senders a person administers.
 */
export function accessRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);
    const security = bearerAuth;

    app.get(
      '/mailboxes/:mailboxId/grants',
      {
        schema: {
          tags: ['access'],
          operationId: 'listGrants',
          summary: 'Who has access to my mailbox (owner only)',
          security,
          params: MailboxParams,
          response: { 200: Type.Object({ items: Type.Array(GrantSchema) }), ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const grants = await listGrants(ctx.deps, personOf(request), request.params.mailboxId);
        const now = ctx.deps.clock.now().getTime();
        return { items: grants.map((g) => presentGrant(g, now)) };
      },
    );

    app.post(
      '/mailboxes/:mailboxId/grants',
      {
        schema: {
          tags: ['access'],
          operationId: 'createGrant',
          summary: 'Give another person read (or manage) access to my mailbox',
          security,
          params: MailboxParams,
          body: GrantBody,
          response: { 201: GrantSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const grant = await createGrant(ctx.deps, personOf(request), request.params.mailboxId, request.body);
        return reply.code(201).send(presentGrant(grant, ctx.deps.clock.now().getTime()));
      },
    );

    app.delete(
      '/mailboxes/:mailboxId/grants/:grantId',
      {
        schema: {
          tags: ['access'],
          operationId: 'revokeGrant',
          summary: 'Revoke a grant; it stops working at once',
          security,
          params: GrantParams,
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await revokeGrant(ctx.deps, personOf(request), request.params.mailboxId, request.params.grantId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/mailboxes/:mailboxId/members',
      {
        schema: {
          tags: ['access'],
          operationId: 'listMembers',
          summary: "Members of an organization's mailbox (admins only)",
          security,
          params: MailboxParams,
          response: { 200: Type.Object({ items: Type.Array(MemberSchema) }), ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        const members = await listMembers(ctx.deps, personOf(request), request.params.mailboxId);
        return { items: members.map(presentMember) };
      },
    );

    app.post(
      '/mailboxes/:mailboxId/members',
      {
        schema: {
          tags: ['access'],
          operationId: 'putMember',
          summary: "Add a member to an organization's mailbox, or change a member's role",
          security,
          params: MailboxParams,
          body: MemberBody,
          response: { 201: MemberSchema, ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        const member = await addMember(ctx.deps, personOf(request), request.params.mailboxId, request.body);
        return reply.code(201).send(presentMember(member));
      },
    );

    app.delete(
      '/mailboxes/:mailboxId/members/:memberId',
      {
        schema: {
          tags: ['access'],
          operationId: 'removeMember',
          summary: 'Remove a member (not the last administrator)',
          security,
          params: MemberParams,
          response: { 204: Type.Null(), ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request, reply) => {
        await removeMember(ctx.deps, personOf(request), request.params.mailboxId, request.params.memberId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/me/senders',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'listMySenders',
          summary: 'The senders I administer',
          security,
          response: { 200: Type.Object({ items: Type.Array(SenderSchema) }), ...problems(401) },
        },
      },
      async (request) => {
        const senders = await listMySenders(ctx.deps, personOf(request));
        return { items: senders.map((s) => ({ id: s.id, orgNumber: s.orgNumber, name: s.name, kind: s.kind })) };
      },
    );

    app.get(
      '/senders/:senderId/api-keys',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'listApiKeys',
          summary: "A sender's API keys (never the keys themselves)",
          security,
          params: SenderParams,
          response: { 200: Type.Object({ items: Type.Array(ApiKeySchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const keys = await listSenderApiKeys(ctx.deps, personOf(request), request.params.senderId);
        return { items: keys.map(presentKey) };
      },
    );

    app.post(
      '/senders/:senderId/api-keys',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'createApiKey',
          summary: 'Create an API key; the key is shown in this answer only',
          security,
          params: SenderParams,
          body: ApiKeyBody,
          response: { 201: NewApiKeySchema, ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        const { key, secret } = await issueSenderApiKey(
          ctx.deps,
          actor,
          request.params.senderId,
          request.body.label ?? null,
        );
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ ...presentKey(key), apiKey: secret });
      },
    );

    app.post(
      '/senders/:senderId/api-keys/:keyId/rotate',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'rotateApiKey',
          summary: 'Replace a key: a new key is made and the old one revoked',
          security,
          params: KeyParams,
          response: { 201: NewApiKeySchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        const { key, secret } = await rotateSenderApiKey(
          ctx.deps,
          actor,
          request.params.senderId,
          request.params.keyId,
        );
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ ...presentKey(key), apiKey: secret });
      },
    );

    app.get(
      '/senders/:senderId/client-keys',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'listClientKeys',
          summary: "A sender's public keys for the client-credentials grant (RFC 7523)",
          security,
          params: SenderParams,
          response: { 200: Type.Object({ items: Type.Array(ClientKeySchema) }), ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const keys = await listClientKeys(ctx.deps, personOf(request), request.params.senderId);
        return { items: keys.map(presentClientKey) };
      },
    );

    app.post(
      '/senders/:senderId/client-keys',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'addClientKey',
          summary: 'Register a public key the sender signs client assertions with',
          security,
          params: SenderParams,
          body: ClientKeyBody,
          response: { 201: ClientKeySchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request, reply) => {
        await requireSenderAdmin(ctx.deps, personOf(request), request.params.senderId);
        const jwk = await checkPublicJwk(request.body.jwk);
        const key = await addClientKeyAsAdmin(ctx.deps, personOf(request), request.params.senderId, jwk);
        return reply.code(201).send(presentClientKey(key));
      },
    );

    app.delete(
      '/senders/:senderId/client-keys/:keyId',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'revokeClientKey',
          summary: 'Revoke a client key; tokens it obtained stop working at once',
          security,
          params: ClientKeyParams,
          response: { 204: Type.Null(), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await revokeClientKey(ctx.deps, personOf(request), request.params.senderId, request.params.keyId);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/senders/:senderId/api-keys/:keyId',
      {
        schema: {
          tags: ['sender administration'],
          operationId: 'revokeApiKey',
          summary: 'Revoke an API key; it stops working at once',
          security,
          params: KeyParams,
          response: { 204: Type.Null(), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await revokeSenderApiKey(ctx.deps, personOf(request), request.params.senderId, request.params.keyId);
        return reply.code(204).send(null);
      },
    );
  };
}
