/**
 * The delivery rules (PRODUCT.md, "routing table") through the sender and recipient APIs: who gets
 * a letter digitally, who gets paper, what is held for a later registration or consent, what
 * expires, what is scheduled, what can be cancelled, and what a sender may not see.
 *
 * The background worker does not run here: `server.ctx.worker.runOnce()` runs what is due at the
 * test clock's time, so every "later" is the test's own decision.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { completeLogin, setExemption } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  expectProblem,
  letterJson,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  testClock,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const DAY = 24 * 3600_000;
const HOUR = 3600_000;

const NO_FNR_W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const NO_FNR_W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

function controlDigit(values: number[], weights: number[]): number | null {
  const sum = weights.reduce((n, w, i) => n + w * (values[i] ?? 0), 0);
  const k = 11 - (sum % 11);
  return k === 11 ? 0 : k === 10 ? null : k;
}

/** Valid synthetic Norwegian national ids (month + 80), so every test has its own people. */
function syntheticIds(): string[] {
  const out: string[] = [];
  for (let individual = 100; individual < 1000; individual++) {
    const base = `158885${individual}`;
    const d = Array.from(base, Number);
    const k1 = controlDigit(d, NO_FNR_W1);
    if (k1 === null) continue;
    const k2 = controlDigit([...d, k1], NO_FNR_W2);
    if (k2 === null) continue;
    out.push(`${base}${k1}${k2}`);
  }
  return out;
}

const ids = syntheticIds();
let nextId = 0;
const newNationalId = (): string => {
  const id = ids[nextId++];
  if (!id) throw new Error('out of synthetic national ids');
  return id;
};

const PUBLIC_ORG = '974000008';
const PRIVATE_ORG = '958300018';
const OTHER_PUBLIC_ORG = '915000002';
const OTHER_PRIVATE_ORG = '910000004';
const RECIPIENT_ORG = '910010018';
const RECIPIENT_ORG_WITHOUT_MAILBOX = '910020021';

const printDetails = {
  recipient: {
    name: 'Kari Nordmann',
    address: { type: 'norwegian', addressLines: ['Storgata 1'], postalCode: '0150', city: 'Oslo' },
  },
};

type Event = { id: string; type: string; at: string; data: Record<string, unknown>; receipt: string };
const types = (body: { events: Event[] }) => body.events.map((e) => e.type);

const dialects = await testDialects();

