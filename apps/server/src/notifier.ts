/**
 * The notifier: e-mail over SMTP (nodemailer) and SMS through an HTTP gateway, each with the
 * embedded default of the dev outbox (a table shown at /dev/outbox) when nothing is configured.
 * Outside production every message is also copied to the dev outbox, so a newcomer sees what a
 * citizen would receive.
 */
import type { Notifier, OutgoingEmail, OutgoingSms, Store } from '@postkasse/core';
import type { Config } from './config.js';

type Ids = { uuid(): string };
type Clock = { now(): Date };

/** A permanent failure: retrying cannot help (no gateway configured, the gateway refuses the number). */
const permanent = (message: string) => Object.assign(new Error(message), { permanent: true });

export function smtpMailer(url: string, from: string) {
  // A pool keeps a few SMTP connections open instead of one handshake per message.
  const pooled = new URL(url);
  for (const [k, v] of [
    ['pool', 'true'],
    ['maxConnections', '4'],
    ['maxMessages', '1000'],
  ] as const) {
    if (!pooled.searchParams.has(k)) pooled.searchParams.set(k, v);
  }
  // nodemailer loads with the first e-mail, so a server that sends none does not carry it.
  let transport: Promise<ReturnType<typeof import('nodemailer').createTransport>> | null = null;
  const open = () => {
    transport ??= import('nodemailer').then(({ default: nodemailer }) =>
      nodemailer.createTransport(pooled.toString(), { from }),
    );
    return transport;
  };
  return {
    async send(m: OutgoingEmail) {
      await (await open()).sendMail({ from, to: m.to, subject: m.subject, text: m.text, html: m.html });
    },
    close: () => {
      void transport?.then((t) => t.close());
    },
  };
}

/**
 * An HTTP SMS gateway in the common Nordic shape: POST with a bearer token and the recipient,
 * sender id and text as JSON (`{ "to", "from", "message" }`) or as a form. 4xx other than 429 is
 * a refusal (permanent); 5xx, 429 and network errors are retried.
 */
export function httpSmsGateway(options: NonNullable<Config['notifications']['sms']>) {
  return {
    async send(m: OutgoingSms) {
      const fields = { to: m.to, from: options.from, message: m.text };
      const res = await fetch(options.url, {
        method: 'POST',
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          'content-type': options.format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body: options.format === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString(),
        signal: AbortSignal.timeout(10_000),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.ok) return;
      if (res.status >= 400 && res.status < 500 && res.status !== 429) {
        throw permanent(`the SMS gateway refused the message (${res.status})`);
      }
      throw new Error(`the SMS gateway answered ${res.status}`);
    },
  };
}

export function createNotifier(
  config: Config,
  store: Store,
  ids: Ids,
  clock: Clock,
  parts: {
    mail?: { send(m: OutgoingEmail): Promise<void> } | null;
    sms?: { send(m: OutgoingSms): Promise<void> } | null;
  } = {},
): Notifier & { close(): void } {
  const n = config.notifications;
  const mailer = parts.mail !== undefined ? parts.mail : n.smtpUrl ? smtpMailer(n.smtpUrl, n.mailFrom) : null;
  const sms = parts.sms !== undefined ? parts.sms : n.sms ? httpSmsGateway(n.sms) : null;
  const copy = (
    channel: 'email' | 'sms',
    recipient: string,
    subject: string | null,
    text: string,
    html: string | null,
  ) =>
    n.devOutbox
      ? store.write((repos) =>
          repos.outbox.insert({
            id: ids.uuid(),
            channel,
            recipient,
            subject,
            text,
            html,
            at: clock.now().toISOString(),
          }),
        )
      : Promise.resolve();
  return {
    async sendEmail(m) {
      if (!mailer && !n.devOutbox) throw permanent('no SMTP server is configured (POSTKASSE_SMTP_URL)');
      if (mailer) await mailer.send(m);
      await copy('email', m.to, m.subject, m.text, m.html);
    },
    async sendSms(m) {
      if (!sms && !n.devOutbox) throw permanent('no SMS gateway is configured (POSTKASSE_SMS_URL)');
      if (sms) await sms.send(m);
      await copy('sms', m.to, null, m.text, null);
    },
    close() {
      if (mailer && 'close' in mailer && typeof mailer.close === 'function') mailer.close();
    },
  };
}
