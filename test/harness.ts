/**
 * Starts the real server (real HTTP on a free port, real SQLite or PostgreSQL, real files) for
 * API tests, and gives the tests helpers to set up senders, persons and tokens and to send letters.
 */

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acrValues,
  createApiKey,
  createSender,
  registerOrganization,
  registerPerson,
  type SenderKind,
} from '@postkasse/core';
import { type AppContext, buildApp, type ContextOverrides, createContext, loadConfig } from '@postkasse/server';
import SQLite from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { expect } from 'vitest';
import { createTestDatabase } from './postgres.js';
import { freePort } from './spawn-server.js';

export { freePort };

export type TestServer = {
  url: string;
  dataDir: string;
  ctx: AppContext;
  app: FastifyInstance;
  close(): Promise<void>;
  sender(kind?: SenderKind, orgNumber?: string, scopes?: string[]): Promise<{ id: string; apiKey: string }>;
  person(nationalId: string, name?: string): Promise<{ mailboxId: string }>;
  /** A person in the register who has not opened a mailbox yet. */
  unregisteredPerson(nationalId: string, contact?: { email?: string; mobile?: string }): Promise<void>;
  organization(orgNumber: string): Promise<{ mailboxId: string }>;
  token(nationalId: string, level?: 'substantial' | 'high', ttlSeconds?: number): Promise<string>;
};

/** Valid Norwegian organization numbers for test senders (mod-11 checked). */
export const testOrgNumbers = [
  '974000008',
  '958300018',
  '915000002',
  '910000004',
  '910010018',
  '910020021',
  '910030035',
];

export async function startTestServer(
  dialect: 'sqlite' | 'postgres',
  env: NodeJS.ProcessEnv = {},
  overrides: ContextOverrides = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'postkasse-test-'));
  const db = dialect === 'postgres' ? await createTestDatabase() : null;
  // The port is chosen first: the server's public URL (login redirects, the issuer) names it.
  const port = await freePort();
  const config = loadConfig({
    POSTKASSE_DATA_DIR: dataDir,
    PORT: String(port),
    POSTKASSE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: 'silent',
    ...env,
    ...(db ? { DATABASE_URL: db.url } : {}),
  });
  const ctx = await createContext(config, overrides);
  const app = await buildApp(ctx, { logger: false });
  await app.listen({ host: '127.0.0.1', port: config.port });
  let orgIndex = 0;
  return {
    url: config.publicUrl,
    dataDir,
    ctx,
    app,
    async close() {
      await app.close();
      await ctx.close();
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
    async sender(kind = 'public', orgNumber, scopes = []) {
      const org = orgNumber ?? testOrgNumbers[orgIndex++ % testOrgNumbers.length] ?? '974000008';
      const s = await createSender(ctx.deps, { orgNumber: org, name: `Sender ${org}`, kind });
      const { secret } = await createApiKey(ctx.deps, s.id, null, scopes);
      return { id: s.id, apiKey: secret };
    },
    async person(nationalId, name) {
      const { mailbox } = await registerPerson(ctx.deps, { nationalId, name: name ?? null });
      if (!mailbox) throw new Error('no mailbox opened');
      return { mailboxId: mailbox.id };
    },
    async unregisteredPerson(nationalId, contact = {}) {
      await registerPerson(ctx.deps, { nationalId, openMailbox: false, ...contact });
    },
    async organization(orgNumber) {
      const { mailbox } = await registerOrganization(ctx.deps, { orgNumber, name: `Org ${orgNumber}` });
      return { mailboxId: mailbox.id };
    },
    async token(nationalId, level = 'high', ttlSeconds = 600) {
      if (!ctx.testIssuer) throw new Error('test issuer is off');
      return ctx.testIssuer.sign({ pid: nationalId, acr: acrValues[level] }, ttlSeconds);
    },
  };
}

/**
 * Runs a statement on a test server's database over a connection of its own, as someone with the
 * database's files (or its password) at hand could, past everything the server checks; its rows.
 */