for (const dialect of dialects) {
  describe(`delivery rules (${dialect})`, () => {
    let server: TestServer;
    const clock = testClock(new Date(Date.UTC(2031, 2, 3, 9, 0, 0)));
    const senders = {} as Record<'pub' | 'priv' | 'otherPub' | 'otherPriv', { id: string; apiKey: string }>;

    beforeAll(async () => {
      server = await startTestServer(dialect, {}, { clock });
      senders.pub = await server.sender('public', PUBLIC_ORG);
      senders.priv = await server.sender('private', PRIVATE_ORG);
      senders.otherPub = await server.sender('public', OTHER_PUBLIC_ORG);
      senders.otherPriv = await server.sender('private', OTHER_PRIVATE_ORG);
    });
    afterAll(() => server?.close());

    let subjectNo = 0;
    const subject = (what: string) => `${what} #${++subjectNo}`;

    /** Sends a letter to a person (or an organization) with a subject of its own. */
    async function send(apiKey: string, recipient: Record<string, string>, extra: Record<string, unknown> = {}) {
      const message = letterJson({ recipient, subject: subject('Brev'), ...extra });
      const res = await sendLetterHttp(server, apiKey, message);
      return { ...res, message };
    }

    async function status(apiKey: string, id: string) {
      const res = await api(server, apiKey, 'GET', `/api/v1/messages/${id}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body as Record<string, any> & { events: Event[] };
    }

    /** A person with a mailbox: their id, mailbox and a token. */
    async function personWithMailbox() {
      const nationalId = newNationalId();
      const { mailboxId } = await server.person(nationalId, 'Test Person');
      const token = await server.token(nationalId, 'high');
      return { nationalId, mailboxId, token };
    }

    async function inbox(token: string, mailboxId: string) {
      const res = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages?folder=inbox&limit=100`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body.items as Array<{ id: string; subject: string | null; receivedAt: string }>;
    }

    async function internalId(senderId: string, externalId: string): Promise<string> {
      const letter = await server.ctx.deps.store.read.letters.findByExternalId(senderId, externalId);
      if (!letter) throw new Error(`no letter ${externalId}`);
      return letter.id;
    }

    async function consent(token: string, orgNumber = PRIVATE_ORG) {
      const res = await api(server, token, 'PUT', `/api/v1/me/consents/${orgNumber}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ status: 'active', sender: { orgNumber } });
    }

    /** The print job the embedded provider wrote for a letter, checked file by file. */
    async function expectSpoolJob(letterId: string, senderName: string) {
      const dir = join(server.dataDir, 'print-spool', letterId);
      expect((await stat(dir)).isDirectory()).toBe(true);
      expect((await readdir(dir)).sort()).toEqual(['00-address-sheet.pdf', '01-vedtak.pdf', 'job.json']);
      const sheet = await readFile(join(dir, '00-address-sheet.pdf'));
      expect(sheet.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(Buffer.compare(await readFile(join(dir, '01-vedtak.pdf')), tinyPdf)).toBe(0);
      const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8'));
      expect(job).toMatchObject({
        letterId,
        sender: senderName,
        recipient: printDetails.recipient,
        returnAddress: null,
        colour: 'monochrome',
        undeliverable: 'shred',
      });
      expect(job.files).toEqual([
        { name: '00-address-sheet.pdf', role: 'address-sheet' },
        { name: '01-vedtak.pdf', role: 'main', mediaType: 'application/pdf' },
      ]);
    }

    const spoolExists = (letterId: string) =>
      stat(join(server.dataDir, 'print-spool', letterId)).then(
        () => true,
        () => false,
      );

    describe('public sender', () => {
      it('delivers to an active mailbox of a person who is neither reserved nor exempt', async () => {
        const p = await personWithMailbox();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId });
        expect(sent.status).toBe(201);
        expect(sent.body).toMatchObject({
          id: sent.message.id,
          status: 'DELIVERED',
          rejectReason: null,
          deliveredAt: clock.now().toISOString(),
          deliverAt: null,
          holdUntil: null,
        });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED', 'DELIVERED']);
        const items = await inbox(p.token, p.mailboxId);
        expect(items.map((i) => i.subject)).toContain(sent.message.subject);
      });

      it('delivers to an organization mailbox', async () => {
        await server.organization(RECIPIENT_ORG);
        const sent = await send(senders.pub.apiKey, { orgNumber: RECIPIENT_ORG });
        expect(sent.body).toMatchObject({ status: 'DELIVERED', rejectReason: null });
      });

      it('rejects a letter to a reserved person without print details, with recipient_reserved', async () => {
        const p = await personWithMailbox();
        const reserve = await api(server, p.token, 'PATCH', '/api/v1/me/register', { reserved: true });
        expect(reserve.status).toBe(200);
        expect(reserve.body.reserved).toBe(true);
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId });
        expect(sent.status).toBe(201);
        expect(sent.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_reserved', deliveredAt: null });
        expect(types(sent.body as { events: Event[] })).toEqual(['REJECTED']);
        expect(sent.body.events[0].data).toEqual({ reason: 'recipient_reserved' });
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('prints a letter to a reserved person when print details are given', async () => {
        const p = await personWithMailbox();
        await api(server, p.token, 'PATCH', '/api/v1/me/register', { reserved: true });
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { printDetails });
        expect(sent.body).toMatchObject({ status: 'PRINT_QUEUED', deliveredAt: null });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED', 'PRINT_QUEUED']);
        expect(sent.body.events[1].data).toEqual({ reason: 'recipient_reserved' });

        await server.ctx.worker.runOnce();
        const after = await status(senders.pub.apiKey, sent.message.id);
        expect(after.status).toBe('PRINTED');
        expect(types(after)).toEqual(['ACCEPTED', 'PRINT_QUEUED', 'PRINTED']);
        const letterId = await internalId(senders.pub.id, sent.message.id);
        expect(after.events[2]?.data).toEqual({ reference: letterId });
        await expectSpoolJob(letterId, `Sender ${PUBLIC_ORG}`);
        // Paper only: the reserved person's mailbox never shows it.
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('rejects a letter to an exempt person without print details, with recipient_exempt', async () => {
        const p = await personWithMailbox();
        const record = await setExemption(server.ctx.deps, p.nationalId, true);
        expect(record.exempt).toBe(true);
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId });
        expect(sent.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_exempt' });
        expect(types(sent.body as { events: Event[] })).toEqual(['REJECTED']);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('prints a letter to an exempt person when print details are given', async () => {
        const p = await personWithMailbox();
        await setExemption(server.ctx.deps, p.nationalId, true);
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { printDetails });
        expect(sent.body).toMatchObject({ status: 'PRINT_QUEUED' });
        expect(sent.body.events[1].data).toEqual({ reason: 'recipient_exempt' });
        await server.ctx.worker.runOnce();
        const after = await status(senders.pub.apiKey, sent.message.id);
        expect(after.status).toBe('PRINTED');
        await expectSpoolJob(await internalId(senders.pub.id, sent.message.id), `Sender ${PUBLIC_ORG}`);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('rejects a letter to a registered person without a mailbox, and to an unknown one', async () => {
        const registered = newNationalId();
        await server.unregisteredPerson(registered, { email: 'kari@example.no' });
        const toRegistered = await send(senders.pub.apiKey, { nationalId: registered });
        expect(toRegistered.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_has_no_mailbox' });
        expect(types(toRegistered.body as { events: Event[] })).toEqual(['REJECTED']);

        const toUnknown = await send(senders.pub.apiKey, { nationalId: newNationalId() });
        expect(toUnknown.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_has_no_mailbox' });

        const toOrg = await send(senders.pub.apiKey, { orgNumber: RECIPIENT_ORG_WITHOUT_MAILBOX });
        expect(toOrg.body).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_has_no_mailbox' });
      });

      it('prints a letter to a person without a mailbox when print details are given', async () => {
        const registered = newNationalId();
        await server.unregisteredPerson(registered);
        const sent = await send(senders.pub.apiKey, { nationalId: registered }, { printDetails });
        expect(sent.body).toMatchObject({ status: 'PRINT_QUEUED' });
        expect(sent.body.events[1].data).toEqual({ reason: 'recipient_has_no_mailbox' });
        await server.ctx.worker.runOnce();
        expect((await status(senders.pub.apiKey, sent.message.id)).status).toBe('PRINTED');
        await expectSpoolJob(await internalId(senders.pub.id, sent.message.id), `Sender ${PUBLIC_ORG}`);
      });
    });

    describe('private sender', () => {
      it('delivers to a person who consented and has a mailbox', async () => {
        const p = await personWithMailbox();
        await consent(p.token);
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId });
        expect(sent.status).toBe(201);
        expect(sent.body).toMatchObject({ status: 'DELIVERED', rejectReason: null, holdUntil: null });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED', 'DELIVERED']);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).toContain(sent.message.subject);
      });

      it('delivers to a person whose consent the sender registered with its evidence', async () => {
        const p = await personWithMailbox();
        const registered = await api(server, senders.priv.apiKey, 'POST', '/api/v1/consents', {
          nationalId: p.nationalId,
          evidence: { reference: 'avtale-42', givenAt: clock.now().toISOString(), method: 'signed agreement' },
        });
        expect(registered.status, JSON.stringify(registered.body)).toBe(201);
        expect(registered.body).toEqual({ nationalId: p.nationalId, status: 'active' });
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId });
        expect(sent.body).toMatchObject({ status: 'DELIVERED' });
      });

      it('consent to one private sender does not let another one in', async () => {
        const p = await personWithMailbox();
        await consent(p.token, PRIVATE_ORG);
        const sent = await send(senders.otherPriv.apiKey, { nationalId: p.nationalId });
        expect(sent.body).toMatchObject({ status: 'HELD', deliveredAt: null });
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('delivers to an organization mailbox without consent', async () => {
        const sent = await send(senders.priv.apiKey, { orgNumber: RECIPIENT_ORG });
        expect(sent.body).toMatchObject({ status: 'DELIVERED', rejectReason: null });
      });

      it('holds a letter to a person without consent for the default 30 days', async () => {
        const p = await personWithMailbox();
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId });
        const until = new Date(clock.now().getTime() + 30 * DAY).toISOString();
        expect(sent.body).toMatchObject({ status: 'HELD', rejectReason: null, deliveredAt: null, holdUntil: until });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED', 'HELD']);
        expect(sent.body.events[1].data).toEqual({ until });
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('holds a letter until the registration deadline it was given', async () => {
        const deadline = new Date(clock.now().getTime() + 5 * DAY).toISOString();
        const sent = await send(
          senders.priv.apiKey,
          { nationalId: newNationalId() },
          { registrationDeadline: deadline, printDetails },
        );
        expect(sent.body).toMatchObject({ status: 'HELD', holdUntil: deadline });
        expect(sent.body.events[1].data).toEqual({ until: deadline });
      });

      it('holds a letter after the person withdrew their consent', async () => {
        const p = await personWithMailbox();
        await consent(p.token);
        const withdraw = await api(server, p.token, 'DELETE', `/api/v1/me/consents/${PRIVATE_ORG}`);
        expect(withdraw.status).toBe(200);
        expect(withdraw.body.status).toBe('withdrawn');
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId });
        expect(sent.body.status).toBe('HELD');
      });

      it('prints a letter to a person without consent when print details and no deadline are given', async () => {
        const p = await personWithMailbox();
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId }, { printDetails });
        expect(sent.body).toMatchObject({ status: 'PRINT_QUEUED', holdUntil: null, deliveredAt: null });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED', 'PRINT_QUEUED']);
        await server.ctx.worker.runOnce();
        const after = await status(senders.priv.apiKey, sent.message.id);
        expect(after.status).toBe('PRINTED');
        await expectSpoolJob(await internalId(senders.priv.id, sent.message.id), `Sender ${PRIVATE_ORG}`);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      /** What a sender sees, without what necessarily differs between two letters. */
      const shape = (body: Record<string, any>) => {
        const { id: _id, recipient: _recipient, subject: _subject, ...rest } = body;
        return {
          ...rest,
          // The print reference names the letter itself, so only its presence is compared.
          events: (body.events as Event[]).map(({ id: _e, receipt, data, ...e }) => ({
            ...e,
            data: 'reference' in data ? { ...data, reference: typeof data.reference } : data,
            receipt: typeof receipt,
          })),
        };
      };

      const variants: Array<[string, () => Record<string, unknown>, string]> = [
        ['no fallbacks', () => ({}), 'HELD'],
        [
          'a registration deadline',
          () => ({ registrationDeadline: new Date(clock.now().getTime() + 7 * DAY).toISOString() }),
          'HELD',
        ],
        ['print details', () => ({ printDetails }), 'PRINT_QUEUED'],
      ];
      for (const [name, extra, expected] of variants) {
        it(`answers the same for an unknown person as for known ones without consent (${name})`, async () => {
          const withMailbox = await personWithMailbox();
          const withoutMailbox = newNationalId();
          await server.unregisteredPerson(withoutMailbox, { email: 'ola@example.no' });
          const unknown = newNationalId();
          const options = extra();

          const answers = [];
          for (const nationalId of [unknown, withoutMailbox, withMailbox.nationalId]) {
            const sent = await send(senders.priv.apiKey, { nationalId }, options);
            expect(sent.status).toBe(201);
            expect(sent.body.status).toBe(expected);
            answers.push(sent);
          }
          const [a, b, c] = answers.map((s) => shape(s.body));
          expect(b).toEqual(a);
          expect(c).toEqual(a);
          const headerNames = answers.map((s) => [...s.headers.keys()].sort());
          expect(headerNames[1]).toEqual(headerNames[0]);
          expect(headerNames[2]).toEqual(headerNames[0]);

          // …and stays the same once the worker has done what it does for each.
          await server.ctx.worker.runOnce();
          const later = [];
          for (const s of answers) later.push(shape(await status(senders.priv.apiKey, s.message.id)));
          expect(later[1]).toEqual(later[0]);
          expect(later[2]).toEqual(later[0]);
        });
      }
    });

    describe('held letters', () => {
      it('are delivered when the person opens a mailbox and consents, with the original received time', async () => {
        const nationalId = newNationalId();
        await server.unregisteredPerson(nationalId, { mobile: '+4791234567' });
        const sent = await send(senders.priv.apiKey, { nationalId });
        expect(sent.body).toMatchObject({ status: 'HELD' });
        const createdAt = sent.body.createdAt as string;
        expect(createdAt).toBe(clock.now().toISOString());

        clock.advance(2 * DAY);
        // First login opens the mailbox; without consent the letter stays held.
        await completeLogin(server.ctx.deps, { nationalId, authLevel: 'high' });
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD');
        const token = await server.token(nationalId, 'high');
        const boxes = await api(server, token, 'GET', '/api/v1/me/mailboxes');
        expect(boxes.status).toBe(200);
        const mailboxId = boxes.body.items.find((m: { ownerType: string }) => m.ownerType === 'person')?.id as string;
        expect(mailboxId).toEqual(expect.any(String));
        expect((await inbox(token, mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);

        clock.advance(HOUR);
        await consent(token);
        const releasedAt = clock.now().toISOString();
        await server.ctx.worker.runOnce();

        const after = await status(senders.priv.apiKey, sent.message.id);
        expect(after).toMatchObject({
          status: 'DELIVERED',
          deliveredAt: createdAt,
          holdUntil: null,
          rejectReason: null,
        });
        expect(types(after)).toEqual(['ACCEPTED', 'HELD', 'DELIVERED']);
        expect(after.events[2]).toMatchObject({ at: releasedAt, data: { releasedFromHold: true } });

        const item = (await inbox(token, mailboxId)).find((i) => i.subject === sent.message.subject);
        expect(item).toBeDefined();
        expect(item?.receivedAt).toBe(createdAt);
        // The documents were the platform's while held; the recipient can now open them.
        const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${item?.id}`);
        expect(detail.status).toBe(200);
        const doc = detail.body.documents[0];
        const content = await api(
          server,
          token,
          'GET',
          `/api/v1/mailboxes/${mailboxId}/messages/${item?.id}/documents/${doc.id}/content`,
        );
        expect(content.status).toBe(200);
        expect(Buffer.compare(content.body, tinyPdf)).toBe(0);

        // Delivered once: running the worker again changes nothing.
        await server.ctx.worker.runOnce();
        expect(types(await status(senders.priv.apiKey, sent.message.id))).toEqual(['ACCEPTED', 'HELD', 'DELIVERED']);
      });

      it('are delivered when the sender registered consent first and the person then opens a mailbox', async () => {
        const nationalId = newNationalId();
        const sent = await send(senders.priv.apiKey, { nationalId });
        expect(sent.body.status).toBe('HELD');
        const registered = await api(server, senders.priv.apiKey, 'POST', '/api/v1/consents', {
          nationalId,
          evidence: { reference: 'kunde-7', givenAt: clock.now().toISOString(), method: 'web form' },
        });
        expect(registered.status).toBe(201);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD');

        clock.advance(DAY);
        const { mailboxId } = await server.person(nationalId);
        await server.ctx.worker.runOnce();
        const after = await status(senders.priv.apiKey, sent.message.id);
        expect(after).toMatchObject({ status: 'DELIVERED', deliveredAt: sent.body.createdAt });
        const token = await server.token(nationalId);
        const item = (await inbox(token, mailboxId)).find((i) => i.subject === sent.message.subject);
        expect(item?.receivedAt).toBe(sent.body.createdAt);
      });

      it('for an organization are delivered when its mailbox opens', async () => {
        const orgNumber = '910030035';
        const sent = await send(senders.priv.apiKey, { orgNumber });
        expect(sent.body).toMatchObject({ status: 'HELD', deliveredAt: null });
        clock.advance(HOUR);
        await server.organization(orgNumber);
        await server.ctx.worker.runOnce();
        const after = await status(senders.priv.apiKey, sent.message.id);
        expect(after).toMatchObject({ status: 'DELIVERED', deliveredAt: sent.body.createdAt });
        expect(after.events.at(-1)).toMatchObject({ type: 'DELIVERED', data: { releasedFromHold: true } });
      });

      it('expire at the registration deadline', async () => {
        const p = await personWithMailbox();
        const deadline = new Date(clock.now().getTime() + 3 * DAY);
        const sent = await send(
          senders.priv.apiKey,
          { nationalId: p.nationalId },
          { registrationDeadline: deadline.toISOString() },
        );
        expect(sent.body).toMatchObject({ status: 'HELD', holdUntil: deadline.toISOString() });

        clock.advance(3 * DAY - 60_000);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD');

        clock.advance(2 * 60_000);
        await server.ctx.worker.runOnce();
        const expired = await status(senders.priv.apiKey, sent.message.id);
        expect(expired.status).toBe('HELD_EXPIRED');
        expect(types(expired)).toEqual(['ACCEPTED', 'HELD', 'HELD_EXPIRED']);

        // Too late: an expired letter can be neither delivered by a later consent nor cancelled.
        await consent(p.token);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD_EXPIRED');
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
        const cancel = await api(server, senders.priv.apiKey, 'POST', `/api/v1/messages/${sent.message.id}/cancel`);
        expectProblem(cancel, 422, 'invalid_operation');
      });

      it('expire after the default 30 days without a deadline', async () => {
        const sent = await send(senders.priv.apiKey, { nationalId: newNationalId() });
        expect(sent.body.status).toBe('HELD');
        clock.advance(29 * DAY);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD');
        clock.advance(DAY + 60_000);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('HELD_EXPIRED');
      });

      it('with print details are printed when the hold runs out', async () => {
        const nationalId = newNationalId();
        await server.unregisteredPerson(nationalId);
        const deadline = new Date(clock.now().getTime() + 10 * DAY);
        const sent = await send(
          senders.priv.apiKey,
          { nationalId },
          { registrationDeadline: deadline.toISOString(), printDetails },
        );
        expect(sent.body).toMatchObject({ status: 'HELD', holdUntil: deadline.toISOString() });
        const letterId = await internalId(senders.priv.id, sent.message.id);
        await server.ctx.worker.runOnce();
        expect(await spoolExists(letterId)).toBe(false);

        clock.advance(10 * DAY + 60_000);
        await server.ctx.worker.runOnce();
        const after = await status(senders.priv.apiKey, sent.message.id);
        expect(after).toMatchObject({ status: 'PRINTED', deliveredAt: null });
        expect(types(after)).toEqual(['ACCEPTED', 'HELD', 'PRINT_QUEUED', 'PRINTED']);
        expect(after.events[2]?.data).toEqual({ reason: 'recipient_not_reachable' });
        expect(after.events[3]?.data).toEqual({ reference: letterId });
        await expectSpoolJob(letterId, `Sender ${PRIVATE_ORG}`);
      });

      it('can be cancelled, and are then never delivered', async () => {
        const p = await personWithMailbox();
        const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId });
        expect(sent.body.status).toBe('HELD');
        const cancel = await api(server, senders.priv.apiKey, 'POST', `/api/v1/messages/${sent.message.id}/cancel`);
        expect(cancel.status).toBe(200);
        expect(cancel.body).toMatchObject({ id: sent.message.id, status: 'CANCELLED' });
        expect(types(cancel.body)).toEqual(['ACCEPTED', 'HELD', 'CANCELLED']);
        await consent(p.token);
        await server.ctx.worker.runOnce();
        expect((await status(senders.priv.apiKey, sent.message.id)).status).toBe('CANCELLED');
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });
    });

    describe('scheduled letters', () => {
      it('are invisible until deliverAt, then delivered', async () => {
        const p = await personWithMailbox();
        const deliverAt = new Date(clock.now().getTime() + 2 * HOUR).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { deliverAt });
        expect(sent.status).toBe(201);
        expect(sent.body).toMatchObject({ status: 'SCHEDULED', deliverAt, deliveredAt: null, rejectReason: null });
        expect(types(sent.body as { events: Event[] })).toEqual(['ACCEPTED']);
        expect(sent.body.events[0].data).toEqual({ deliverAt });

        const letterId = await internalId(senders.pub.id, sent.message.id);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
        const early = await api(server, p.token, 'GET', `/api/v1/mailboxes/${p.mailboxId}/messages/${letterId}`);
        expect(early.status).toBe(404);

        clock.advance(HOUR);
        await server.ctx.worker.runOnce();
        expect((await status(senders.pub.apiKey, sent.message.id)).status).toBe('SCHEDULED');
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);

        clock.advance(HOUR + 1000);
        const dueAt = clock.now().toISOString();
        await server.ctx.worker.runOnce();
        const after = await status(senders.pub.apiKey, sent.message.id);
        expect(after).toMatchObject({ status: 'DELIVERED', deliveredAt: dueAt, deliverAt });
        expect(types(after)).toEqual(['ACCEPTED', 'DELIVERED']);
        const item = (await inbox(p.token, p.mailboxId)).find((i) => i.subject === sent.message.subject);
        expect(item).toMatchObject({ id: letterId, receivedAt: dueAt });
      });

      it('are routed again when they fall due: a person who reserved meanwhile is not reached', async () => {
        const p = await personWithMailbox();
        const deliverAt = new Date(clock.now().getTime() + HOUR).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { deliverAt });
        expect(sent.body.status).toBe('SCHEDULED');
        await api(server, p.token, 'PATCH', '/api/v1/me/register', { reserved: true });
        clock.advance(HOUR + 1000);
        await server.ctx.worker.runOnce();
        const after = await status(senders.pub.apiKey, sent.message.id);
        expect(after).toMatchObject({ status: 'REJECTED', rejectReason: 'recipient_reserved', deliveredAt: null });
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
      });

      it('once cancelled are never seen, and cancelling again answers the same', async () => {
        const p = await personWithMailbox();
        const deliverAt = new Date(clock.now().getTime() + HOUR).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { deliverAt });
        expect(sent.body.status).toBe('SCHEDULED');

        const cancel = await api(server, senders.pub.apiKey, 'POST', `/api/v1/messages/${sent.message.id}/cancel`);
        expect(cancel.status).toBe(200);
        expect(cancel.body).toMatchObject({ id: sent.message.id, status: 'CANCELLED', deliveredAt: null });
        expect(types(cancel.body)).toEqual(['ACCEPTED', 'CANCELLED']);
        const again = await api(server, senders.pub.apiKey, 'POST', `/api/v1/messages/${sent.message.id}/cancel`);
        expect(again.status).toBe(200);
        expect(again.body.status).toBe('CANCELLED');
        expect(types(again.body)).toEqual(['ACCEPTED', 'CANCELLED']);

        clock.advance(2 * HOUR);
        await server.ctx.worker.runOnce();
        const after = await status(senders.pub.apiKey, sent.message.id);
        expect(after.status).toBe('CANCELLED');
        expect(types(after)).toEqual(['ACCEPTED', 'CANCELLED']);
        expect((await inbox(p.token, p.mailboxId)).map((i) => i.subject)).not.toContain(sent.message.subject);
        const letterId = await internalId(senders.pub.id, sent.message.id);
        const direct = await api(server, p.token, 'GET', `/api/v1/mailboxes/${p.mailboxId}/messages/${letterId}`);
        expect(direct.status).toBe(404);
      });

      it('cannot be cancelled once delivered', async () => {
        const p = await personWithMailbox();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId });
        expect(sent.body.status).toBe('DELIVERED');
        const cancel = await api(server, senders.pub.apiKey, 'POST', `/api/v1/messages/${sent.message.id}/cancel`);
        expectProblem(cancel, 422, 'invalid_operation');
        expect((await status(senders.pub.apiKey, sent.message.id)).status).toBe('DELIVERED');
      });
    });

    describe('bad input', () => {
      async function expectNotStored(apiKey: string, id: string) {
        const res = await api(server, apiKey, 'GET', `/api/v1/messages/${id}`);
        expectProblem(res, 404, 'not_found');
      }

      it('refuses legal notification and mandatory from a private sender', async () => {
        const p = await personWithMailbox();
        await consent(p.token);
        for (const flag of ['legalNotification', 'mandatory']) {
          const sent = await send(senders.priv.apiKey, { nationalId: p.nationalId }, { [flag]: true });
          expectProblem(sent, 422, 'not_allowed_for_private_sender');
          await expectNotStored(senders.priv.apiKey, sent.message.id);
        }
      });

      it('refuses deliverAt in the past', async () => {
        const p = await personWithMailbox();
        const deliverAt = new Date(clock.now().getTime() - 60_000).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { deliverAt });
        expectProblem(sent, 422, 'invalid_letter');
        expect(sent.body.errors).toContainEqual(
          expect.objectContaining({ path: 'message.deliverAt', code: 'date_time_in_past' }),
        );
        await expectNotStored(senders.pub.apiKey, sent.message.id);
      });

      it('refuses print details without an address', async () => {
        const p = await personWithMailbox();
        const sent = await send(
          senders.pub.apiKey,
          { nationalId: p.nationalId },
          { printDetails: { recipient: { name: 'Kari Nordmann' } } },
        );
        expectProblem(sent, 400, 'validation_failed');
        expect(sent.body.errors).toContainEqual(
          expect.objectContaining({ path: 'message.printDetails.recipient.address' }),
        );
        await expectNotStored(senders.pub.apiKey, sent.message.id);
      });

      it('refuses a registration deadline from a public sender', async () => {
        const p = await personWithMailbox();
        const registrationDeadline = new Date(clock.now().getTime() + DAY).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { registrationDeadline });
        expectProblem(sent, 422, 'invalid_letter');
        expect(sent.body.errors).toContainEqual(expect.objectContaining({ path: 'message.registrationDeadline' }));
        await expectNotStored(senders.pub.apiKey, sent.message.id);
      });
    });

    describe('another sender', () => {
      it("can neither read nor cancel someone else's letter", async () => {
        const p = await personWithMailbox();
        const deliverAt = new Date(clock.now().getTime() + HOUR).toISOString();
        const sent = await send(senders.pub.apiKey, { nationalId: p.nationalId }, { deliverAt });
        expect(sent.body.status).toBe('SCHEDULED');
        const held = await send(senders.priv.apiKey, { nationalId: newNationalId() });
        expect(held.body.status).toBe('HELD');

        for (const [owner, other, id] of [
          [senders.pub, senders.otherPub, sent.message.id],
          [senders.pub, senders.priv, sent.message.id],
          [senders.priv, senders.otherPriv, held.message.id],
          [senders.priv, senders.pub, held.message.id],
        ] as const) {
          expectProblem(await api(server, other.apiKey, 'GET', `/api/v1/messages/${id}`), 404, 'not_found');
          expectProblem(await api(server, other.apiKey, 'POST', `/api/v1/messages/${id}/cancel`), 404, 'not_found');
          expect((await status(owner.apiKey, id)).status).not.toBe('CANCELLED');
        }
        expect((await status(senders.pub.apiKey, sent.message.id)).status).toBe('SCHEDULED');
        expect((await status(senders.priv.apiKey, held.message.id)).status).toBe('HELD');
      });
    });
  });
}
