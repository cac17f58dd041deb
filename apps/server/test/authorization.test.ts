/**
 * Who may see and change what: persons only their own mailboxes, at the level their login
 * reached; senders only their own letters; every credential checked (signature, issuer, audience,
 * expiry, claims); and a stranger learns nothing from ids, not even whether they exist.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { acrValues } from '@postkasse/core';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  letterForm,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

type SigningKey = Parameters<SignJWT['sign']>[0];

type Res = HttpAnswer;

/** Two answers a client cannot tell apart: same status, code, title and detail. */
function expectSameAnswer(a: Res, b: Res): void {
  const strip = (r: Res) => ({ status: r.status, ...r.body, correlationId: undefined });
  expect(strip(a)).toEqual(strip(b));
}

async function raw(url: string, method: string, authorization: string | null, body?: unknown): Promise<Res> {
  const headers: Record<string, string> = {};
  if (authorization !== null) headers.authorization = authorization;
  let payload: RequestInit['body'] | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(url, { method, headers, body: payload });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

type Ids = { mailboxId: string; letterId: string; documentId: string; folderId: string };

/** Every recipient endpoint that takes ids, with a body where it needs one. */
const recipientEndpoints: Array<{ name: string; method: string; path: (i: Ids) => string; body?: unknown }> = [
  { name: 'GET messages list', method: 'GET', path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages` },
  { name: 'GET message', method: 'GET', path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages/${i.letterId}` },
  {
    name: 'GET document content',
    method: 'GET',
    path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages/${i.letterId}/documents/${i.documentId}/content`,
  },
  {
    name: 'PATCH message',
    method: 'PATCH',
    path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages/${i.letterId}`,
    body: { read: true },
  },
  { name: 'DELETE message', method: 'DELETE', path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages/${i.letterId}` },
  {
    name: 'POST restore',
    method: 'POST',
    path: (i) => `/api/v1/mailboxes/${i.mailboxId}/messages/${i.letterId}/restore`,
  },
  { name: 'GET folders', method: 'GET', path: (i) => `/api/v1/mailboxes/${i.mailboxId}/folders` },
  {
    name: 'POST folders',
    method: 'POST',
    path: (i) => `/api/v1/mailboxes/${i.mailboxId}/folders`,
    body: { name: 'Intruder' },
  },
  {
    name: 'PATCH folder',
    method: 'PATCH',
    path: (i) => `/api/v1/mailboxes/${i.mailboxId}/folders/${i.folderId}`,
    body: { name: 'Renamed by intruder' },
  },
  { name: 'DELETE folder', method: 'DELETE', path: (i) => `/api/v1/mailboxes/${i.mailboxId}/folders/${i.folderId}` },
];

describe.each(dialects)('authorization (%s)', (dialect) => {
  let server: TestServer;
  let senderA: { id: string; apiKey: string };
  let senderB: { id: string; apiKey: string };
  let owner: Ids & { token: string; lowToken: string; trashedLetterId: string };
  let stranger: Ids & { token: string };
  /** Letters in the owner's mailbox for the level checks. */
  let high: { externalId: string; letterId: string; documentId: string };
  let sensitive: { letterId: string };
  let issuerKey: SigningKey;
  let issuerKid: string;

  const url = (path: string) => `${server.url}${path}`;

  async function deliver(nationalId: string, token: string, mailboxId: string, overrides: Record<string, unknown>) {
    const message = letterJson({ recipient: { nationalId }, ...overrides });
    const sent = await sendLetterHttp(server, senderA.apiKey, message);
    expect(sent.status).toBe(201);
    expect(sent.body.status).toBe('DELIVERED');
    const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?limit=200`);
    const item = list.body.items.find((i: { subject: string }) => i.subject === overrides.subject);
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item.id}`);
    return { externalId: message.id, letterId: item.id as string, documentId: detail.body.documents[0]?.id as string };
  }

  async function ownerLetter(token = owner.token, letterId = owner.letterId) {
    return api(server, token, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/messages/${letterId}`);
  }

  /** Signs a token with the test issuer's own key; `claims` overrides the defaults. */
  async function issue(
    claims: JWTPayload,
    options: {
      issuer?: string;
      audience?: string;
      key?: SigningKey;
      kid?: string;
      exp?: number | null;
      iat?: number;
    } = {},
  ): Promise<string> {
    const issuer = server.ctx.testIssuer!;
    const now = Math.floor(Date.now() / 1000);
    let jwt = new SignJWT({ pid: people.kari, acr: acrValues.high, ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: options.kid ?? issuerKid, typ: 'at+jwt' })
      .setIssuer(options.issuer ?? issuer.issuer)
      .setAudience(options.audience ?? issuer.audience)
      .setSubject(String(claims.pid ?? people.kari))
      .setIssuedAt(options.iat ?? now)
      .setJti(randomUUID());
    if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? now + 600);
    return jwt.sign(options.key ?? issuerKey);
  }

  beforeAll(async () => {
    server = await startTestServer(dialect);
    senderA = await server.sender('public');
    senderB = await server.sender('public');
    const ownerBox = await server.person(people.kari, 'Kari Nordmann');
    const strangerBox = await server.person(people.ola, 'Ola Nordmann');
    const ownerToken = await server.token(people.kari, 'high');
    const strangerToken = await server.token(people.ola, 'high');

    const jwk = JSON.parse(await readFile(server.ctx.config.testIssuer.keyFile, 'utf8')) as JWK;
    issuerKey = await importJWK(jwk, 'EdDSA');
    issuerKid = jwk.kid ?? '';

    const plain = await deliver(people.kari, ownerToken, ownerBox.mailboxId, {
      subject: 'Plain letter',
      openingReceipt: true,
    });
    const trashed = await deliver(people.kari, ownerToken, ownerBox.mailboxId, { subject: 'Trashed letter' });
    const del = await api(
      server,
      ownerToken,
      'DELETE',
      `/api/v1/mailboxes/${ownerBox.mailboxId}/messages/${trashed.letterId}`,
    );
    expect(del.status).toBe(204);
    high = await deliver(people.kari, ownerToken, ownerBox.mailboxId, {
      subject: 'High letter',
      authLevel: 'high',
      openingReceipt: true,
    });
    sensitive = await deliver(people.kari, ownerToken, ownerBox.mailboxId, {
      subject: 'Sensitive letter',
      authLevel: 'high',
      sensitivity: 'sensitive',
    });
    const folder = await api(server, ownerToken, 'POST', `/api/v1/mailboxes/${ownerBox.mailboxId}/folders`, {
      name: 'Skatt',
    });
    expect(folder.status).toBe(201);

    const strangers = await deliver(people.ola, strangerToken, strangerBox.mailboxId, { subject: 'Ola letter' });
    const strangerFolder = await api(
      server,
      strangerToken,
      'POST',
      `/api/v1/mailboxes/${strangerBox.mailboxId}/folders`,
      {
        name: 'Mine',
      },
    );

    owner = {
      mailboxId: ownerBox.mailboxId,
      letterId: plain.letterId,
      documentId: plain.documentId,
      folderId: folder.body.id,
      token: ownerToken,
      lowToken: await server.token(people.kari, 'substantial'),
      trashedLetterId: trashed.letterId,
    };
    stranger = {
      mailboxId: strangerBox.mailboxId,
      letterId: strangers.letterId,
      documentId: strangers.documentId,
      folderId: strangerFolder.body.id,
      token: strangerToken,
    };
  });
  afterAll(() => server.close());

  describe('a login at too low a level', () => {
    it('shows only the non-sensitive title of a high letter, in the detail and the listing', async () => {
      const detail = await ownerLetter(owner.lowToken, high.letterId);
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({
        subject: null,
        nonSensitiveTitle: 'Brev fra kommunen',
        restricted: true,
        authLevel: 'high',
        documents: [],
        sender: { id: senderA.id },
      });
      const list = await api(server, owner.lowToken, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/messages`);
      const item = list.body.items.find((i: { id: string }) => i.id === high.letterId);
      expect(item).toMatchObject({ subject: null, restricted: true, nonSensitiveTitle: 'Brev fra kommunen' });
      expect(JSON.stringify(list.body)).not.toContain('High letter');
      expect(JSON.stringify(detail.body)).not.toContain('High letter');
    });

    it('control: a high login sees the subject and documents of the same letter', async () => {
      const detail = await ownerLetter(owner.token, high.letterId);
      expect(detail.body).toMatchObject({ subject: 'High letter', restricted: false });
      expect(detail.body.documents).toHaveLength(1);
    });

    it('refuses the document content with 403 auth_level_too_low, and does not count it as opened', async () => {
      const path = `/api/v1/mailboxes/${owner.mailboxId}/messages/${high.letterId}/documents/${high.documentId}/content`;
      const res = await api(server, owner.lowToken, 'GET', path);
      expectProblem(res, 403, 'auth_level_too_low');
      expect(res.body.requiredAuthLevel).toBe('high');
      const detail = await ownerLetter(owner.token, high.letterId);
      expect(detail.body.openedAt).toBeNull();
      expect(detail.body.read).toBe(false);
      const status = await raw(url(`/api/v1/messages/${high.externalId}`), 'GET', `Bearer ${senderA.apiKey}`);
      expect(status.body.events.map((e: { type: string }) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);
    });

    it('hides the sender of a sensitive letter too', async () => {
      const detail = await ownerLetter(owner.lowToken, sensitive.letterId);
      expect(detail.body).toMatchObject({ subject: null, restricted: true, sender: null, documents: [] });
      const list = await api(server, owner.lowToken, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/messages`);
      const item = list.body.items.find((i: { id: string }) => i.id === sensitive.letterId);
      expect(item).toMatchObject({ subject: null, sender: null, restricted: true });
      const full = await ownerLetter(owner.token, sensitive.letterId);
      expect(full.body).toMatchObject({ subject: 'Sensitive letter', sender: { id: senderA.id } });
    });
  });

  describe('senders', () => {
    it("answers another sender's letter id exactly like an id that does not exist", async () => {
      const own = await raw(url(`/api/v1/messages/${high.externalId}`), 'GET', `Bearer ${senderA.apiKey}`);
      expect(own.status).toBe(200);
      const other = await raw(url(`/api/v1/messages/${high.externalId}`), 'GET', `Bearer ${senderB.apiKey}`);
      expectProblem(other, 404, 'not_found');
      const missing = await raw(url(`/api/v1/messages/${randomUUID()}`), 'GET', `Bearer ${senderB.apiKey}`);
      expectSameAnswer(other, missing);
    });

    it("does not show another sender's events in the feed", async () => {
      // B's own letter (rejected: Per has no mailbox) is the only thing B's feed may show.
      const own = letterJson({ recipient: { nationalId: people.per }, subject: 'B only' });
      expect((await sendLetterHttp(server, senderB.apiKey, own)).status).toBe(201);
      const deadline = Date.now() + 15_000;
      let items: Array<{ messageId: string; type: string }> = [];
      while (!items.some((e) => e.messageId === own.id) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        items = (await raw(url('/api/v1/events?limit=1000'), 'GET', `Bearer ${senderB.apiKey}`)).body.items;
      }
      expect(items.map((e) => `${e.messageId}:${e.type}`)).toEqual([`${own.id}:REJECTED`]);
    });

    it('refuses a person token on the sender endpoints with 401, and stores nothing', async () => {
      const message = letterJson();
      const cases: Array<[string, string, unknown]> = [
        ['POST', '/api/v1/messages', letterForm(message)],
        ['GET', `/api/v1/messages/${high.externalId}`, undefined],
        ['GET', '/api/v1/events', undefined],
      ];
      for (const [method, path, body] of cases) {
        const res = await raw(url(path), method, `Bearer ${owner.token}`, body);
        expectProblem(res, 401, 'invalid_token');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
      }
      const got = await raw(url(`/api/v1/messages/${message.id}`), 'GET', `Bearer ${senderA.apiKey}`);
      expectProblem(got, 404, 'not_found');
    });
  });

  describe('credentials', () => {
    const allRecipient = () => [
      { method: 'GET', path: '/api/v1/me/mailboxes', body: undefined as unknown },
      ...recipientEndpoints.map((e) => ({ method: e.method, path: e.path(owner), body: e.body })),
    ];

    it('refuses a sender API key on every recipient endpoint with 401, and changes nothing', async () => {
      const before = await ownerLetter();
      for (const e of allRecipient()) {
        const res = await raw(url(e.path), e.method, `Bearer ${senderA.apiKey}`, e.body);
        expectProblem(res, 401, 'invalid_token');
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
        // Said as it is, for the integrator who took the wrong credential.
        expect(res.body.detail).toMatch(/^This is a sender's API key: it is for the sender API/);
      }
      expect((await ownerLetter()).body).toEqual(before.body);
    });

    it('refuses a request without credentials with 401 unauthenticated and a WWW-Authenticate header', async () => {
      const endpoints = [
        ...allRecipient(),
        { method: 'POST', path: '/api/v1/messages', body: letterForm(letterJson()) as unknown },
        { method: 'GET', path: `/api/v1/messages/${high.externalId}`, body: undefined },
        { method: 'GET', path: '/api/v1/events', body: undefined },
      ];
      for (const e of endpoints) {
        for (const authorization of [null, `Basic ${Buffer.from('kari:secret').toString('base64')}`, 'Bearer']) {
          const res = await raw(url(e.path), e.method, authorization, e.body);
          expectProblem(res, 401, 'unauthenticated');
          expect(res.headers.get('www-authenticate'), `${e.method} ${e.path}`).toMatch(/^Bearer\b/);
        }
      }
      const detail = await ownerLetter();
      expect(detail.body.read).toBe(false);
    });

    it('control: a token built here with the issuer key and the right claims is accepted', async () => {
      const res = await api(server, await issue({}), 'GET', '/api/v1/me/mailboxes');
      expect(res.status).toBe(200);
      expect(res.body.items.map((m: { id: string }) => m.id)).toEqual([owner.mailboxId]);
    });

    const badTokens: Array<[string, () => Promise<string>]> = [
      [
        'forged: signed by another key under the issuer key id',
        async () => {
          const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
          return issue({}, { key: privateKey });
        },
      ],
      [
        'forged: signed by another key under its own key id',
        async () => {
          const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
          const kid = (await exportJWK(publicKey)).x ?? 'other';
          return issue({}, { key: privateKey, kid });
        },
      ],
      [
        'unsigned (alg none)',
        async () => {
          const now = Math.floor(Date.now() / 1000);
          const part = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
          const issuer = server.ctx.testIssuer!;
          return `${part({ alg: 'none', typ: 'at+jwt' })}.${part({
            iss: issuer.issuer,
            aud: issuer.audience,
            pid: people.kari,
            acr: acrValues.high,
            iat: now,
            exp: now + 600,
          })}.`;
        },
      ],
      ['expired (server.token with a negative ttl)', () => server.token(people.kari, 'high', -120)],
      ['expired (signed here, exp in the past)', () => issue({}, { exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['without exp', () => issue({}, { exp: null })],
      ['from another issuer', () => issue({}, { issuer: 'https://idp.example.org/test-idp' })],
      ['for another audience', () => issue({}, { audience: 'someone-else' })],
      ['with a pid that is not a valid national id', () => issue({ pid: '12345678901' })],
      ['with a pid of the wrong check digit', () => issue({ pid: `${people.kari.slice(0, 10)}0` })],
      ['without a pid', () => issue({ pid: undefined })],
      ['with an unknown acr', () => issue({ acr: 'idporten-loa-low' })],
      ['without an acr', () => issue({ acr: undefined })],
      ['that is not a JWT at all', async () => 'not.a.token'],
      [
        'with a tampered payload (pid swapped after signing)',
        async () => {
          const [h, p, s] = (await issue({ pid: people.ola })).split('.');
          const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
          payload.pid = people.kari;
          return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
        },
      ],
    ];

    it('says an expired token has expired (and a token within the 30 s clock tolerance still works)', async () => {
      for (const token of [
        await server.token(people.kari, 'high', -120),
        await issue({}, { exp: Math.floor(Date.now() / 1000) - 3600 }),
      ]) {
        const res = await api(server, token, 'GET', '/api/v1/me/mailboxes');
        expectProblem(res, 401, 'invalid_token');
        expect(res.body.detail).toBe('The access token has expired');
      }
      const justExpired = await issue({}, { exp: Math.floor(Date.now() / 1000) - 5 });
      expect((await api(server, justExpired, 'GET', '/api/v1/me/mailboxes')).status).toBe(200);
    });

    it('refuses a token issued in the future or more than 24 hours ago, whatever its expiry says', async () => {
      const now = Math.floor(Date.now() / 1000);
      const future = await issue({}, { iat: now + 3600, exp: now + 7200 });
      const res = await api(server, future, 'GET', '/api/v1/me/mailboxes');
      expectProblem(res, 401, 'invalid_token');
      expect(res.body.detail).toContain('issued in the future');
      const old = await issue({}, { iat: now - 25 * 3600, exp: now + 50 * 365 * 86_400 });
      const stale = await api(server, old, 'GET', '/api/v1/me/mailboxes');
      expectProblem(stale, 401, 'invalid_token');
      expect(stale.body.detail).toContain('more than 24 hours ago');
      // Control: a day-long token from the CLI's longest lifetime, nearly at its end, still works.
      const dayOld = await issue({}, { iat: now - 23 * 3600, exp: now + 600 });
      expect((await api(server, dayOld, 'GET', '/api/v1/me/mailboxes')).status).toBe(200);
    });

    it('says which check a refused token failed, so its issuer can be fixed', async () => {
      const issuer = server.ctx.testIssuer!;
      const cases: Array<[string, string]> = [
        [
          await issue({}, { issuer: 'https://idp.example.org/test-idp' }),
          `another issuer than the one accepted (${issuer.issuer})`,
        ],
        [await issue({}, { audience: 'someone-else' }), `another audience than this server (${issuer.audience})`],
        [await issue({}, { exp: null }), 'lacks the "exp" claim'],
        [
          await issue({}, { key: (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey }),
          "signature is not from the issuer's keys",
        ],
        ['not.a.token', 'The access token is not valid'],
      ];
      for (const [token, detail] of cases) {
        const res = await api(server, token, 'GET', '/api/v1/me/mailboxes');
        expectProblem(res, 401, 'invalid_token');
        expect(res.body.detail).toContain(detail);
      }
    });

    it.each(badTokens)('refuses a token %s with 401 invalid_token and changes nothing', async (_name, make) => {
      const token = await make();
      const res = await api(server, token, 'GET', '/api/v1/me/mailboxes');
      expectProblem(res, 401, 'invalid_token');
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
      const patch = await api(
        server,
        token,
        'PATCH',
        `/api/v1/mailboxes/${owner.mailboxId}/messages/${owner.letterId}`,
        {
          read: true,
        },
      );
      expectProblem(patch, 401, 'invalid_token');
      expect((await ownerLetter()).body.read).toBe(false);
    });
  });

  describe('a stranger (another person with a mailbox of their own)', () => {
    it('control: the stranger reaches their own mailbox and letter', async () => {
      const mine = await api(server, stranger.token, 'GET', '/api/v1/me/mailboxes');
      expect(mine.body.items.map((m: { id: string }) => m.id)).toEqual([stranger.mailboxId]);
      const letter = await api(
        server,
        stranger.token,
        'GET',
        `/api/v1/mailboxes/${stranger.mailboxId}/messages/${stranger.letterId}`,
      );
      expect(letter.status).toBe(200);
    });

    it("does not see the owner's mailbox in GET /me/mailboxes", async () => {
      const mine = await api(server, stranger.token, 'GET', '/api/v1/me/mailboxes');
      expect(mine.status).toBe(200);
      expect(JSON.stringify(mine.body)).not.toContain(owner.mailboxId);
    });

    it.each(recipientEndpoints)(
      '$name on the owner ids answers 404 exactly like random ids',
      async ({ method, path, body }) => {
        const foldersBefore = await api(server, owner.token, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/folders`);
        const letterBefore = await ownerLetter();
        const trashedBefore = await ownerLetter(owner.token, owner.trashedLetterId);
        const ids =
          method === 'POST' && path(owner).endsWith('/restore') ? { ...owner, letterId: owner.trashedLetterId } : owner;

        const res = await api(server, stranger.token, method, path(ids), body);
        expectProblem(res, 404, 'not_found');
        const random: Ids = {
          mailboxId: randomUUID(),
          letterId: randomUUID(),
          documentId: randomUUID(),
          folderId: randomUUID(),
        };
        expectSameAnswer(res, await api(server, stranger.token, method, path(random), body));
        // The owner's mailbox id with ids that do not exist in it answers alike as well.
        const ownerRandom = { ...random, mailboxId: owner.mailboxId };
        expectSameAnswer(res, await api(server, stranger.token, method, path(ownerRandom), body));

        // Nothing changed for the owner.
        const letterAfter = await ownerLetter();
        expect(letterAfter.body).toEqual(letterBefore.body);
        expect(letterAfter.body).toMatchObject({ read: false, trashedAt: null, openedAt: null });
        const trashedAfter = await ownerLetter(owner.token, owner.trashedLetterId);
        expect(trashedAfter.body).toEqual(trashedBefore.body);
        expect(trashedAfter.body.trashedAt).toEqual(expect.any(String));
        const foldersAfter = await api(server, owner.token, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/folders`);
        expect(foldersAfter.body).toEqual(foldersBefore.body);
        expect(foldersAfter.body.items.map((f: { name: string }) => f.name)).toEqual([
          'Inbox',
          'Archive',
          'Skatt',
          'Trash',
        ]);
      },
    );
  });

  describe('id mix-ups', () => {
    it("answers the owner's letter id under the stranger's own mailbox with 404, like a random id", async () => {
      for (const e of recipientEndpoints.filter((x) => x.path(owner).includes('/messages/'))) {
        const mixed = { ...stranger, letterId: owner.letterId, documentId: owner.documentId };
        const res = await api(server, stranger.token, e.method, e.path(mixed), e.body);
        expectProblem(res, 404, 'not_found');
        const random = { ...stranger, letterId: randomUUID(), documentId: randomUUID() };
        expectSameAnswer(res, await api(server, stranger.token, e.method, e.path(random), e.body));
      }
      const after = await ownerLetter();
      expect(after.body).toMatchObject({ read: false, trashedAt: null });
    });

    it("answers the owner's folder id under the stranger's own mailbox with 404, and will not move a letter into it", async () => {
      const mixed = { ...stranger, folderId: owner.folderId };
      for (const e of recipientEndpoints.filter((x) => x.path(owner).includes('/folders/'))) {
        const res = await api(server, stranger.token, e.method, e.path(mixed), e.body);
        expectProblem(res, 404, 'not_found');
      }
      const letterPath = `/api/v1/mailboxes/${stranger.mailboxId}/messages/${stranger.letterId}`;
      const before = await api(server, stranger.token, 'GET', letterPath);
      const move = await api(server, stranger.token, 'PATCH', letterPath, { folderId: owner.folderId });
      expectProblem(move, 404, 'not_found');
      const after = await api(server, stranger.token, 'GET', letterPath);
      expect(after.body.folderId).toBe(before.body.folderId);
      const folders = await api(server, owner.token, 'GET', `/api/v1/mailboxes/${owner.mailboxId}/folders`);
      expect(folders.body.items.find((f: { id: string }) => f.id === owner.folderId)).toMatchObject({
        name: 'Skatt',
        total: 0,
      });
    });

    it("answers a document id of one of the owner's letters under another of the owner's letters with 404", async () => {
      const res = await api(
        server,
        owner.token,
        'GET',
        `/api/v1/mailboxes/${owner.mailboxId}/messages/${high.letterId}/documents/${owner.documentId}/content`,
      );
      expectProblem(res, 404, 'not_found');
      expect((await ownerLetter()).body.openedAt).toBeNull();
    });

    it("answers the owner's own letter id under a mailbox the owner does not own with 404", async () => {
      const res = await api(
        server,
        owner.token,
        'GET',
        `/api/v1/mailboxes/${stranger.mailboxId}/messages/${owner.letterId}`,
      );
      expectProblem(res, 404, 'not_found');
      const own = await api(
        server,
        owner.token,
        'GET',
        `/api/v1/mailboxes/${owner.mailboxId}/messages/${stranger.letterId}`,
      );
      expectProblem(own, 404, 'not_found');
    });

    it('control: the owner reaches the same document under the right letter', async () => {
      const res = await api(
        server,
        owner.token,
        'GET',
        `/api/v1/mailboxes/${owner.mailboxId}/messages/${owner.letterId}/documents/${owner.documentId}/content`,
      );
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body, tinyPdf)).toBe(0);
    });
  });
});