export async function rawStatement<Row = Record<string, unknown>>(
  server: TestServer,
  statement: string,
): Promise<Row[]> {
  const url = server.ctx.config.databaseUrl;
  const db = url
    ? new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) })
    : new Kysely<unknown>({
        dialect: new SqliteDialect({
          database: new SQLite(join(server.dataDir, 'postkasse.sqlite'), { timeout: 10_000 }),
        }),
      });
  try {
    return (await sql.raw<Row>(statement).execute(db)).rows;
  } finally {
    await db.destroy();
  }
}

/**
 * Every blob the server keeps, in the database or as a file, sorted: what a test compares to see
 * that a request stored no document (or exactly one).
 */
export async function storedBlobs(server: TestServer): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of server.ctx.deps.blobs.listOlderThan(new Date(Date.now() + 3600_000))) keys.push(key);
  return keys.sort();
}

/**
 * What a production server needs beyond NODE_ENV: a real identity provider (the embedded test one
 * is refused there). Nothing is fetched from it until someone logs in.
 */
export const productionEnv = {
  NODE_ENV: 'production',
  POSTKASSE_OIDC_ISSUER: 'https://idp.example.invalid',
  POSTKASSE_OIDC_CLIENT_ID: 'postkasse',
  POSTKASSE_OIDC_CLIENT_SECRET: 'a-client-secret',
};

/** A clock the test moves by hand, for everything that falls due later. */
export function testClock(start: Date = new Date()) {
  let t = start.getTime();
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

/** Synthetic national ids from the shared fixtures. */
export const people = {
  kari: '12858510129',
  ola: '03917210194',
  ingrid: '21826010301',
  per: '09899910173',
  mette: '2211771212',
} as const;

/** A small valid PDF (the bytes matter to the content sniffer, not to anyone reading). */
export const tinyPdf = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj ' +
    '3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);

export type LetterJson = Record<string, unknown> & { id: string };

export function letterJson(overrides: Record<string, unknown> = {}): LetterJson {
  return {
    id: randomUUID(),
    recipient: { nationalId: people.kari },
    subject: 'Vedtak om bostøtte',
    nonSensitiveTitle: 'Brev fra kommunen',
    authLevel: 'substantial',
    documents: [{ part: 'main', role: 'main', filename: 'vedtak.pdf', mediaType: 'application/pdf', title: 'Vedtak' }],
    ...overrides,
  };
}

export type Part = { name: string; content: Uint8Array | string; type?: string; filename?: string };

/** Builds a multipart body: the letter JSON as `message`, then the given file parts. */
export function letterForm(
  message: unknown,
  parts: Part[] = [{ name: 'main', content: tinyPdf, type: 'application/pdf' }],
): FormData {
  const form = new FormData();
  form.append('message', typeof message === 'string' ? message : JSON.stringify(message));
  for (const p of parts) {
    form.append(
      p.name,
      new Blob([p.content], { type: p.type ?? 'application/octet-stream' }),
      p.filename ?? `${p.name}.bin`,
    );
  }
  return form;
}

export async function sendLetterHttp(server: TestServer, apiKey: string, message: unknown, parts?: Part[]) {
  const res = await fetch(`${server.url}/api/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
    body: letterForm(message, parts),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

export async function api(server: TestServer, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json')
    ? ((await res.json()) as Record<string, any>)
    : Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: data as any };
}

export type HttpAnswer = { status: number; headers: Headers; body: any };

/** A refusal as the API promises it: problem+json with the stable code, not retryable, traceable. */
export function expectProblem(res: HttpAnswer, status: number, code: string): void {
  expect(res.body, JSON.stringify(res.body)).toMatchObject({
    status,
    code,
    retryable: false,
    type: `urn:postkasse:problem:${code}`,
    title: expect.any(String),
    detail: expect.any(String),
    correlationId: expect.stringMatching(/.+/),
  });
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body.correlationId).toBe(res.headers.get('x-correlation-id'));
}
