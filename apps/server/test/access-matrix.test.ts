/**
 * The authorization matrix: owner, delegate (read), delegate (manage), revoked delegate,
 * organization admin, organization reader, stranger, each sender's API key and a sender's OAuth
 * access token (client credentials), against every recipient and sender endpoint. Every answer
 * is asserted (status, and the problem code of a refusal); every refused change is checked not to
 * have happened and not to be in the audit log; every allowed change to have happened and to be
 * in the audit log with who made it and in which role; every 404 to be indistinguishable from one
 * for random ids. A subset runs through a web session to show that the cookie works only together
 * with the session's CSRF token on unsafe methods.
 */
import { randomUUID } from 'node:crypto';
import {
  type AuditAction,
  addOrganizationAdmin,
  addSenderAdmin,
  createApiKey,
  type LetterPatch,
  type MailboxRole,
  registerClientKey,
} from '@postkasse/core';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../../../test/browser.js';
import {
  api,
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

/** The organization that has a mailbox here and also sends letters (sender A). */
const ORG = '958300018';
/** Sender B, another authority. */
const OTHER_ORG = '974000008';

/** Who is who (synthetic ids; the generated ones have month + 80). */
const ids = {
  owner: people.kari,
  dRead: people.ola,
  dManage: people.mette, // a Danish CPR number
  revoked: people.ingrid,
  orgAdmin: people.per, // also the administrator of sender A
  orgReader: '01818010083',
  stranger: '15838510075',
  /** Not an actor: the person the matrix itself grants access to and adds as a member. */
  spare: '20879010064',
} as const;

/** The persons, then the senders' credentials: each sender's API key, and sender A's OAuth access token. */
const actors = [
  'owner',
  'dRead',
  'dManage',
  'revoked',
  'orgAdmin',
  'orgReader',
  'stranger',
  'keyA',
  'keyB',
  'oauthA',
] as const;
type ActorName = (typeof actors)[number];
type CredentialName = 'keyA' | 'keyB' | 'oauthA';
type PersonName = Exclude<ActorName, CredentialName>;
const isPerson = (a: ActorName): a is PersonName => a !== 'keyA' && a !== 'keyB' && a !== 'oauthA';
const persons = actors.filter(isPerson);

// Legend: an answer is its status, and for a refusal also its problem code.
const R200 = '200';
const R201 = '201';
const R204 = '204';
const F403 = '403 forbidden';
const N404 = '404 not_found';
const T401 = '401 invalid_token';
const I422 = '422 invalid_operation';
type Cells = readonly [string, string, string, string, string, string, string, string, string, string];

/** Kari's own mailbox: Ola reads it, Mette manages it, Ingrid's grant was revoked. */
// biome-ignore format: the matrix is a table, one row per endpoint and one column per actor
const personMailbox = {
  //                          owner dRead dManage revoked orgAdmin orgReader stranger keyA  keyB  oauthA
  'GET messages':             [R200, R200, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET message':              [R200, R200, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET document content':     [R200, R200, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET action calendar':      [R200, R200, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'PATCH message read':       [R200, F403, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'PATCH message folderId':   [R200, F403, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'DELETE message':           [R204, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'POST restore':             [R200, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET folders':              [R200, R200, R200,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'POST folders':             [R201, F403, R201,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'PATCH folder':             [R204, F403, R204,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'DELETE folder':            [R204, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET grants':               [R200, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET audit':                [R200, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'POST grants':              [R201, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'DELETE grant':             [R204, F403, F403,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'GET members':              [I422, I422, I422,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'POST members':             [I422, I422, I422,   N404,   N404,    N404,     N404,    T401, T401, T401],
  'DELETE member':            [I422, I422, I422,   N404,   N404,    N404,     N404,    T401, T401, T401],
} satisfies Record<string, Cells>;
type MailboxEndpoint = keyof typeof personMailbox;

/** The organization's mailbox: Per administers it, the reader was added by Per. */
// biome-ignore format: the matrix is a table, one row per endpoint and one column per actor
const orgMailbox: Record<MailboxEndpoint, Cells> = {
  //                          owner dRead dManage revoked orgAdmin orgReader stranger keyA  keyB  oauthA
  'GET messages':             [N404, N404, N404,   N404,   R200,    R200,     N404,    T401, T401, T401],
  'GET message':              [N404, N404, N404,   N404,   R200,    R200,     N404,    T401, T401, T401],
  'GET document content':     [N404, N404, N404,   N404,   R200,    R200,     N404,    T401, T401, T401],
  'GET action calendar':      [N404, N404, N404,   N404,   R200,    R200,     N404,    T401, T401, T401],
  'PATCH message read':       [N404, N404, N404,   N404,   R200,    F403,     N404,    T401, T401, T401],
  'PATCH message folderId':   [N404, N404, N404,   N404,   R200,    F403,     N404,    T401, T401, T401],
  'DELETE message':           [N404, N404, N404,   N404,   R204,    F403,     N404,    T401, T401, T401],
  'POST restore':             [N404, N404, N404,   N404,   R200,    F403,     N404,    T401, T401, T401],
  'GET folders':              [N404, N404, N404,   N404,   R200,    R200,     N404,    T401, T401, T401],
  'POST folders':             [N404, N404, N404,   N404,   R201,    F403,     N404,    T401, T401, T401],
  'PATCH folder':             [N404, N404, N404,   N404,   R204,    F403,     N404,    T401, T401, T401],
  'DELETE folder':            [N404, N404, N404,   N404,   R204,    F403,     N404,    T401, T401, T401],
  'GET grants':               [N404, N404, N404,   N404,   F403,    F403,     N404,    T401, T401, T401],
  'GET audit':                [N404, N404, N404,   N404,   R200,    F403,     N404,    T401, T401, T401],
  'POST grants':              [N404, N404, N404,   N404,   F403,    F403,     N404,    T401, T401, T401],
  'DELETE grant':             [N404, N404, N404,   N404,   F403,    F403,     N404,    T401, T401, T401],
  'GET members':              [N404, N404, N404,   N404,   R200,    F403,     N404,    T401, T401, T401],
  'POST members':             [N404, N404, N404,   N404,   R201,    F403,     N404,    T401, T401, T401],
  'DELETE member':            [N404, N404, N404,   N404,   R204,    F403,     N404,    T401, T401, T401],
};

/** Endpoints not tied to a mailbox: one's own lists, sender A's API keys, the sender API. */
// biome-ignore format: the matrix is a table, one row per endpoint and one column per actor
const elsewhere = {
  //                          owner dRead dManage revoked orgAdmin orgReader stranger keyA  keyB  oauthA
  'GET /me/mailboxes':        [R200, R200, R200,   R200,   R200,    R200,     R200,    T401, T401, T401],
  'GET /me/senders':          [R200, R200, R200,   R200,   R200,    R200,     R200,    T401, T401, T401],
  'GET api-keys':             [N404, N404, N404,   N404,   R200,    N404,     N404,    T401, T401, T401],
  'POST api-keys':            [N404, N404, N404,   N404,   R201,    N404,     N404,    T401, T401, T401],
  'POST api-key rotate':      [N404, N404, N404,   N404,   R201,    N404,     N404,    T401, T401, T401],
  'DELETE api-key':           [N404, N404, N404,   N404,   R204,    N404,     N404,    T401, T401, T401],
  'GET client-keys':          [N404, N404, N404,   N404,   R200,    N404,     N404,    T401, T401, T401],
  'POST client-keys':         [N404, N404, N404,   N404,   R201,    N404,     N404,    T401, T401, T401],
  'DELETE client-key':        [N404, N404, N404,   N404,   R204,    N404,     N404,    T401, T401, T401],
  'POST /messages':           [T401, T401, T401,   T401,   T401,    T401,     T401,    R201, R201, R201],
  'GET /messages/{id}':       [T401, T401, T401,   T401,   T401,    T401,     T401,    R200, N404, R200],
  'GET /events':              [T401, T401, T401,   T401,   T401,    T401,     T401,    R200, R200, R200],
} satisfies Record<string, Cells>;
type ElsewhereEndpoint = keyof typeof elsewhere;

/** The role each person has in each mailbox, as the audit log must record it. */
const roles: Record<'person' | 'org', Partial<Record<PersonName, MailboxRole>>> = {
  person: { owner: 'owner', dRead: 'delegate-read', dManage: 'delegate-manage' },
  org: { orgAdmin: 'org-admin', orgReader: 'org-reader' },
};

type Ids = Record<string, string>;
type Call = { method: string; path: string; body?: unknown };
type Res = { status: number; type: string; body: any };
type Endpoint = {
  call: (i: Ids) => Call;
  /** Puts the data in the state the call starts from; returns ids the call needs. */
  prepare?: (i: Ids) => Promise<Ids>;
  /** Whether the call changed the data (checked after every call: only a success may). */
  changed?: (i: Ids) => Promise<boolean>;
  /** What a success records in the mailbox's audit log. */
  audit?: AuditAction;
  /** What a success must answer. */
  returns?: (res: Res, i: Ids) => boolean;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** The same ids with every uuid replaced by a random one. */
const randomized = (i: Ids): Ids =>
  Object.fromEntries(Object.entries(i).map(([k, v]) => [k, UUID.test(v) ? randomUUID() : v]));

const outcomeOf = (res: Res) => (res.status < 400 ? String(res.status) : `${res.status} ${res.body?.code}`);
const isProblem = (res: Res) =>
  res.type.startsWith('application/problem+json') &&
  res.body?.status === res.status &&
  res.body?.type === `urn:postkasse:problem:${res.body?.code}` &&
  typeof res.body?.correlationId === 'string';
/** Two answers a client cannot tell apart. */
const sameAnswer = (a: Res, b: Res) =>
  JSON.stringify({ s: a.status, ...a.body, correlationId: null }) ===
  JSON.stringify({ s: b.status, ...b.body, correlationId: null });

async function login(server: TestServer, browser: Browser, pid: string) {
  const start = await browser.go(`${server.url}/auth/login?acr=idporten-loa-high`);
  expect(start.url).toContain('/test-idp/interaction/');
  const done = await browser.submit(start.url, await start.res.text(), { pid, acr: 'idporten-loa-high' });
  expect(done.url).toBe(`${server.url}/`);
  expect(browser.cookie(server.url, 'pk_session')).toBeTruthy();
  const session = await browser.request(`${server.url}/auth/session`);
  expect(session.status).toBe(200);
  return ((await session.json()) as { csrfToken: string }).csrfToken;
}

describe.each(dialects)('access matrix (%s)', (dialect) => {
  let server: TestServer;
  let senderA: { id: string; apiKey: string };
  let senderB: { id: string; apiKey: string };
  const tokens = {} as Record<PersonName, string>;
  const grantIds = {} as Partial<Record<PersonName, string>>;
  type Box = {
    kind: 'person' | 'org';
    mailboxId: string;
    letterId: string;
    documentId: string;
    folderId: string;
    inboxId: string;
    trashId: string;
  };
  const boxes = {} as Record<'person' | 'org', Box>;
  /** The letter sender A sent to Kari (its external id is what the sender API knows it by). */
  let sentByA: string;
  /** Sender A's OAuth access token (client credentials with a signed assertion), and its public key. */
  let oauthA: string;
  let clientJwk: Record<string, unknown>;

  const store = () => server.ctx.deps.store;
  const letterRow = async (i: Ids) => (await store().read.letters.getInMailbox(i.mailboxId!, i.letterId!))!;
  const setLetter = (i: Ids, patch: LetterPatch) =>
    store().write((repos) => repos.letters.update(i.mailboxId!, i.letterId!, patch));
  const newestAudit = async (mailboxId: string) => (await store().read.audit.listByMailbox(mailboxId, 1))[0] ?? null;
  const now = () => new Date().toISOString();

  async function insertFolder(mailboxId: string): Promise<string> {
    const id = randomUUID();
    await store().write((repos) =>
      repos.folders.insert({ id, mailboxId, kind: 'custom', name: `Folder ${id.slice(0, 8)}`, createdAt: now() }),
    );
    return id;
  }

  async function dropSpareMember(mailboxId: string) {
    await store().write(async (repos) => {
      const m = await repos.members.find('mailbox', mailboxId, ids.spare);
      if (m) await repos.members.delete('mailbox', mailboxId, m.id);
    });
  }

  async function send(actor: ActorName, c: Call): Promise<Res> {
    const credential = isPerson(actor) ? tokens[actor] : { keyA: senderA.apiKey, keyB: senderB.apiKey, oauthA }[actor];
    const headers: Record<string, string> = { authorization: `Bearer ${credential}` };
    let body: RequestInit['body'];
    if (c.body instanceof FormData) body = c.body;
    else if (c.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.body);
    }
    const res = await fetch(`${server.url}${c.path}`, { method: c.method, headers, body });
    const type = res.headers.get('content-type') ?? '';
    const data = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, type, body: data };
  }

  const box = (i: Ids) => `/api/v1/mailboxes/${i.mailboxId}`;
  const letter = (i: Ids) => `${box(i)}/messages/${i.letterId}`;
  const items = (res: Res): Array<Record<string, any>> => res.body?.items ?? [];

  const mailboxEndpoints: Record<MailboxEndpoint, Endpoint> = {
    'GET messages': {
      call: (i) => ({ method: 'GET', path: `${box(i)}/messages?folder=inbox` }),
      prepare: async (i) => {
        await setLetter(i, { folderId: i.inboxId, trashedAt: null, restoreFolderId: null });
        return {};
      },
      returns: (res, i) => items(res).some((l) => l.id === i.letterId),
    },
    'GET message': {
      call: (i) => ({ method: 'GET', path: letter(i) }),
      returns: (res, i) => res.body.id === i.letterId && res.body.documents[0]?.id === i.documentId,
    },
    'GET document content': {
      call: (i) => ({ method: 'GET', path: `${letter(i)}/documents/${i.documentId}/content` }),
      audit: 'document.read',
      returns: (res) => Buffer.isBuffer(res.body) && Buffer.compare(res.body, tinyPdf) === 0,
    },
    'GET action calendar': {
      call: (i) => ({ method: 'GET', path: `${letter(i)}/actions/0/calendar` }),
      audit: 'action.calendar',
      returns: (res) =>
        res.type.startsWith('text/calendar') && Buffer.isBuffer(res.body) && res.body.includes('BEGIN:VCALENDAR'),
    },
    'PATCH message read': {
      prepare: async (i) => {
        await setLetter(i, { readAt: null });
        return {};
      },
      call: (i) => ({ method: 'PATCH', path: letter(i), body: { read: true } }),
      changed: async (i) => (await letterRow(i)).readAt !== null,
      audit: 'letter.update',
      returns: (res) => res.body.read === true,
    },
    'PATCH message folderId': {
      prepare: async (i) => {
        await setLetter(i, { folderId: i.inboxId, trashedAt: null, restoreFolderId: null });
        return {};
      },
      call: (i) => ({ method: 'PATCH', path: letter(i), body: { folderId: i.folderId } }),
      changed: async (i) => (await letterRow(i)).folderId === i.folderId,
      audit: 'letter.update',
      returns: (res, i) => res.body.folderId === i.folderId,
    },
    'DELETE message': {
      prepare: async (i) => {
        await setLetter(i, { folderId: i.inboxId, trashedAt: null, restoreFolderId: null });
        return {};
      },
      call: (i) => ({ method: 'DELETE', path: letter(i) }),
      changed: async (i) => (await letterRow(i)).trashedAt !== null,
      audit: 'letter.trash',
    },
    'POST restore': {
      prepare: async (i) => {
        await setLetter(i, { folderId: i.trashId, trashedAt: now(), restoreFolderId: i.inboxId });
        return {};
      },
      call: (i) => ({ method: 'POST', path: `${letter(i)}/restore` }),
      changed: async (i) => (await letterRow(i)).trashedAt === null,
      audit: 'letter.restore',
      returns: (res, i) => res.body.trashedAt === null && res.body.folderId === i.inboxId,
    },
    'GET folders': {
      call: (i) => ({ method: 'GET', path: `${box(i)}/folders` }),
      returns: (res, i) => items(res).some((f) => f.id === i.folderId && f.name === 'Skatt'),
    },
    'POST folders': {
      prepare: async () => ({ name: `New ${randomUUID().slice(0, 8)}` }),
      call: (i) => ({ method: 'POST', path: `${box(i)}/folders`, body: { name: i.name } }),
      changed: async (i) => (await store().read.folders.findByName(i.mailboxId!, i.name!)) !== null,
      audit: 'folder.create',
      returns: (res, i) => res.body.name === i.name && res.body.kind === 'custom',
    },
    'PATCH folder': {
      prepare: async (i) => ({
        customId: await insertFolder(i.mailboxId!),
        name: `Renamed ${randomUUID().slice(0, 8)}`,
      }),
      call: (i) => ({ method: 'PATCH', path: `${box(i)}/folders/${i.customId}`, body: { name: i.name } }),
      changed: async (i) => (await store().read.folders.get(i.mailboxId!, i.customId!))?.name === i.name,
      audit: 'folder.rename',
    },
    'DELETE folder': {
      prepare: async (i) => ({ customId: await insertFolder(i.mailboxId!) }),
      call: (i) => ({ method: 'DELETE', path: `${box(i)}/folders/${i.customId}` }),
      changed: async (i) => (await store().read.folders.get(i.mailboxId!, i.customId!)) === null,
      audit: 'folder.delete',
    },
    'GET audit': {
      call: (i) => ({ method: 'GET', path: `${box(i)}/audit?limit=200` }),
      returns: (res) => Array.isArray(res.body.items) && items(res).every((e) => /^[0-9a-f]{64}$/.test(e.hash)),
    },
    'GET grants': {
      call: (i) => ({ method: 'GET', path: `${box(i)}/grants` }),
      returns: (res) =>
        items(res).some((g) => g.granteeNationalId === ids.dRead && g.scope === 'read' && g.active === true),
    },
    'POST grants': {
      prepare: async (i) => ({ count: String((await store().read.grants.listByMailbox(i.mailboxId!)).length) }),
      call: (i) => ({
        method: 'POST',
        path: `${box(i)}/grants`,
        body: { granteeNationalId: ids.spare, scope: 'read' },
      }),
      changed: async (i) => (await store().read.grants.listByMailbox(i.mailboxId!)).length > Number(i.count),
      audit: 'grant.create',
      returns: (res) => res.body.granteeNationalId === ids.spare && res.body.active === true,
    },
    'DELETE grant': {
      // Grants exist on persons' mailboxes only; on the organization's a random id will do.
      prepare: async (i) => {
        const id = randomUUID();
        if (i.kind === 'person') {
          await store().write((repos) =>
            repos.grants.insert({
              id,
              mailboxId: i.mailboxId!,
              granteeNationalId: ids.spare,
              scope: 'read',
              validUntil: null,
              createdAt: now(),
              createdBy: ids.owner,
              revokedAt: null,
            }),
          );
        }
        return { grantId: id };
      },
      call: (i) => ({ method: 'DELETE', path: `${box(i)}/grants/${i.grantId}` }),
      changed: async (i) => Boolean((await store().read.grants.get(i.mailboxId!, i.grantId!))?.revokedAt),
      audit: 'grant.revoke',
    },
    'GET members': {
      call: (i) => ({ method: 'GET', path: `${box(i)}/members` }),
      returns: (res) =>
        items(res).some((m) => m.nationalId === ids.orgAdmin && m.role === 'admin') &&
        items(res).some((m) => m.nationalId === ids.orgReader && m.role === 'reader'),
    },
    'POST members': {
      prepare: async (i) => {
        await dropSpareMember(i.mailboxId!);
        return {};
      },
      call: (i) => ({ method: 'POST', path: `${box(i)}/members`, body: { nationalId: ids.spare, role: 'reader' } }),
      changed: async (i) => (await store().read.members.find('mailbox', i.mailboxId!, ids.spare)) !== null,
      audit: 'member.add',
      returns: (res) => res.body.nationalId === ids.spare && res.body.role === 'reader',
    },
    'DELETE member': {
      // Members exist in organizations' mailboxes only; on Kari's a random id will do.
      prepare: async (i) => {
        const id = randomUUID();
        if (i.kind === 'org') {
          await dropSpareMember(i.mailboxId!);
          await store().write((repos) =>
            repos.members.insert({
              id,
              scopeType: 'mailbox',
              scopeId: i.mailboxId!,
              nationalId: ids.spare,
              role: 'reader',
              notify: false,
              createdAt: now(),
              createdBy: ids.orgAdmin,
            }),
          );
        }
        return { memberId: id };
      },
      call: (i) => ({ method: 'DELETE', path: `${box(i)}/members/${i.memberId}` }),
      changed: async (i) =>
        i.kind === 'org' && (await store().read.members.get('mailbox', i.mailboxId!, i.memberId!)) === null,
      audit: 'member.remove',
    },
  };

  const keysOf = (i: Ids) => `/api/v1/senders/${i.senderId}/api-keys`;
  const freshKey = async () => (await createApiKey(server.ctx.deps, senderA.id, 'matrix')).key.id;
  const keyRevoked = async (i: Ids) =>
    Boolean((await store().read.apiKeys.listBySender(senderA.id)).find((k) => k.id === i.keyId)?.revokedAt);

  const elsewhereEndpoints: Record<ElsewhereEndpoint, Endpoint> = {
    'GET /me/mailboxes': {
      call: () => ({ method: 'GET', path: '/api/v1/me/mailboxes' }),
      returns: (res) => items(res).some((m) => m.role === 'owner'),
    },
    'GET /me/senders': {
      call: () => ({ method: 'GET', path: '/api/v1/me/senders' }),
      returns: (res) => !!res.body.items,
    },
    'GET api-keys': {
      call: (i) => ({ method: 'GET', path: keysOf(i) }),
      returns: (res) => items(res).length > 0 && !JSON.stringify(res.body).includes(senderA.apiKey),
    },
    'POST api-keys': {
      prepare: async () => ({ count: String((await store().read.apiKeys.listBySender(senderA.id)).length) }),
      call: (i) => ({ method: 'POST', path: keysOf(i), body: { label: 'matrix' } }),
      changed: async (i) => (await store().read.apiKeys.listBySender(senderA.id)).length > Number(i.count),
      returns: (res) => typeof res.body.apiKey === 'string' && res.body.apiKey.startsWith(res.body.prefix),
    },
    'POST api-key rotate': {
      prepare: async () => ({ keyId: await freshKey() }),
      call: (i) => ({ method: 'POST', path: `${keysOf(i)}/${i.keyId}/rotate` }),
      changed: keyRevoked,
      returns: (res, i) => typeof res.body.apiKey === 'string' && res.body.id !== i.keyId,
    },
    'DELETE api-key': {
      prepare: async () => ({ keyId: await freshKey() }),
      call: (i) => ({ method: 'DELETE', path: `${keysOf(i)}/${i.keyId}` }),
      changed: keyRevoked,
    },
    'GET client-keys': {
      call: (i) => ({ method: 'GET', path: `/api/v1/senders/${i.senderId}/client-keys` }),
      returns: (res) => items(res).some((k) => k.kid === 'matrix-oauth' && k.jwk.d === undefined),
    },
    'POST client-keys': {
      prepare: async () => ({
        count: String((await store().read.clientKeys.listBySender(senderA.id)).length),
        kid: `matrix-${randomUUID()}`,
      }),
      call: (i) => ({
        method: 'POST',
        path: `/api/v1/senders/${i.senderId}/client-keys`,
        body: { jwk: { ...clientJwk, kid: i.kid } },
      }),
      changed: async (i) => (await store().read.clientKeys.listBySender(senderA.id)).length > Number(i.count),
      returns: (res, i) => res.body.kid === i.kid && res.body.revokedAt === null,
    },
    'DELETE client-key': {
      prepare: async () => ({
        keyId: (await registerClientKey(server.ctx.deps, senderA.id, { ...clientJwk, kid: `matrix-${randomUUID()}` }))
          .id,
      }),
      call: (i) => ({ method: 'DELETE', path: `/api/v1/senders/${i.senderId}/client-keys/${i.keyId}` }),
      changed: async (i) =>
        Boolean((await store().read.clientKeys.listBySender(senderA.id)).find((k) => k.id === i.keyId)?.revokedAt),
    },
    'POST /messages': {
      prepare: async () => ({ newLetter: randomUUID() }),
      call: (i) => ({
        method: 'POST',
        path: '/api/v1/messages',
        body: letterForm(letterJson({ id: i.newLetter, recipient: { nationalId: ids.stranger } })),
      }),
      changed: async (i) =>
        (await store().read.letters.findByExternalId(senderA.id, i.newLetter!)) !== null ||
        (await store().read.letters.findByExternalId(senderB.id, i.newLetter!)) !== null,
      returns: (res, i) => res.body.id === i.newLetter && res.body.status === 'DELIVERED',
    },
    'GET /messages/{id}': {
      call: (i) => ({ method: 'GET', path: `/api/v1/messages/${i.externalId}` }),
      returns: (res, i) => res.body.id === i.externalId,
    },
    'GET /events': {
      call: () => ({ method: 'GET', path: '/api/v1/events?limit=1000' }),
      returns: (res) => Array.isArray(res.body.items),
    },
  };

  /** The grant an audit entry names: the grant given or revoked, or the one a delegate acted under. */
  const grantIdOf = (action: AuditAction, actor: ActorName, i: Ids, res: Res) => {
    if (action === 'grant.create') return res.body.id;
    if (action === 'grant.revoke') return i.grantId;
    return actor === 'dRead' || actor === 'dManage' ? grantIds[actor] : undefined;
  };

  /**
   * One cell: prepares the data, makes the call, and describes the answer. Anything besides the
   * answer that is wrong (a change that should not have happened, a missing audit entry, a 404
   * that differs from one for random ids) is appended, so the row's diff shows it in its cell.
   */
  async function cell(endpoint: Endpoint, actor: ActorName, target: Box | null): Promise<string> {
    let i: Ids = { senderId: senderA.id, externalId: sentByA, ...(target ?? {}) };
    i = { ...i, ...((await endpoint.prepare?.(i)) ?? {}) };
    const before = target ? await newestAudit(target.mailboxId) : null;
    const res = await send(actor, endpoint.call(i));
    const outcome = outcomeOf(res);
    const success = res.status < 300;
    const notes: string[] = [];
    if (!success && !isProblem(res)) notes.push('not a problem document');
    if (success && endpoint.returns && !endpoint.returns(res, i)) notes.push('unexpected body');
    if (endpoint.changed) {
      const changed = await endpoint.changed(i);
      if (changed !== success) notes.push(changed ? 'changed anyway' : 'changed nothing');
    }
    if (target) {
      const after = await newestAudit(target.mailboxId);
      if (success && endpoint.audit) {
        const role = isPerson(actor) ? roles[target.kind][actor] : undefined;
        const personal = isPerson(actor) ? ids[actor] : undefined;
        const recorded =
          after !== null &&
          after.id !== before?.id &&
          after.action === endpoint.audit &&
          after.actorNationalId === personal &&
          after.actorRole === role &&
          after.details.grantId === grantIdOf(endpoint.audit, actor, i, res) &&
          after.letterId ===
            (endpoint.audit.startsWith('letter.') ||
            endpoint.audit === 'document.read' ||
            endpoint.audit === 'action.calendar'
              ? i.letterId
              : null);
        if (!recorded) notes.push(`audit ${JSON.stringify(after)}`);
      } else if (!success && after?.id !== before?.id) {
        notes.push(`refusal audited as ${after?.action}`);
      }
    }
    if (outcome === N404) {
      const random = await send(actor, endpoint.call(randomized(i)));
      if (!sameAnswer(res, random)) notes.push(`differs from random ids: ${outcomeOf(random)}`);
    }
    return [outcome, ...notes].join(' + ');
  }

  async function row(endpoint: Endpoint, expected: Cells, target: Box | null) {
    const want: Record<string, string> = {};
    const got: Record<string, string> = {};
    for (const [n, actor] of actors.entries()) {
      want[actor] = expected[n]!;
      got[actor] = await cell(endpoint, actor, target);
    }
    expect(got).toEqual(want);
  }

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const deps = server.ctx.deps;
    senderA = await server.sender('public', ORG);
    senderB = await server.sender('public', OTHER_ORG);
    const personBox = await server.person(ids.owner, 'Kari Nordmann');
    for (const p of ['dRead', 'dManage', 'revoked', 'orgAdmin', 'orgReader', 'stranger'] as const) {
      await server.person(ids[p]);
    }
    const orgBox = await server.organization(ORG);
    await addOrganizationAdmin(deps, ORG, ids.orgAdmin);
    await addSenderAdmin(deps, ORG, ids.orgAdmin);
    for (const p of persons) tokens[p] = await server.token(ids[p], 'high');

    // Sender A also has a client key, and an access token from the client-credentials grant.
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    clientJwk = { ...(await exportJWK(pair.publicKey)), alg: 'EdDSA' };
    await registerClientKey(deps, senderA.id, { ...clientJwk, kid: 'matrix-oauth' });
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: 'matrix-oauth' })
      .setIssuer(senderA.id)
      .setSubject(senderA.id)
      .setAudience(`${server.url}/oauth/token`)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('60s')
      .sign(pair.privateKey);
    const exchanged = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion,
      }),
    });
    expect(exchanged.status).toBe(200);
    oauthA = ((await exchanged.json()) as { access_token: string }).access_token;

    // Delegates, through the API as the owner would do it.
    const grant = async (grantee: string, scope: 'read' | 'manage') => {
      const res = await api(server, tokens.owner, 'POST', `/api/v1/mailboxes/${personBox.mailboxId}/grants`, {
        granteeNationalId: grantee,
        scope,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    grantIds.dRead = await grant(ids.dRead, 'read');
    grantIds.dManage = await grant(ids.dManage, 'manage');
    const revokedGrant = await grant(ids.revoked, 'read');
    const revoke = await api(
      server,
      tokens.owner,
      'DELETE',
      `/api/v1/mailboxes/${personBox.mailboxId}/grants/${revokedGrant}`,
    );
    expect(revoke.status).toBe(204);
    // The reader, added by the organization's admin.
    const member = await api(server, tokens.orgAdmin, 'POST', `/api/v1/mailboxes/${orgBox.mailboxId}/members`, {
      nationalId: ids.orgReader,
      role: 'reader',
    });
    expect(member.status, JSON.stringify(member.body)).toBe(201);

    // A letter in each mailbox, and a folder of one's own in each.
    const setUp = async (kind: 'person' | 'org', mailboxId: string, token: string, apiKey: string, to: object) => {
      const day = new Date(Date.now() + 7 * 24 * 3600_000).toISOString().slice(0, 10);
      const appointment = { type: 'appointment', label: 'Meeting', start: `${day}T09:00:00Z`, end: `${day}T10:00:00Z` };
      const message = letterJson({ recipient: to, subject: `Letter to the ${kind} mailbox`, actions: [appointment] });
      const sent = await sendLetterHttp(server, apiKey, message);
      expect(sent.body.status).toBe('DELIVERED');
      const list = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`);
      const letterId = list.body.items[0].id as string;
      const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`);
      const folder = await api(server, token, 'POST', `/api/v1/mailboxes/${mailboxId}/folders`, { name: 'Skatt' });
      expect(folder.status).toBe(201);
      const folders = (await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/folders`)).body.items as Array<{
        id: string;
        kind: string;
      }>;
      boxes[kind] = {
        kind,
        mailboxId,
        letterId,
        documentId: detail.body.documents[0].id,
        folderId: folder.body.id,
        inboxId: folders.find((f) => f.kind === 'inbox')!.id,
        trashId: folders.find((f) => f.kind === 'trash')!.id,
      };
      return message.id;
    };
    sentByA = await setUp('person', personBox.mailboxId, tokens.owner, senderA.apiKey, { nationalId: ids.owner });
    await setUp('org', orgBox.mailboxId, tokens.orgAdmin, senderB.apiKey, { orgNumber: ORG });
  });
  afterAll(() => server?.close());

  describe("Kari's mailbox", () => {
    it.each(Object.keys(personMailbox) as MailboxEndpoint[])('%s', async (name) => {
      await row(mailboxEndpoints[name], personMailbox[name], boxes.person);
    });
  });

  describe("the organization's mailbox", () => {
    it.each(Object.keys(orgMailbox) as MailboxEndpoint[])('%s', async (name) => {
      await row(mailboxEndpoints[name], orgMailbox[name], boxes.org);
    });
  });

  describe('not tied to a mailbox', () => {
    it.each(Object.keys(elsewhere) as ElsewhereEndpoint[])('%s', async (name) => {
      await row(elsewhereEndpoints[name], elsewhere[name], null);
    });
  });

  describe('what each person sees', () => {
    it('lists exactly the mailboxes each person may open, with their role; owners of others masked', async () => {
      const seen: Record<string, unknown> = {};
      for (const p of persons) {
        const res = await api(server, tokens[p], 'GET', '/api/v1/me/mailboxes');
        seen[p] = (res.body.items as Array<{ id: string; role: string; ownerId: string }>)
          .filter((m) => m.id === boxes.person.mailboxId || m.id === boxes.org.mailboxId)
          .map((m) => `${m.id === boxes.person.mailboxId ? 'kari' : 'org'}:${m.role}:${m.ownerId}`);
        expect(res.body.items.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
      }
      expect(seen).toEqual({
        owner: [`kari:owner:${ids.owner}`],
        dRead: ['kari:delegate-read:128585*****'],
        dManage: ['kari:delegate-manage:128585*****'],
        revoked: [],
        orgAdmin: [`org:org-admin:${ORG}`],
        orgReader: [`org:org-reader:${ORG}`],
        stranger: [],
      });
    });

    it('lists the senders one administers: sender A for its admin, nothing for the others', async () => {
      for (const p of persons) {
        const res = await api(server, tokens[p], 'GET', '/api/v1/me/senders');
        expect(res.body.items, p).toEqual(
          p === 'orgAdmin' ? [{ id: senderA.id, orgNumber: ORG, name: `Sender ${ORG}`, kind: 'public' }] : [],
        );
      }
    });

    it('shows the owner the revoked grant as revoked, and the two live ones as active', async () => {
      const res = await api(server, tokens.owner, 'GET', `/api/v1/mailboxes/${boxes.person.mailboxId}/grants`);
      const byPerson = (id: string) =>
        (res.body.items as Array<{ granteeNationalId: string; active: boolean; revokedAt: string | null }>).filter(
          (g) => g.granteeNationalId === id,
        );
      expect(byPerson(ids.revoked)).toEqual([
        expect.objectContaining({ active: false, revokedAt: expect.any(String) }),
      ]);
      expect(byPerson(ids.dRead)).toEqual([
        expect.objectContaining({ id: grantIds.dRead, active: true, scope: 'read' }),
      ]);
      expect(byPerson(ids.dManage)).toEqual([
        expect.objectContaining({ id: grantIds.dManage, active: true, scope: 'manage', revokedAt: null }),
      ]);
    });
  });

  describe('the audit log', () => {
    it('records what delegates and members do, with their national id, role and grant', async () => {
      const person = boxes.person;
      const org = boxes.org;
      await setLetter(person, { folderId: person.inboxId, trashedAt: null, restoreFolderId: null });

      const move = await api(
        server,
        tokens.dManage,
        'PATCH',
        `/api/v1/mailboxes/${person.mailboxId}/messages/${person.letterId}`,
        {
          folderId: person.folderId,
        },
      );
      expect(move.status).toBe(200);
      const read = await api(
        server,
        tokens.dRead,
        'GET',
        `/api/v1/mailboxes/${person.mailboxId}/messages/${person.letterId}/documents/${person.documentId}/content`,
      );
      expect(read.status).toBe(200);
      // Refused: not recorded.
      const refused = await api(
        server,
        tokens.dRead,
        'PATCH',
        `/api/v1/mailboxes/${person.mailboxId}/messages/${person.letterId}`,
        {
          read: false,
        },
      );
      expect(refused.status).toBe(403);
      const orgRead = await api(
        server,
        tokens.orgReader,
        'GET',
        `/api/v1/mailboxes/${org.mailboxId}/messages/${org.letterId}/documents/${org.documentId}/content`,
      );
      expect(orgRead.status).toBe(200);

      const personLog = await server.ctx.deps.store.read.audit.listByMailbox(person.mailboxId, 2);
      expect(personLog).toEqual([
        expect.objectContaining({
          mailboxId: person.mailboxId,
          actorNationalId: ids.dRead,
          actorRole: 'delegate-read',
          action: 'document.read',
          letterId: person.letterId,
          details: { documentId: person.documentId, grantId: grantIds.dRead },
          at: expect.any(String),
        }),
        expect.objectContaining({
          actorNationalId: ids.dManage,
          actorRole: 'delegate-manage',
          action: 'letter.update',
          letterId: person.letterId,
          details: { folderId: person.folderId, grantId: grantIds.dManage },
        }),
      ]);
      const orgLog = await server.ctx.deps.store.read.audit.listByMailbox(org.mailboxId, 1);
      expect(orgLog).toEqual([
        expect.objectContaining({
          actorNationalId: ids.orgReader,
          actorRole: 'org-reader',
          action: 'document.read',
          letterId: org.letterId,
          details: { documentId: org.documentId },
        }),
      ]);
    });

    it("keeps the grants and the reader's membership in the log too (who gave access, who added whom)", async () => {
      const personLog = await server.ctx.deps.store.read.audit.listByMailbox(boxes.person.mailboxId, 10_000);
      const grantsCreated = personLog.filter((e) => e.action === 'grant.create').map((e) => e.details.grantId);
      expect(grantsCreated).toEqual(expect.arrayContaining([grantIds.dRead, grantIds.dManage]));
      expect(personLog.filter((e) => e.action.startsWith('grant.')).every((e) => e.actorNationalId === ids.owner)).toBe(
        true,
      );
      expect(personLog.some((e) => e.action === 'grant.revoke' && e.actorRole === 'owner')).toBe(true);
      const orgLog = await server.ctx.deps.store.read.audit.listByMailbox(boxes.org.mailboxId, 10_000);
      expect(orgLog.at(-1)).toMatchObject({
        action: 'member.add',
        actorNationalId: ids.orgAdmin,
        actorRole: 'org-admin',
        details: { role: 'reader' },
      });
    });
  });

  describe('through a web session (cookie + x-csrf-token)', () => {
    const url = (path: string) => `${server.url}${path}`;

    async function call(browser: Browser, method: string, path: string, body?: unknown, csrf?: string) {
      const headers: Record<string, string> = {};
      if (csrf !== undefined) headers['x-csrf-token'] = csrf;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const res = await browser.request(url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const type = res.headers.get('content-type') ?? '';
      return {
        status: res.status,
        type,
        body: type.includes('json') ? await res.json() : await res.arrayBuffer(),
      } as Res;
    }

    it('reads with the cookie alone, and changes only with the CSRF token of that same session', async () => {
      const p = boxes.person;
      const m = `/api/v1/mailboxes/${p.mailboxId}`;
      const kari = new Browser();
      const csrf = await login(server, kari, ids.owner);
      const ola = new Browser();
      const olasCsrf = await login(server, ola, ids.dRead);
      expect(olasCsrf).not.toBe(csrf);

      for (const path of [
        '/api/v1/me/mailboxes',
        `${m}/messages`,
        `${m}/messages/${p.letterId}`,
        `${m}/messages/${p.letterId}/documents/${p.documentId}/content`,
        `${m}/folders`,
        `${m}/grants`,
      ]) {
        expect((await call(kari, 'GET', path)).status, path).toBe(200);
      }

      await setLetter(p, { readAt: null, folderId: p.inboxId, trashedAt: null, restoreFolderId: null });
      const folderId = await insertFolder(p.mailboxId);
      const unsafe: Array<[string, string, unknown?]> = [
        ['PATCH', `${m}/messages/${p.letterId}`, { read: true }],
        ['PATCH', `${m}/messages/${p.letterId}`, { folderId: p.folderId }],
        ['DELETE', `${m}/messages/${p.letterId}`],
        ['POST', `${m}/messages/${p.letterId}/restore`],
        ['POST', `${m}/folders`, { name: 'Via session' }],
        ['PATCH', `${m}/folders/${folderId}`, { name: 'Renamed via session' }],
        ['DELETE', `${m}/folders/${folderId}`],
        ['POST', `${m}/grants`, { granteeNationalId: ids.spare, scope: 'read' }],
        ['DELETE', `${m}/grants/${grantIds.dRead}`],
        ['POST', '/auth/logout'],
      ];
      const auditBefore = await newestAudit(p.mailboxId);
      const stateBefore = await letterRow(p);
      for (const [method, path, body] of unsafe) {
        for (const token of [undefined, '', 'wrong', olasCsrf, `${csrf}x`]) {
          const res = await call(kari, method, path, body, token);
          expect(outcomeOf(res), `${method} ${path} with ${JSON.stringify(token)}`).toBe('403 csrf_failed');
          expect(isProblem(res)).toBe(true);
        }
      }
      // Nothing changed, nothing recorded, the grant still works, the session is still alive.
      expect(await letterRow(p)).toEqual(stateBefore);
      expect(await newestAudit(p.mailboxId)).toEqual(auditBefore);
      expect(await store().read.folders.findByName(p.mailboxId, 'Via session')).toBeNull();
      expect((await store().read.folders.get(p.mailboxId, folderId))?.name).toMatch(/^Folder /);
      expect((await api(server, tokens.dRead, 'GET', `${m}/messages`)).status).toBe(200);

      // With the right token the same requests go through.
      const results: string[] = [];
      for (const [method, path, body] of unsafe.filter(([, path]) => !path.includes('/grants/'))) {
        if (path === '/auth/logout') continue;
        results.push(`${method} ${outcomeOf(await call(kari, method, path, body, csrf))}`);
      }
      expect(results).toEqual([
        'PATCH 200',
        'PATCH 200',
        'DELETE 204',
        'POST 200',
        'POST 201',
        'PATCH 204',
        'DELETE 204',
        'POST 201',
      ]);
      expect(await newestAudit(p.mailboxId)).toMatchObject({ action: 'grant.create', actorNationalId: ids.owner });
      expect(await letterRow(p)).toMatchObject({ readAt: expect.any(String), trashedAt: null, folderId: p.folderId });

      // A delegate's session: reads with the cookie; with its CSRF token the role still decides.
      expect((await call(ola, 'GET', `${m}/messages/${p.letterId}`)).status).toBe(200);
      expect(outcomeOf(await call(ola, 'PATCH', `${m}/messages/${p.letterId}`, { read: false }))).toBe(
        '403 csrf_failed',
      );
      expect(outcomeOf(await call(ola, 'PATCH', `${m}/messages/${p.letterId}`, { read: false }, olasCsrf))).toBe(
        '403 forbidden',
      );
      expect(outcomeOf(await call(ola, 'PATCH', `${m}/messages/${p.letterId}`, { read: false }, csrf))).toBe(
        '403 csrf_failed',
      );
      expect((await letterRow(p)).readAt).not.toBeNull();

      const out = await call(kari, 'POST', '/auth/logout', undefined, csrf);
      expect(out.status).toBe(204);
      expect(outcomeOf(await call(kari, 'GET', `${m}/messages`))).toBe('401 unauthenticated');
    });

    it("does not open another person's mailbox with a session cookie, even with that session's CSRF token", async () => {
      const stranger = new Browser();
      const csrf = await login(server, stranger, ids.stranger);
      const m = `/api/v1/mailboxes/${boxes.person.mailboxId}`;
      const read = await call(stranger, 'GET', `${m}/messages/${boxes.person.letterId}`);
      expect(outcomeOf(read)).toBe(N404);
      const write = await call(stranger, 'PATCH', `${m}/messages/${boxes.person.letterId}`, { read: false }, csrf);
      expect(outcomeOf(write)).toBe(N404);
      const random = await call(
        stranger,
        'PATCH',
        `/api/v1/mailboxes/${randomUUID()}/messages/${randomUUID()}`,
        {
          read: false,
        },
        csrf,
      );
      expect(sameAnswer(write, random)).toBe(true);
    });
  });
});
