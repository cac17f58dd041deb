import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addMember, addOrganizationAdmin, planNotifications } from '@postkasse/core';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syntheticNationalIds } from '../../../bench/ingest/shared.js';
import {
  api,
  letterJson,
  productionEnv,
  sendLetterHttp,
  startTestServer,
  type TestServer,
  testClock,
  tinyPdf,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

/** A real SMTP server on loopback that refuses the first `refuse` messages with a temporary error. */
async function smtpReceiver(refuse = 0) {
  const mails: ParsedMail[] = [];
  let refused = 0;
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        if (refused < refuse) {
          refused += 1;
          callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
          return;
        }
        mails.push(await simpleParser(Buffer.concat(chunks)));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    refused: () => refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A stand-in for a Nordic SMS gateway's HTTP API (the outside world we cannot run). */
async function smsGateway() {
  const received: Array<{ auth: string | undefined; body: Record<string, string> }> = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"queued"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

for (const dialect of await testDialects()) {
  describe(`notifications by e-mail and SMS (${dialect})`, () => {
    let server: TestServer;
    let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
    let sms: Awaited<ReturnType<typeof smsGateway>>;
    // 10:00 in Oslo on a Monday.
    const clock = testClock(new Date('2026-11-23T09:00:00Z'));
    let apiKey: string;
    const ids = syntheticNationalIds(40).slice(20);
    let n = 0;
    const boxes = new Map<string, string>();

    /** A new person with a mailbox and fresh contact details. */
    async function person(language = 'nb', contact: { email?: boolean; mobile?: boolean } = { email: true }) {
      const nationalId = ids[n++] as string;
      const { mailboxId } = await server.person(nationalId);
      boxes.set(nationalId, mailboxId);
      await api(server, await server.token(nationalId), 'PATCH', '/api/v1/me/register', {
        language,
        ...(contact.email ? { email: `p${nationalId}@example.org` } : {}),
        ...(contact.mobile ? { mobile: `+47 4${nationalId.slice(0, 7)}` } : {}),
      });
      return nationalId;
    }
    const mailsTo = (nationalId: string) =>
      smtp.mails.filter((m) => m.to && JSON.stringify(m.to).includes(`p${nationalId}@`));
    const events = async (id: string) =>
      (
        (await api(server, apiKey, 'GET', `/api/v1/messages/${id}`)).body.events as Array<{ type: string; data: any }>
      ).filter((e) => e.type.startsWith('NOTIF'));
    async function tick(ms: number) {
      clock.advance(ms);
      await server.ctx.worker.runOnce();
    }

    beforeAll(async () => {
      smtp = await smtpReceiver(0);
      sms = await smsGateway();
      server = await startTestServer(
        dialect,
        {
          POSTKASSE_SMTP_URL: smtp.url,
          POSTKASSE_SMS_URL: sms.url,
          POSTKASSE_SMS_TOKEN: 'gateway-token',
          POSTKASSE_NOTIFY_COALESCE_SECONDS: '60',
          POSTKASSE_NOTIFY_MIN_INTERVAL_MINUTES: '60',
        },
        { clock },
      );
      apiKey = (await server.sender('public')).apiKey;
    });
    afterAll(async () => {
      await server.close();
      await smtp.close();
      await sms.close();
    });

    it('tells the recipient by e-mail: who sent it, the non-sensitive title and a link, nothing more', async () => {
      const kari = await person('nb');
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({
          recipient: { nationalId: kari },
          subject: 'Vedtak om sosialhjelp',
          nonSensitiveTitle: 'Brev fra NAV',
        }),
      );
      await server.ctx.worker.runOnce();
      expect(mailsTo(kari)).toHaveLength(0); // letters arriving together are told together
      await tick(61_000);
      const [mail] = mailsTo(kari);
      expect(mail?.subject).toBe('Du har fått brev fra Sender 974000008');
      expect(mail?.text).toContain('Brev fra NAV');
      expect(mail?.html).toContain('Brev fra NAV');
      const link = /https?:\/\/\S+\/inbox\/\S+/.exec(mail?.text ?? '')?.[0];
      expect(link).toBe(
        `${server.url}/inbox/${boxes.get(kari)}/${(await server.ctx.deps.store.read.letters.findManyByExternalIds((await server.ctx.deps.store.read.senders.list())[0]?.id ?? '', [sent.body.id]))[0]?.id}`,
      );
      // Neither the subject (it may be sensitive) nor a byte of the document.
      expect(`${mail?.subject}${mail?.text}${mail?.html}`).not.toContain('sosialhjelp');
      expect(mail?.attachments).toHaveLength(0);
      expect(mail?.text).not.toContain(tinyPdf.toString('latin1').slice(0, 20));
      const notified = await events(sent.body.id);
      expect(notified).toEqual([expect.objectContaining({ type: 'NOTIFIED', data: { channel: 'email' } })]);

      // The link is the letter's page in the web inbox, which logs the visitor in and opens it
      // (followed in a real browser in e2e/web-inbox.test.ts).
      const page = await fetch(link as string);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('<div id="root">');
    });

    it('writes in the person’s language and hides the sender of a sensitive letter', async () => {
      const mette = await person('da');
      const anne = await person('en');
      await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: mette }, nonSensitiveTitle: 'Brev fra kommunen' }),
      );
      await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: anne }, sensitivity: 'sensitive', nonSensitiveTitle: 'A letter' }),
      );
      await tick(61_000);
      expect(mailsTo(mette)[0]?.subject).toBe('Du har fået post fra Sender 974000008');
      expect(mailsTo(mette)[0]?.text).toContain('Log ind for at læse');
      const english = mailsTo(anne)[0];
      expect(english?.subject).toBe('You have a letter from a sender');
      expect(`${english?.text}${english?.html}`).not.toContain('974000008');
    });

    it('sends SMS through the gateway, and holds them during quiet hours (21–08 in Oslo)', async () => {
      const ola = await person('nb', { mobile: true });
      // 22:30 in Oslo.
      clock.advance(new Date('2026-11-23T21:30:00Z').getTime() - clock.now().getTime());
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: ola }, notification: { smsText: 'Du har post fra oss' } }),
      );
      const before = sms.received.length;
      await tick(2 * HOUR);
      expect(sms.received.length).toBe(before);
      // 08:00 in Oslo is 07:00 UTC.
      clock.advance(new Date('2026-11-24T07:00:30Z').getTime() - clock.now().getTime());
      await server.ctx.worker.runOnce();
      const got = sms.received.at(-1);
      expect(got?.auth).toBe('Bearer gateway-token');
      expect(got?.body).toMatchObject({
        to: `+474${ola.slice(0, 7)}`,
        message: 'Du har post fra oss',
        from: 'Postkasse',
      });
      const notified = await events(sent.body.id);
      expect(notified.map((e) => e.data.channel)).toEqual(['sms']);
    });

    it('tells 40 letters arriving together in one notification, and keeps an hour between notifications', async () => {
      const per = await person('nb');
      for (let i = 0; i < 40; i++) {
        await sendLetterHttp(
          server,
          apiKey,
          letterJson({ recipient: { nationalId: per }, nonSensitiveTitle: `Brev ${i}` }),
        );
        clock.advance(1000);
      }
      await tick(61_000);
      expect(mailsTo(per)).toHaveLength(1);
      expect(mailsTo(per)[0]?.subject).toBe('Du har fått 40 nye brev');
      const late = await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: per } }));
      await tick(10 * MINUTE);
      expect(mailsTo(per)).toHaveLength(1);
      await tick(HOUR);
      expect(mailsTo(per)).toHaveLength(2);
      expect((await events(late.body.id)).map((e) => e.type)).toEqual(['NOTIFIED']);
    });

    it("looks up a page of letters' readers together, not letter by letter", async () => {
      const people = [await person('nb'), await person('en'), await person('nb', { mobile: true }), await person('da')];
      for (const p of people) await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: p } }));
      const read = server.ctx.deps.store.read;
      const spies = [
        vi.spyOn(read.persons, 'findMany'),
        vi.spyOn(read.mailboxes, 'getMany'),
        vi.spyOn(read.persons, 'findByNationalId'),
        vi.spyOn(read.mailboxes, 'get'),
      ] as const;
      try {
        expect(await planNotifications(server.ctx.deps)).toBeGreaterThanOrEqual(people.length);
        const [findMany, getMany, findOne, getOne] = spies;
        expect(findMany).toHaveBeenCalledTimes(1);
        expect(findMany.mock.calls[0]?.[0]).toEqual(expect.arrayContaining(people));
        expect(getMany).toHaveBeenCalledTimes(1);
        expect(getMany.mock.calls[0]?.[0]).toEqual(expect.arrayContaining(people.map((p) => boxes.get(p))));
        expect(findOne).not.toHaveBeenCalled();
        expect(getOne).not.toHaveBeenCalled();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
      await tick(61_000);
      for (const p of people)
        expect(
          mailsTo(p).length + sms.received.filter((r) => JSON.stringify(r.body).includes(p.slice(0, 7))).length,
        ).toBe(1);
    });

    it('repeats on the days asked until the letter is opened', async () => {
      const ida = await person('nb');
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: ida }, notification: { repetitions: [0, 3, 7] } }),
      );
      await tick(61_000);
      expect(mailsTo(ida)).toHaveLength(1);
      await tick(3 * DAY);
      expect(mailsTo(ida)).toHaveLength(1); // the reminder is due a coalescing minute later
      await tick(61_000);
      expect(mailsTo(ida)).toHaveLength(2);
      expect(mailsTo(ida)[1]?.text).toContain('Påminnelse');
      // Opened on day 4: the day-7 repetition does not go.
      const token = await server.token(ida, 'high');
      const box = boxes.get(ida) as string;
      const [item] = (await api(server, token, 'GET', `/api/v1/mailboxes/${box}/messages`)).body.items;
      const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${box}/messages/${item.id}`);
      await api(
        server,
        token,
        'GET',
        `/api/v1/mailboxes/${box}/messages/${item.id}/documents/${detail.body.documents[0].id}/content`,
      );
      await tick(5 * DAY);
      await tick(61_000);
      expect(mailsTo(ida)).toHaveLength(2);
      expect((await events(sent.body.id)).map((e) => e.type)).toEqual(['NOTIFIED', 'NOTIFIED']);
    });

    it('does not use contact details older than 18 months for a legal notice, and says so', async () => {
      const old = await person('nb');
      clock.advance(19 * 31 * DAY);
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: old }, legalNotification: true }),
      );
      await tick(61_000);
      expect(mailsTo(old)).toHaveLength(0);
      expect(await events(sent.body.id)).toEqual([
        expect.objectContaining({
          type: 'NOTIFICATION_FAILED',
          data: expect.objectContaining({ reason: 'contact_details_stale' }),
        }),
      ]);
      // An ordinary letter still uses them.
      await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: old } }));
      await tick(HOUR + MINUTE);
      expect(mailsTo(old)).toHaveLength(1);
    });

    it("tells only the organization's members who asked, and only members may ask", async () => {
      const [asked, silent] = [await person('nb'), await person('nb')];
      const { mailboxId } = await server.organization('920000045');
      await addOrganizationAdmin(server.ctx.deps, '920000045', asked);
      await addMember(server.ctx.deps, { kind: 'person', nationalId: asked, authLevel: 'high' }, mailboxId, {
        nationalId: silent,
        role: 'reader',
      });
      const choose = await api(
        server,
        await server.token(asked),
        'PUT',
        `/api/v1/mailboxes/${mailboxId}/notifications`,
        {
          notify: true,
        },
      );
      expect(choose.body).toEqual({ notify: true });
      const own = boxes.get(asked) as string;
      const refused = await api(server, await server.token(asked), 'PUT', `/api/v1/mailboxes/${own}/notifications`, {
        notify: true,
      });
      expect(refused.status).toBe(422);
      const stranger = await api(
        server,
        await server.token(ids[0] as string),
        'PUT',
        `/api/v1/mailboxes/${mailboxId}/notifications`,
        {
          notify: true,
        },
      );
      expect(stranger.status).toBe(404);
      await sendLetterHttp(server, apiKey, letterJson({ recipient: { orgNumber: '920000045' } }));
      await tick(HOUR + MINUTE);
      expect(mailsTo(asked).some((m) => m.subject === 'Du har fått brev fra Sender 974000008')).toBe(true);
      expect(mailsTo(silent)).toHaveLength(0);
    });

    it('does not tell of a letter that left DELIVERED after the planner read it', async () => {
      const reader = await person('nb');
      await server.ctx.worker.runOnce();
      const sent = await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: reader } }));
      const store = server.ctx.deps.store;
      const letter = (
        await store.read.letters.findManyByExternalIds((await store.read.senders.list())[0]?.id ?? '', [sent.body.id])
      )[0];
      const write = store.write;
      let writes = 0;
      // The planner leases, reads the page, then writes it: the letter changes in between.
      store.write = (async (work) => {
        writes += 1;
        if (writes === 2 && letter) {
          await write((repos) => repos.letters.transition(letter.id, ['DELIVERED'], { status: 'PRINT_QUEUED' }));
        }
        return write(work);
      }) as typeof store.write;
      try {
        await server.ctx.worker.runOnce();
      } finally {
        store.write = write;
      }
      expect(writes).toBeGreaterThanOrEqual(2);
      const mailboxId = boxes.get(reader) ?? '';
      expect(await store.read.notifications.findPending(reader, mailboxId, 'email')).toBeNull();
      await tick(2 * HOUR);
      expect(mailsTo(reader)).toHaveLength(0);
      // A letter still delivered is told as usual.
      const next = await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: reader } }));
      expect(next.body.status).toBe('DELIVERED');
      await server.ctx.worker.runOnce();
      expect((await store.read.notifications.findPending(reader, mailboxId, 'email'))?.letterIds).toHaveLength(1);
      await tick(2 * HOUR);
      expect(mailsTo(reader)).toHaveLength(1);
    });

    it('shows what was sent on the dev outbox page', async () => {
      const page = await fetch(`${server.url}/dev/outbox`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Dev outbox');
      expect(html).toContain('Du har fått 40 nye brev');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    });
  });

  describe(`notifications when the SMTP server misbehaves (${dialect})`, () => {
    it('delivers once to a server that refuses at first, and gives up on one that never accepts', async () => {
      const flaky = await smtpReceiver(2);
      const clock = testClock(new Date('2026-11-23T09:00:00Z'));
      const server = await startTestServer(dialect, { POSTKASSE_SMTP_URL: flaky.url }, { clock });
      try {
        const [kari] = syntheticNationalIds(45).slice(44);
        await server.person(kari as string);
        await api(server, await server.token(kari as string), 'PATCH', '/api/v1/me/register', {
          email: 'kari@example.org',
        });
        const { apiKey } = await server.sender('public');
        const sent = await sendLetterHttp(server, apiKey, letterJson({ recipient: { nationalId: kari } }));
        for (let i = 0; i < 6; i++) {
          clock.advance(5 * MINUTE);
          await server.ctx.worker.runOnce();
        }
        expect(flaky.refused()).toBe(2);
        expect(flaky.mails).toHaveLength(1);
        const after = await api(server, apiKey, 'GET', `/api/v1/messages/${sent.body.id}`);
        expect(after.body.events.filter((e: any) => e.type === 'NOTIFIED')).toHaveLength(1);
      } finally {
        await server.close();
        await flaky.close();
      }

      const never = await smtpReceiver(Number.MAX_SAFE_INTEGER);
      const clock2 = testClock(new Date('2026-11-23T09:00:00Z'));
      const server2 = await startTestServer(dialect, { POSTKASSE_SMTP_URL: never.url }, { clock: clock2 });
      try {
        const [ola] = syntheticNationalIds(46).slice(45);
        await server2.person(ola as string);
        await api(server2, await server2.token(ola as string), 'PATCH', '/api/v1/me/register', {
          email: 'ola@example.org',
        });
        const { apiKey } = await server2.sender('public');
        const sent = await sendLetterHttp(server2, apiKey, letterJson({ recipient: { nationalId: ola } }));
        for (let i = 0; i < 12; i++) {
          clock2.advance(HOUR);
          await server2.ctx.worker.runOnce();
        }
        expect(never.mails).toHaveLength(0);
        const after = await api(server2, apiKey, 'GET', `/api/v1/messages/${sent.body.id}`);
        const failed = after.body.events.filter((e: any) => e.type === 'NOTIFICATION_FAILED');
        // Only the channel and a fixed reason: the SMTP server's words (which name the address) stay inside.
        expect(failed.map((e: any) => e.data)).toEqual([{ channel: 'email', reason: 'delivery_failed' }]);
      } finally {
        await server2.close();
        await never.close();
      }
    });

    it('has no dev outbox in production', async () => {
      const prod = await startTestServer(dialect, productionEnv);
      try {
        expect((await fetch(`${prod.url}/dev/outbox`)).status).toBe(404);
      } finally {
        await prod.close();
      }
    });
  });
}
