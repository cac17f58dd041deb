import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Letter, Mailbox, Store } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterRecord, personRecord, seedSenderAndMailbox } from '../../../test/letter-record.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { openPostgresStore, openSqliteStore } from '../src/index.js';

const dialects = await testDialects();

async function openStore(dialect: 'sqlite' | 'postgres') {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'pk-repo-'));
    const file = join(dir, 'db.sqlite');
    const store = await openSqliteStore(file);
    return { store, reopen: () => openSqliteStore(file), cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const db = await createTestDatabase();
  const store = await openPostgresStore(db.url);
  return { store, reopen: () => openPostgresStore(db.url), cleanup: db.drop };
}

const now = (offsetMs = 0) => new Date(Date.UTC(2026, 10, 22, 12) + offsetMs).toISOString();

describe.each(dialects)('repositories (%s)', (dialect) => {
  let store: Store;
  let cleanup: () => Promise<void>;
  let reopen: () => Promise<Store>;
  const senderId = randomUUID();
  let mailbox: Mailbox;
  let inboxId: string;

  beforeAll(async () => {
    ({ store, cleanup, reopen } = await openStore(dialect));
    mailbox = {
      id: randomUUID(),
      ownerType: 'person',
      ownerId: '12858510129',
      name: 'Kari',
      status: 'active',
      wrappedKey: Buffer.from([1, 2, 3]),
      createdAt: now(),
    };
    inboxId = randomUUID();
    await store.write(async (r) => {
      await r.senders.insert({
        id: senderId,
        orgNumber: '974000008',
        name: 'Skatteetaten',
        kind: 'public',
        status: 'active',
        createdAt: now(),
      });
      await r.mailboxes.insert(mailbox);
      await r.folders.insert({ id: inboxId, mailboxId: mailbox.id, kind: 'inbox', name: 'Inbox', createdAt: now() });
    });
  });
  afterAll(async () => {
    await store.close();
    await cleanup();
  });

  const letter = (over: Partial<Letter> = {}): Letter =>
    letterRecord({
      senderId,
      recipientId: '12858510129',
      mailboxId: mailbox.id,
      subject: 'Subject',
      openingReceipt: true,
      createdAt: now(),
      deliveredAt: now(),
      folderId: inboxId,
      documentCount: 1,
      totalBytes: 10,
      ...over,
    });

  it('reads back what it wrote, with types intact', async () => {
    const l = letter({ legalNotification: true, senderReference: 'ref' });
    expect(await store.write((r) => r.letters.insertIfAbsent(l))).toBe(true);
    expect(await store.read.letters.getInMailbox(mailbox.id, l.id)).toEqual(l);
    expect(await store.read.letters.findByExternalId(senderId, l.externalId)).toEqual(l);
    const mb = await store.read.mailboxes.get(mailbox.id);
    expect(Buffer.from(mb?.wrappedKey ?? [])).toEqual(Buffer.from([1, 2, 3]));
  });

  it('reads many mailboxes by id at once, skipping unknown ids', async () => {
    const other: Mailbox = { ...mailbox, id: randomUUID(), ownerId: '13857512365', name: null };
    await store.write((r) => r.mailboxes.insert(other));
    const found = await store.read.mailboxes.getMany([mailbox.id, randomUUID(), other.id]);
    expect(found.map((m) => m.id).sort()).toEqual([mailbox.id, other.id].sort());
    expect(found.find((m) => m.id === other.id)).toMatchObject({ ownerId: '13857512365', status: 'active' });
    expect(await store.read.mailboxes.getMany([])).toEqual([]);
  });

  it('looks a recipient up in one statement, answering what the separate lookups answer', async () => {
    const bank = randomUUID();
    const orgMailbox: Mailbox = { ...mailbox, id: randomUUID(), ownerType: 'organization', ownerId: '910000001' };
    const kari = mailbox.ownerId;
    const withdrawn = '01010112345';
    const person = (nationalId: string) =>
      personRecord({
        nationalId,
        name: 'Kari',
        email: 'kari@example.org',
        emailUpdatedAt: now(),
        postalAddress: { type: 'norwegian', addressLines: ['Gate 1'], postalCode: '0150', city: 'Oslo' },
      });
    const consent = (nationalId: string, status: 'active' | 'withdrawn') => ({
      id: randomUUID(),
      nationalId,
      senderId: bank,
      status,
      source: 'person' as const,
      evidence: null,
      givenAt: now(),
      withdrawnAt: status === 'withdrawn' ? now() : null,
      updatedAt: now(),
    });
    await store.write(async (r) => {
      await r.senders.insert({
        id: bank,
        orgNumber: '910000002',
        name: 'Bank',
        kind: 'private',
        status: 'active',
        createdAt: now(),
      });
      await r.persons.insert(person(kari));
      await r.persons.insert(person(withdrawn));
      await r.consents.upsert(consent(kari, 'active'));
      await r.consents.upsert(consent(withdrawn, 'withdrawn'));
      await r.mailboxes.insert(orgMailbox);
      // A mailbox without its inbox folder is no delivery target.
      await r.mailboxes.insert({ ...mailbox, id: randomUUID(), ownerId: '03030312345' });
      await r.folders.insert({
        id: randomUUID(),
        mailboxId: orgMailbox.id,
        kind: 'inbox',
        name: 'Inbox',
        createdAt: now(),
      });
    });
    const cases: Array<[{ type: 'person' | 'organization'; id: string }, string | null]> = [
      [{ type: 'person', id: kari }, bank],
      [{ type: 'person', id: kari }, senderId],
      [{ type: 'person', id: kari }, null],
      [{ type: 'person', id: withdrawn }, bank],
      [{ type: 'person', id: '02020212345' }, bank],
      [{ type: 'organization', id: orgMailbox.ownerId }, null],
      [{ type: 'organization', id: '999999999' }, null],
      [{ type: 'person', id: '03030312345' }, bank],
    ];
    const answers = [];
    for (const [owner, consentSender] of cases) {
      const got = await store.read.recipients.lookup(owner, consentSender);
      const separate = {
        target: (await store.read.mailboxes.findDeliveryTargets(owner.type, [owner.id]))[0] ?? null,
        person: owner.type === 'person' ? await store.read.persons.findByNationalId(owner.id) : null,
        consented:
          consentSender !== null && (await store.read.consents.find(owner.id, consentSender))?.status === 'active',
      };
      expect(got).toEqual(separate);
      answers.push([got.target?.mailbox.id ?? null, got.person?.nationalId ?? null, got.consented]);
    }
    expect(answers).toEqual([
      [mailbox.id, kari, true],
      [mailbox.id, kari, false],
      [mailbox.id, kari, false],
      [null, withdrawn, false],
      [null, null, false],
      [orgMailbox.id, null, false],
      [null, null, false],
      [null, null, false],
    ]);
    const kariNow = await store.read.recipients.lookup({ type: 'person', id: kari }, bank);
    expect(kariNow.person?.postalAddress).toEqual({
      type: 'norwegian',
      addressLines: ['Gate 1'],
      postalCode: '0150',
      city: 'Oslo',
    });
    expect(Buffer.from(kariNow.target?.mailbox.wrappedKey ?? [])).toEqual(Buffer.from([1, 2, 3]));
    expect(kariNow.target?.inboxId).toBe(inboxId);
  });

  it('inserts a letter once per sender id, whatever races', async () => {
    const externalId = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.write((r) => r.letters.insertIfAbsent(letter({ externalId })))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('reads many letters by id at once, over more than one statement, and skips unknown ids', async () => {
    const made = Array.from({ length: 520 }, () => letter({}));
    await store.write(async (r) => {
      for (const l of made) await r.letters.insertIfAbsent(l);
    });
    const unknown = randomUUID();
    const found = await store.read.letters.getMany([unknown, ...made.map((l) => l.id)]);
    expect(found.map((l) => l.id).sort()).toEqual(made.map((l) => l.id).sort());
    expect(found.find((l) => l.id === made[7]?.id)).toEqual(made[7]);
    expect(await store.read.letters.getMany([])).toEqual([]);
  });

  it("stores a letter's few events and documents, and many, the same way", async () => {
    for (const count of [1, 3, 8, 9, 30]) {
      const l = letter({});
      const events = Array.from({ length: count }, (_, i) => ({
        id: randomUUID(),
        letterId: l.id,
        senderId,
        type: 'NOTIFIED' as const,
        at: now(i),
        data: { n: i },
      }));
      const documents = Array.from({ length: count }, (_, i) => ({
        id: randomUUID(),
        letterId: l.id,
        ordinal: i,
        role: (i === 0 ? 'main' : 'attachment') as 'main' | 'attachment',
        title: null,
        filename: `d${i}.pdf`,
        mediaType: 'application/pdf',
        language: null,
        size: i,
        sha256: 'x',
        blobKey: randomUUID(),
        wrappedKey: Buffer.from([i]),
        contentId: randomUUID(),
      }));
      await store.write(async (r) => {
        await r.letters.insertIfAbsent(l);
        await r.events.append(events);
        await r.documents.insertMany(documents);
      });
      const storedEvents = await store.read.events.listByLetter(l.id);
      expect(storedEvents.map((e) => e.data)).toEqual(events.map((e) => e.data));
      const storedDocuments = await store.read.documents.listByLetter(l.id);
      expect(storedDocuments.map((d) => [d.id, d.filename, d.contentId, Buffer.from(d.wrappedKey)])).toEqual(
        documents.map((d) => [d.id, d.filename, d.contentId, d.wrappedKey]),
      );
    }
  });

  it('pages a folder newest first across equal timestamps', async () => {
    const box = randomUUID();
    const folder = randomUUID();
    await store.write(async (r) => {
      await r.mailboxes.insert({ ...mailbox, id: box, ownerId: `x${box}` });
      await r.folders.insert({ id: folder, mailboxId: box, kind: 'inbox', name: 'Inbox', createdAt: now() });
      for (let i = 0; i < 9; i++) {
        await r.letters.insertIfAbsent(
          letter({ mailboxId: box, folderId: folder, deliveredAt: now(Math.floor(i / 3) * 1000) }),
        );
      }
    });
    const all = await store.read.letters.listInFolder(box, folder, null, 100);
    const seen: string[] = [];
    let after = null as { deliveredAt: string; id: string } | null;
    for (;;) {
      const page = await store.read.letters.listInFolder(box, folder, after, 4);
      if (page.length === 0) break;
      seen.push(...page.map((l) => l.id));
      const last = page.at(-1)!;
      after = { deliveredAt: last.deliveredAt!, id: last.id };
    }
    expect(seen).toEqual(all.map((l) => l.id));
    expect(new Set(seen).size).toBe(9);
    const times = all.map((l) => l.deliveredAt!);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('records the first opening only once', async () => {
    const l = letter();
    await store.write((r) => r.letters.insertIfAbsent(l));
    const first = await store.write((r) => r.letters.markOpened(mailbox.id, l.id, now(5000)));
    const second = await store.write((r) => r.letters.markOpened(mailbox.id, l.id, now(9000)));
    expect([first, second]).toEqual([true, false]);
    const read = await store.read.letters.getInMailbox(mailbox.id, l.id);
    expect(read?.openedAt).toBe(now(5000));
    expect(read?.readAt).toBe(now(5000));
  });

  it('rolls back a failing unit of work alone; the others commit', async () => {
    const good = letter();
    const alsoGood = letter();
    const bad = letter();
    const outcomes = await Promise.allSettled([
      store.write((r) => r.letters.insertIfAbsent(good)),
      store.write(async (r) => {
        await r.letters.insertIfAbsent(bad);
        throw new Error('boom');
      }),
      store.write((r) => r.letters.insertIfAbsent(alsoGood)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.read.letters.getInMailbox(mailbox.id, good.id)).not.toBeNull();
    expect(await store.read.letters.getInMailbox(mailbox.id, alsoGood.id)).not.toBeNull();
    expect(await store.read.letters.getInMailbox(mailbox.id, bad.id)).toBeNull();
  });

  it('says whether a job or a webhook is due, as claiming and leasing would find it', async () => {
    const at = (minutes: number) => new Date(Date.parse('2030-01-01T00:00:00Z') + minutes * 60_000).toISOString();
    const ref = randomUUID();
    await store.write((r) =>
      r.jobs.enqueue([{ id: randomUUID(), kind: 'letter.due', ref, payload: {}, runAt: at(10) }]),
    );
    expect(await store.read.jobs.anyDue(at(9))).toBe(false);
    expect(await store.read.jobs.anyDue(at(10))).toBe(true);
    const claimed = await store.write((r) => r.jobs.claimDue(at(10), 10, at(15)));
    expect(claimed.map((j) => j.ref)).toEqual([ref]);
    expect(await store.read.jobs.anyDue(at(14))).toBe(false);
    // A lease that ran out makes the job due again.
    expect(await store.read.jobs.anyDue(at(15))).toBe(true);
    await store.write((r) => r.jobs.complete(claimed[0]!.id));
    expect(await store.read.jobs.anyDue(at(15))).toBe(false);

    const hook = {
      id: randomUUID(),
      senderId,
      url: 'https://example.org/hook',
      sealedSecret: Buffer.from([1]),
      status: 'active' as const,
      cursor: null,
      nextAttemptAt: at(20),
      leaseUntil: null,
      failingSince: null,
      lastError: null,
      lastDeliveredAt: null,
      createdAt: at(0),
    };
    await store.write((r) => r.webhooks.insert(hook));
    expect(await store.read.webhooks.anyDue(at(19))).toBe(false);
    expect(await store.read.webhooks.anyDue(at(20))).toBe(true);
    expect((await store.write((r) => r.webhooks.lease(at(20), at(25), 10))).map((h) => h.id)).toEqual([hook.id]);
    expect(await store.read.webhooks.anyDue(at(24))).toBe(false);
    expect(await store.read.webhooks.anyDue(at(25))).toBe(true);
    await store.write((r) => r.webhooks.update(hook.id, { status: 'disabled', leaseUntil: null }));
    expect(await store.read.webhooks.anyDue(at(30))).toBe(false);
  });

  it('serves the event feed in order from a cursor, and keeps data across a reopen', async () => {
    const feedSender = randomUUID();
    await store.write((r) =>
      r.senders.insert({
        id: feedSender,
        orgNumber: randomUUID().slice(0, 9),
        name: 'F',
        kind: 'public',
        status: 'active',
        createdAt: now(),
      }),
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const l = letter({ senderId: feedSender });
      await store.write(async (r) => {
        await r.letters.insertIfAbsent(l);
        const evs = ['ACCEPTED', 'DELIVERED'].map((type) => ({
          id: randomUUID(),
          letterId: l.id,
          senderId: feedSender,
          type: type as 'ACCEPTED',
          at: now(),
          data: { i },
        }));
        ids.push(...evs.map((e) => e.id));
        await r.events.append(evs);
      });
    }
    const page1 = await store.read.events.feed(feedSender, null, 4);
    const page2 = await store.read.events.feed(feedSender, page1.at(-1)!.cursor, 100);
    expect([...page1, ...page2].map((e) => e.id)).toEqual(ids);
    expect(page2.at(-1)?.data).toEqual({ i: 4 });
    const reopened = await reopen();
    expect((await reopened.read.events.feed(feedSender, null, 100)).map((e) => e.id)).toEqual(ids);
    await reopened.close();
  });

  it('lists DELIVERED events after a cursor with the fields of their letters the notification planner needs', async () => {
    const start = await store.read.events.latestGlobalCursor();
    const plain = letter();
    const legal = letter({ legalNotification: true, notificationOptions: { repetitions: [0, 7] } });
    const accepted = letter({ status: 'PENDING', deliveredAt: null, mailboxId: null });
    const deliveredIds: string[] = [];
    for (const l of [plain, legal, accepted]) {
      await store.write(async (r) => {
        await r.letters.insertIfAbsent(l);
        const types = l === accepted ? ['ACCEPTED'] : ['ACCEPTED', 'DELIVERED'];
        const evs = types.map((type) => ({
          id: randomUUID(),
          letterId: l.id,
          senderId,
          type: type as 'ACCEPTED',
          at: l === legal ? now(7_000) : now(),
          data: {},
        }));
        await r.events.append(evs);
      });
      if (l !== accepted) deliveredIds.push(l.id);
    }
    const all = await store.read.events.deliveredForNotice(start, 100);
    expect(all.map((n) => n.letter.id)).toEqual(deliveredIds);
    expect(all[0]?.letter).toEqual({
      id: plain.id,
      status: 'DELIVERED',
      mailboxId: mailbox.id,
      deliveredAt: plain.deliveredAt,
      legalNotification: false,
      notificationOptions: null,
    });
    expect(all[1]?.letter).toMatchObject({ legalNotification: true, notificationOptions: { repetitions: [0, 7] } });
    expect(all[1]?.at).toBe(now(7_000));
    // Paged by its cursor, as the global feed is: nothing skipped, nothing twice.
    const first = await store.read.events.deliveredForNotice(start, 1);
    expect(first.map((n) => n.letter.id)).toEqual([plain.id]);
    const rest = await store.read.events.deliveredForNotice(first[0]!.cursor, 100);
    expect(rest.map((n) => n.letter.id)).toEqual([legal.id]);
    expect(await store.read.events.deliveredForNotice(rest[0]!.cursor, 100)).toEqual([]);
    // The letter as it is now: a letter withdrawn after delivery shows its new status.
    await store.write((r) => r.letters.transition(plain.id, ['DELIVERED'], { status: 'CANCELLED' }));
    expect((await store.read.events.deliveredForNotice(start, 1))[0]?.letter.status).toBe('CANCELLED');
  });
});

describe.runIf(dialects.includes('postgres'))('the PostgreSQL event feed under concurrent transactions', () => {
  it('never skips an event that commits after a later-numbered one', async () => {
    const db = await createTestDatabase();
    const store = await openPostgresStore(db.url);
    try {
      const senderId = randomUUID();
      const mailboxId = randomUUID();
      const folderId = randomUUID();
      await seedSenderAndMailbox(store, { senderId, mailboxId, inboxId: folderId }, now());
      const mk = (): Letter =>
        letterRecord({ senderId, recipientId: '12858510129', mailboxId, subject: 's', folderId, createdAt: now() });
      const slow = mk();
      const fast = mk();
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      // The slow transaction takes its sequence number first, then waits; the fast one commits.
      const slowWrite = store.write(async (r) => {
        await r.letters.insertIfAbsent(slow);
        await r.events.append([
          { id: randomUUID(), letterId: slow.id, senderId, type: 'ACCEPTED', at: now(), data: {} },
        ]);
        await gate;
      });
      await new Promise((r) => setTimeout(r, 200));
      await store.write(async (r) => {
        await r.letters.insertIfAbsent(fast);
        await r.events.append([
          { id: randomUUID(), letterId: fast.id, senderId, type: 'ACCEPTED', at: now(), data: {} },
        ]);
      });
      const whileOpen = await store.read.events.feed(senderId, null, 100);
      // The fast event may not be shown yet (an older transaction is open) — but if it is, the
      // cursor must not pass the slow one.
      release();
      await slowWrite;
      const cursor = whileOpen.at(-1)?.cursor ?? null;
      const rest = await store.read.events.feed(senderId, cursor, 100);
      const all = [...whileOpen, ...rest].map((e) => e.letterId);
      expect(all.sort()).toEqual([slow.id, fast.id].sort());
    } finally {
      await store.close();
      await db.drop();
    }
  });
});

describe.runIf(dialects.includes('postgres'))('the PostgreSQL store when the server drops connections', () => {
  it('survives its idle connections being terminated and keeps answering', async () => {
    const db = await createTestDatabase();
    const errors: Error[] = [];
    const store = await openPostgresStore(db.url, { onConnectionError: (e) => errors.push(e) });
    try {
      await store.ping();
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()',
      );
      await admin.end();
      await new Promise((r) => setTimeout(r, 200));
      expect(errors.length).toBeGreaterThan(0);
      await store.ping();
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
