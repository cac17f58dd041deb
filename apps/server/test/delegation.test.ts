/**
 * Access management end to end over HTTP: an owner gives others read or manage access to their
 * mailbox (grants) and takes it back; an organization's admins manage its members; a sender's
 * administrators manage its API keys through the recipient API with their own login.
 */
import { randomUUID } from 'node:crypto';
import { addOrganizationAdmin, addSenderAdmin } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  type HttpAnswer,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

const ORG = '958300018';
const KEY_SENDER_ORG = '915000002';

/** Synthetic ids; the generated ones have month + 80. */
const ids = {
  kari: people.kari, // owns a mailbox
  ola: people.ola, // gets read access
  mette: people.mette, // gets manage access (a Danish CPR number)
  ingrid: people.ingrid, // administers the sender of KEY_SENDER_ORG
  per: people.per, // the organization's first admin
  reader: '01818010083',
  secondAdmin: '05919510090',
  stranger: '15838510075',
  timed: '20879010064', // gets a grant that runs out
  raceA: '28927210020', // these two act at the same moment
  raceB: '10906410090',
} as const;

type Res = HttpAnswer;

/** Two answers a client cannot tell apart. */
function expectSameAnswer(a: Res, b: Res): void {
  const strip = (r: Res) => ({ status: r.status, ...r.body, correlationId: undefined });
  expect(strip(a)).toEqual(strip(b));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(dialects)('delegation and access management (%s)', (dialect) => {
  let server: TestServer;
  let postman: { id: string; apiKey: string };
  let kariBox: string;
  let orgBox: string;
  let kariLetter: string;
  let kariExternalId: string;
  let kariDocument: string;
  const tokens = {} as Record<keyof typeof ids, string>;

  const as = (who: keyof typeof ids, method: string, path: string, body?: unknown) =>
    api(server, tokens[who], method, path, body) as Promise<Res>;
  const grants = (mailboxId = kariBox) => `/api/v1/mailboxes/${mailboxId}/grants`;
  const members = (mailboxId = orgBox) => `/api/v1/mailboxes/${mailboxId}/members`;
  const myBoxes = async (who: keyof typeof ids) =>
    (await as(who, 'GET', '/api/v1/me/mailboxes')).body.items as Array<{
      id: string;
      ownerType: string;
      ownerId: string;
      name: string | null;
      role: string;
    }>;
  const grantsTo = async (nationalId: string) =>
    ((await as('kari', 'GET', grants())).body.items as Array<Record<string, any>>).filter(
      (g) => g.granteeNationalId === nationalId,
    );

  beforeAll(async () => {
    server = await startTestServer(dialect);
    postman = await server.sender('public', '974000008');
    kariBox = (await server.person(ids.kari, 'Kari Nordmann')).mailboxId;
    for (const p of ['ola', 'mette', 'ingrid', 'per', 'reader', 'secondAdmin', 'stranger', 'timed'] as const) {
      await server.person(ids[p]);
    }
    orgBox = (await server.organization(ORG)).mailboxId;
    await addOrganizationAdmin(server.ctx.deps, ORG, ids.per);
    for (const p of Object.keys(ids) as Array<keyof typeof ids>) tokens[p] = await server.token(ids[p], 'high');

    const sent = await sendLetterHttp(
      server,
      postman.apiKey,
      letterJson({ subject: 'Til Kari', openingReceipt: true }),
    );
    expect(sent.body.status).toBe('DELIVERED');
    kariExternalId = sent.body.id;
    const list = await as('kari', 'GET', `/api/v1/mailboxes/${kariBox}/messages`);
    kariLetter = list.body.items[0].id;
    kariDocument = (await as('kari', 'GET', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`)).body.documents[0]
      .id;
  });
  afterAll(() => server?.close());

  describe('grants', () => {
    it('gives Ola read access: the mailbox shows up for him as delegate-read with the owner masked, and he reads', async () => {
      const created = await as('kari', 'POST', grants(), { granteeNationalId: ids.ola, scope: 'read' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        granteeNationalId: ids.ola,
        scope: 'read',
        validUntil: null,
        createdAt: expect.any(String),
        revokedAt: null,
        active: true,
      });

      const boxes = await myBoxes('ola');
      expect(boxes).toHaveLength(2);
      expect(boxes.find((b) => b.role === 'owner')).toMatchObject({ ownerType: 'person', ownerId: ids.ola });
      expect(boxes.find((b) => b.id === kariBox)).toEqual({
        id: kariBox,
        ownerType: 'person',
        ownerId: '128585*****',
        name: 'Kari Nordmann',
        role: 'delegate-read',
      });
      expect(JSON.stringify(boxes)).not.toContain(ids.kari);

      const list = await as('ola', 'GET', `/api/v1/mailboxes/${kariBox}/messages`);
      expect(list.status).toBe(200);
      expect(list.body.items.map((l: { id: string }) => l.id)).toContain(kariLetter);
      const doc = await as(
        'ola',
        'GET',
        `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}/documents/${kariDocument}/content`,
      );
      expect(doc.status).toBe(200);
      expect(Buffer.compare(doc.body, tinyPdf)).toBe(0);
      // The sender asked for an opening receipt: it learns the letter was opened by a delegate, not by whom.
      const status = await api(server, postman.apiKey, 'GET', `/api/v1/messages/${kariExternalId}`);
      const opened = status.body.events.find((e: { type: string }) => e.type === 'OPENED');
      expect(opened.data).toEqual({ by: 'delegate' });
      expect(JSON.stringify(status.body.events)).not.toContain(ids.ola);

      // Kari still sees only her own mailbox; Ola's grant is in her list.
      expect((await myBoxes('kari')).map((b) => b.role)).toEqual(['owner']);
      expect(await grantsTo(ids.ola)).toEqual([expect.objectContaining({ id: created.body.id, active: true })]);
    });

    it("revokes: Ola's very next request is 404 like a random id, and the mailbox is gone from his list", async () => {
      const [grant] = await grantsTo(ids.ola);
      expect(grant?.active).toBe(true);
      expect((await as('ola', 'GET', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`)).status).toBe(200);

      const revoke = await as('kari', 'DELETE', `${grants()}/${grant!.id}`);
      expect(revoke.status).toBe(204);

      const next = await as('ola', 'GET', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`);
      expectProblem(next, 404, 'not_found');
      expectSameAnswer(next, await as('ola', 'GET', `/api/v1/mailboxes/${randomUUID()}/messages/${randomUUID()}`));
      const doc = await as(
        'ola',
        'GET',
        `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}/documents/${kariDocument}/content`,
      );
      expectProblem(doc, 404, 'not_found');
      expect((await myBoxes('ola')).map((b) => b.id)).not.toContain(kariBox);
      expect(await grantsTo(ids.ola)).toEqual([
        expect.objectContaining({ id: grant!.id, active: false, revokedAt: expect.any(String) }),
      ]);
      // A grant id that is not there.
      expectProblem(await as('kari', 'DELETE', `${grants()}/${randomUUID()}`), 404, 'not_found');
    });

    it('refuses a validUntil in the past (400 validation_failed) and stores nothing', async () => {
      const before = await as('kari', 'GET', grants());
      for (const validUntil of [new Date(Date.now() - 60_000).toISOString(), '2020-01-01T00:00:00Z']) {
        const res = await as('kari', 'POST', grants(), { granteeNationalId: ids.timed, scope: 'read', validUntil });
        expectProblem(res, 400, 'validation_failed');
        expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body.validUntil' })]);
      }
      const notADate = await as('kari', 'POST', grants(), {
        granteeNationalId: ids.timed,
        scope: 'read',
        validUntil: 'tomorrow',
      });
      expectProblem(notADate, 400, 'validation_failed');
      expect((await as('kari', 'GET', grants())).body).toEqual(before.body);
      expect((await myBoxes('timed')).map((b) => b.role)).toEqual(['owner']);
    });

    it('ends a grant by itself at validUntil', async () => {
      const validUntil = new Date(Date.now() + 1500).toISOString();
      const created = await as('kari', 'POST', grants(), { granteeNationalId: ids.timed, scope: 'read', validUntil });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ validUntil, active: true });
      expect((await as('timed', 'GET', `/api/v1/mailboxes/${kariBox}/messages`)).status).toBe(200);
      expect((await myBoxes('timed')).find((b) => b.id === kariBox)?.role).toBe('delegate-read');

      await sleep(Date.parse(validUntil) - Date.now() + 100);
      const after = await as('timed', 'GET', `/api/v1/mailboxes/${kariBox}/messages`);
      expectProblem(after, 404, 'not_found');
      expect((await myBoxes('timed')).map((b) => b.id)).not.toContain(kariBox);
      expect(await grantsTo(ids.timed)).toEqual([
        expect.objectContaining({ id: created.body.id, active: false, revokedAt: null, validUntil }),
      ]);
    });

    it('refuses a grant to oneself (422 invalid_operation)', async () => {
      const res = await as('kari', 'POST', grants(), { granteeNationalId: ids.kari, scope: 'read' });
      expectProblem(res, 422, 'invalid_operation');
      expect(await grantsTo(ids.kari)).toEqual([]);
    });

    it("answers a stranger who tries to grant access to Kari's mailbox with 404, like a random mailbox", async () => {
      const body = { granteeNationalId: ids.stranger, scope: 'manage' };
      const res = await as('stranger', 'POST', grants(), body);
      expectProblem(res, 404, 'not_found');
      expectSameAnswer(res, await as('stranger', 'POST', grants(randomUUID()), body));
      expectProblem(await as('stranger', 'GET', grants()), 404, 'not_found');
      expect(await grantsTo(ids.stranger)).toEqual([]);
      expect((await myBoxes('stranger')).map((b) => b.id)).not.toContain(kariBox);
    });

    it('refuses a delegate with manage access to give, list or revoke access (403)', async () => {
      const mine = await as('kari', 'POST', grants(), { granteeNationalId: ids.mette, scope: 'manage' });
      expect(mine.status).toBe(201);
      const give = await as('mette', 'POST', grants(), { granteeNationalId: ids.stranger, scope: 'read' });
      expectProblem(give, 403, 'forbidden');
      expectProblem(await as('mette', 'GET', grants()), 403, 'forbidden');
      expectProblem(await as('mette', 'DELETE', `${grants()}/${mine.body.id}`), 403, 'forbidden');
      expect(await grantsTo(ids.stranger)).toEqual([]);
      expect(await grantsTo(ids.mette)).toEqual([expect.objectContaining({ id: mine.body.id, active: true })]);
      // …while what manage access is for works.
      const move = await as('mette', 'PATCH', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`, {
        folderId: 'archive',
      });
      expect(move.status).toBe(200);
      expect(outcome(await as('mette', 'DELETE', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`))).toBe(
        '403 forbidden',
      );
      expect((await as('kari', 'DELETE', `${grants()}/${mine.body.id}`)).status).toBe(204);
    });

    it('refuses an invalid grantee id or scope (400 validation_failed)', async () => {
      for (const body of [
        { granteeNationalId: '12858510128', scope: 'read' }, // wrong control digit
        { granteeNationalId: '32138510129', scope: 'read' }, // no such day
        { granteeNationalId: 'abc', scope: 'read' },
        { granteeNationalId: '1285851012', scope: 'read' }, // 10 digits, not a date either
        { scope: 'read' },
        { granteeNationalId: ids.ola, scope: 'admin' },
        { granteeNationalId: ids.ola, scope: 'read', extra: true },
      ]) {
        const res = await as('kari', 'POST', grants(), body);
        expectProblem(res, 400, 'validation_failed');
        expect(JSON.stringify(res.body)).not.toContain('12858510128');
      }
      const all = (await as('kari', 'GET', grants())).body.items as Array<{ granteeNationalId: string }>;
      expect(all.every((g) => [ids.ola, ids.timed, ids.mette].includes(g.granteeNationalId as never))).toBe(true);
    });

    it('replaces an earlier grant to the same person: the old one revoked, the new one active', async () => {
      const first = await as('kari', 'POST', grants(), { granteeNationalId: ids.ola, scope: 'read' });
      const second = await as('kari', 'POST', grants(), { granteeNationalId: ids.ola, scope: 'manage' });
      expect([first.status, second.status]).toEqual([201, 201]);
      const forOla = (await grantsTo(ids.ola)).filter((g) => g.id === first.body.id || g.id === second.body.id);
      expect(forOla).toEqual([
        expect.objectContaining({ id: first.body.id, scope: 'read', active: false, revokedAt: expect.any(String) }),
        expect.objectContaining({ id: second.body.id, scope: 'manage', active: true, revokedAt: null }),
      ]);
      expect((await grantsTo(ids.ola)).filter((g) => g.active)).toHaveLength(1);
      // Ola sees the mailbox once, with the new role, and may now organize.
      expect((await myBoxes('ola')).filter((b) => b.id === kariBox).map((b) => b.role)).toEqual(['delegate-manage']);
      const mark = await as('ola', 'PATCH', `/api/v1/mailboxes/${kariBox}/messages/${kariLetter}`, { read: true });
      expect(mark.status).toBe(200);
      const log = await server.ctx.deps.store.read.audit.listByMailbox(kariBox, 1);
      expect(log[0]).toMatchObject({
        actorNationalId: ids.ola,
        actorRole: 'delegate-manage',
        action: 'letter.update',
        details: { read: true, grantId: second.body.id },
      });
      expect((await as('kari', 'DELETE', `${grants()}/${second.body.id}`)).status).toBe(204);
    });
  });

  describe('at the same moment', () => {
    it('leaves one active grant when the owner gives the same person access twice at once', async () => {
      const outcomes: string[] = [];
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all([
          as('kari', 'POST', grants(), { granteeNationalId: ids.raceA, scope: 'read' }),
          as('kari', 'POST', grants(), { granteeNationalId: ids.raceA, scope: 'manage' }),
        ]);
        const active = (await grantsTo(ids.raceA)).filter((g) => g.active);
        outcomes.push(`${results.map((r) => r.status).join('+')}: ${active.length} active`);
        for (const g of active) await as('kari', 'DELETE', `${grants()}/${g.id}`);
      }
      expect(outcomes).toEqual(Array(5).fill('201+201: 1 active'));
    });

    it('keeps an admin when the last two admins remove each other at once', async () => {
      const org = '910000004';
      const { mailboxId } = await server.organization(org);
      const outcomes: string[] = [];
      for (let round = 0; round < 5; round++) {
        const a = await addOrganizationAdmin(server.ctx.deps, org, ids.raceA);
        const b = await addOrganizationAdmin(server.ctx.deps, org, ids.raceB);
        const results = await Promise.all([
          as('raceA', 'DELETE', `${members(mailboxId)}/${b.id}`),
          as('raceB', 'DELETE', `${members(mailboxId)}/${a.id}`),
        ]);
        const admins = (await server.ctx.deps.store.read.members.list('mailbox', mailboxId)).filter(
          (m) => m.role === 'admin',
        );
        // The one who is removed first is refused: as the last admin (422) or as no member any more (404).
        const refused = results.filter((r) => ['404 not_found', '422 invalid_operation'].includes(outcome(r)));
        outcomes.push(
          `${results.filter((r) => r.status === 204).length} removed, ${refused.length} refused, ${admins.length} admin(s) left`,
        );
      }
      expect(outcomes).toEqual(Array(5).fill('1 removed, 1 refused, 1 admin(s) left'));
    });
  });

  describe("an organization's members", () => {
    const memberList = async () =>
      ((await as('per', 'GET', members())).body.items as Array<{ id: string; nationalId: string; role: string }>)
        .map((m) => `${m.nationalId}:${m.role}`)
        .sort();

    it('lets an admin add a reader and another admin, list them and remove one', async () => {
      const reader = await as('per', 'POST', members(), { nationalId: ids.reader, role: 'reader' });
      expect(reader.status).toBe(201);
      expect(reader.body).toEqual({
        id: expect.any(String),
        nationalId: ids.reader,
        role: 'reader',
        createdAt: expect.any(String),
      });
      const admin = await as('per', 'POST', members(), { nationalId: ids.secondAdmin, role: 'admin' });
      expect(admin.status).toBe(201);
      const extra = await as('per', 'POST', members(), { nationalId: ids.stranger, role: 'reader' });
      expect(extra.status).toBe(201);
      expect(await memberList()).toEqual(
        [`${ids.per}:admin`, `${ids.reader}:reader`, `${ids.secondAdmin}:admin`, `${ids.stranger}:reader`].sort(),
      );
      // The second admin administers too.
      expect((await as('secondAdmin', 'GET', members())).status).toBe(200);

      expect((await as('secondAdmin', 'DELETE', `${members()}/${extra.body.id}`)).status).toBe(204);
      expect(await memberList()).toEqual(
        [`${ids.per}:admin`, `${ids.reader}:reader`, `${ids.secondAdmin}:admin`].sort(),
      );
      // The removed member's very next request is refused like a random id.
      const gone = await as('stranger', 'GET', `/api/v1/mailboxes/${orgBox}/messages`);
      expectProblem(gone, 404, 'not_found');
      expectSameAnswer(gone, await as('stranger', 'GET', `/api/v1/mailboxes/${randomUUID()}/messages`));
      expectProblem(await as('per', 'DELETE', `${members()}/${randomUUID()}`), 404, 'not_found');
      // Invalid input.
      const bad = await as('per', 'POST', members(), { nationalId: '12858510128', role: 'reader' });
      expectProblem(bad, 400, 'validation_failed');
      expectProblem(
        await as('per', 'POST', members(), { nationalId: ids.ola, role: 'owner' }),
        400,
        'validation_failed',
      );
      expect(await memberList()).toHaveLength(3);
    });

    it('keeps the last admin: removing them is 422 invalid_operation', async () => {
      const list = (await as('per', 'GET', members())).body.items as Array<{ id: string; nationalId: string }>;
      const second = list.find((m) => m.nationalId === ids.secondAdmin)!;
      const per = list.find((m) => m.nationalId === ids.per)!;
      expect((await as('per', 'DELETE', `${members()}/${second.id}`)).status).toBe(204);
      const last = await as('per', 'DELETE', `${members()}/${per.id}`);
      expectProblem(last, 422, 'invalid_operation');
      expect(await memberList()).toEqual([`${ids.per}:admin`, `${ids.reader}:reader`].sort());
      expect((await as('per', 'GET', members())).status).toBe(200);
    });

    it('keeps the last admin: demoting them to reader is 422 invalid_operation too', async () => {
      const demote = await as('per', 'POST', members(), { nationalId: ids.per, role: 'reader' });
      const admins = (await server.ctx.deps.store.read.members.list('mailbox', orgBox)).filter(
        (m) => m.role === 'admin',
      );
      // Restore an administrator through the operator if the demotion went through, for the tests after this one.
      if (admins.length === 0) await addOrganizationAdmin(server.ctx.deps, ORG, ids.per);
      expect(admins.map((m) => m.nationalId)).toEqual([ids.per]);
      expectProblem(demote, 422, 'invalid_operation');
    });

    it('refuses a reader who tries to add, list or remove members (403)', async () => {
      const list = (await as('per', 'GET', members())).body.items as Array<{ id: string; nationalId: string }>;
      const per = list.find((m) => m.nationalId === ids.per)!;
      expectProblem(await as('reader', 'POST', members(), { nationalId: ids.ola, role: 'admin' }), 403, 'forbidden');
      expectProblem(await as('reader', 'POST', members(), { nationalId: ids.reader, role: 'admin' }), 403, 'forbidden');
      expectProblem(await as('reader', 'GET', members()), 403, 'forbidden');
      expectProblem(await as('reader', 'DELETE', `${members()}/${per.id}`), 403, 'forbidden');
      expect(await memberList()).toEqual([`${ids.per}:admin`, `${ids.reader}:reader`].sort());
    });

    it("shows members the organization's mailbox with their role, and lets them switch to it and read its letters", async () => {
      const sent = await sendLetterHttp(
        server,
        postman.apiKey,
        letterJson({ recipient: { orgNumber: ORG }, subject: 'Faktura til firmaet' }),
      );
      expect(sent.body.status).toBe('DELIVERED');
      for (const [who, role] of [
        ['per', 'org-admin'],
        ['reader', 'org-reader'],
      ] as const) {
        const boxes = await myBoxes(who);
        expect(boxes.map((b) => b.role)).toEqual(['owner', role]);
        expect(boxes[1]).toEqual({ id: orgBox, ownerType: 'organization', ownerId: ORG, name: `Org ${ORG}`, role });
        const list = await as(who, 'GET', `/api/v1/mailboxes/${orgBox}/messages`);
        expect(list.status).toBe(200);
        expect(list.body.items.map((l: { subject: string }) => l.subject)).toEqual(['Faktura til firmaet']);
        // Their own mailbox does not have it.
        const own = await as(who, 'GET', `/api/v1/mailboxes/${boxes[0]!.id}/messages`);
        expect(own.body.items.map((l: { subject: string }) => l.subject)).not.toContain('Faktura til firmaet');
      }
      // Members endpoints on a person's mailbox make no sense.
      expectProblem(await as('kari', 'GET', members(kariBox)), 422, 'invalid_operation');
    });
  });

  describe("a sender's API keys, managed by its administrator", () => {
    let senderId: string;
    const keys = () => `/api/v1/senders/${senderId}/api-keys`;
    const send = (apiKey: string, subject: string) =>
      sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: ids.kari }, subject }));
    const keyList = async () => (await as('ingrid', 'GET', keys())).body.items as Array<Record<string, any>>;

    beforeAll(async () => {
      senderId = (await server.sender('public', KEY_SENDER_ORG)).id;
      await addSenderAdmin(server.ctx.deps, KEY_SENDER_ORG, ids.ingrid);
    });

    it('lists the senders one administers', async () => {
      const mine = await as('ingrid', 'GET', '/api/v1/me/senders');
      expect(mine.status).toBe(200);
      expect(mine.body.items).toEqual([
        { id: senderId, orgNumber: KEY_SENDER_ORG, name: `Sender ${KEY_SENDER_ORG}`, kind: 'public' },
      ]);
      expect((await as('kari', 'GET', '/api/v1/me/senders')).body.items).toEqual([]);
    });

    it('creates a key, shows it once (never in a list, no hash), and the key sends letters', async () => {
      const created = await as('ingrid', 'POST', keys(), { label: 'ci' });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      const apiKey = created.body.apiKey as string;
      expect(apiKey).toMatch(/^pk_[A-Za-z0-9_-]{40,}$/);
      expect(created.body).toEqual({
        id: expect.any(String),
        prefix: apiKey.slice(0, 10),
        label: 'ci',
        createdAt: expect.any(String),
        lastUsedAt: null,
        revokedAt: null,
        apiKey,
      });

      const listed = await as('ingrid', 'GET', keys());
      expect(listed.status).toBe(200);
      const hash = server.ctx.deps.hasher.sha256Hex(apiKey);
      const text = JSON.stringify(listed.body);
      expect(text).not.toContain(apiKey);
      expect(text).not.toContain(hash);
      for (const k of listed.body.items) {
        expect(Object.keys(k).sort()).toEqual(['createdAt', 'id', 'label', 'lastUsedAt', 'prefix', 'revokedAt']);
      }
      expect(listed.body.items.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({
        prefix: apiKey.slice(0, 10),
        label: 'ci',
      });

      const sent = await send(apiKey, 'Sent with the new key');
      expect(sent.status).toBe(201);
      expect(sent.body.status).toBe('DELIVERED');
      const kari = await as('kari', 'GET', `/api/v1/mailboxes/${kariBox}/messages`);
      expect(kari.body.items.find((l: { subject: string }) => l.subject === 'Sent with the new key')).toMatchObject({
        sender: { id: senderId, orgNumber: KEY_SENDER_ORG },
      });

      // lastUsedAt is set after use (written in the background: wait a little for it).
      let used: string | null = null;
      for (let i = 0; i < 40 && !used; i++) {
        used = (await keyList()).find((k) => k.id === created.body.id)?.lastUsedAt ?? null;
        if (!used) await sleep(50);
      }
      expect(used).toEqual(expect.any(String));
      expect(Date.parse(used!)).toBeGreaterThanOrEqual(Date.parse(created.body.createdAt));
    });

    it('rotates: the new key works, the old one is refused at once; a revoked key cannot be rotated', async () => {
      const created = await as('ingrid', 'POST', keys(), { label: 'rotate me' });
      const old = created.body.apiKey as string;
      expect((await send(old, 'Before rotation')).status).toBe(201);

      const rotated = await as('ingrid', 'POST', `${keys()}/${created.body.id}/rotate`);
      expect(rotated.status).toBe(201);
      expect(rotated.headers.get('cache-control')).toBe('no-store');
      expect(rotated.body).toMatchObject({
        label: 'rotate me',
        revokedAt: null,
        apiKey: expect.stringMatching(/^pk_/),
      });
      expect(rotated.body.id).not.toBe(created.body.id);
      expect(rotated.body.apiKey).not.toBe(old);

      const refused = await send(old, 'After rotation, old key');
      expectProblem(refused as Res, 401, 'invalid_token');
      expect((await send(rotated.body.apiKey, 'After rotation, new key')).status).toBe(201);
      const list = await keyList();
      expect(list.find((k) => k.id === created.body.id)?.revokedAt).toEqual(expect.any(String));
      expect(list.find((k) => k.id === rotated.body.id)?.revokedAt).toBeNull();

      const again = await as('ingrid', 'POST', `${keys()}/${created.body.id}/rotate`);
      expectProblem(again, 422, 'invalid_operation');
      expect(await keyList()).toHaveLength(list.length);
    });

    it('revokes: the key is refused at once', async () => {
      const created = await as('ingrid', 'POST', keys(), { label: 'short-lived' });
      const apiKey = created.body.apiKey as string;
      expect((await send(apiKey, 'Before revocation')).status).toBe(201);
      expect((await as('ingrid', 'DELETE', `${keys()}/${created.body.id}`)).status).toBe(204);
      const refused = await send(apiKey, 'After revocation');
      expectProblem(refused as Res, 401, 'invalid_token');
      const events = await fetch(`${server.url}/api/v1/events`, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(events.status).toBe(401);
      expect((await keyList()).find((k) => k.id === created.body.id)?.revokedAt).toEqual(expect.any(String));
      expectProblem(await as('ingrid', 'DELETE', `${keys()}/${randomUUID()}`), 404, 'not_found');
    });

    it("answers a person who is not the sender's admin with 404 for its keys, like a random sender", async () => {
      const [someKey] = await keyList();
      const before = await keyList();
      const cases: Array<[string, (s: string) => string, unknown?]> = [
        ['GET', (s) => `/api/v1/senders/${s}/api-keys`],
        ['POST', (s) => `/api/v1/senders/${s}/api-keys`, { label: 'intruder' }],
        ['POST', (s) => `/api/v1/senders/${s}/api-keys/${someKey!.id}/rotate`],
        ['DELETE', (s) => `/api/v1/senders/${s}/api-keys/${someKey!.id}`],
      ];
      for (const who of ['kari', 'per', 'ola'] as const) {
        for (const [method, path, body] of cases) {
          const res = await as(who, method, path(senderId), body);
          expectProblem(res, 404, 'not_found');
          expectSameAnswer(res, await as(who, method, path(randomUUID()), body));
        }
      }
      expect(await keyList()).toEqual(before);
    });
  });
});

function outcome(res: Res): string {
  return res.status < 400 ? String(res.status) : `${res.status} ${res.body?.code}`;
}
