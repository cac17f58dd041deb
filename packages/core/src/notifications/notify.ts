/**
 * Notifications: when a letter becomes visible, the people who read that mailbox are told by
 * e-mail and/or SMS at their addresses in the register. Letters arriving close together are told
 * in one notification; repetitions remind on the days the sender asked, until the letter is
 * opened. Each notification sent is a NOTIFIED event on each letter it told of; one that cannot
 * be sent (or may not, with stale contact details for a legal notice) is NOTIFICATION_FAILED.
 *
 * The planner reads DELIVERED events from the event log with a cursor of its own, so nothing is
 * written per letter on the way in, and a crash loses nothing: the log is the outbox.
 */

import type { LetterEventType } from '../events.js';
import type {
  Deps,
  Job,
  Letter,
  NewEvent,
  NoticeLetter,
  Notification,
  NotificationChannel,
  Person,
  Repositories,
} from '../ports.js';
import { contactIsFresh } from '../register.js';
import { DAY_MS } from '../time.js';
import { webPaths } from '../web-paths.js';
import { dueTime } from './schedule.js';
import { type NotifiedLetter, renderEmail, renderSms, templateLanguage } from './templates.js';

const PLANNER = 'notifications';
const channels: NotificationChannel[] = ['email', 'sms'];
/** National ids asked of the register in one read. */
const PERSONS_PER_LOOKUP = 500;

function event(deps: Deps, letter: Letter, type: LetterEventType, data: Record<string, unknown>): NewEvent {
  return {
    id: deps.ids.uuid(),
    letterId: letter.id,
    senderId: letter.senderId,
    type,
    at: deps.clock.now().toISOString(),
    data,
  };
}

/** Who reads each of these mailboxes and wants to be told: its owner, or the organization's members who asked. */
async function readersOf(repos: Repositories, mailboxIds: string[]): Promise<Map<string, string[]>> {
  const readers = new Map<string, string[]>();
  if (mailboxIds.length === 0) return readers;
  const mailboxes = await repos.mailboxes.getMany(mailboxIds);
  await Promise.all(
    mailboxes.map(async (mailbox) => {
      if (mailbox.status !== 'active') return;
      readers.set(
        mailbox.id,
        mailbox.ownerType === 'person'
          ? [mailbox.ownerId]
          : (await repos.members.list('mailbox', mailbox.id)).filter((m) => m.notify).map((m) => m.nationalId),
      );
    }),
  );
  return readers;
}

/** The register's records of these persons, looked up in slices (an organization may have many members). */
async function personsOf(repos: Repositories, nationalIds: string[]): Promise<Map<string, Person>> {
  const persons = new Map<string, Person>();
  for (let i = 0; i < nationalIds.length; i += PERSONS_PER_LOOKUP) {
    for (const p of await repos.persons.findMany(nationalIds.slice(i, i + PERSONS_PER_LOOKUP)))
      persons.set(p.nationalId, p);
  }
  return persons;
}

function address(person: Person, channel: NotificationChannel) {
  return channel === 'email'
    ? { value: person.email, updatedAt: person.emailUpdatedAt, verifiedAt: person.emailVerifiedAt }
    : { value: person.mobile, updatedAt: person.mobileUpdatedAt, verifiedAt: person.mobileVerifiedAt };
}

/** One reader of a letter's mailbox to tell: at these addresses, or that nobody can be told (a legal notice). */
export type NotificationTarget = {
  nationalId: string;
  usable: Array<{ channel: NotificationChannel; address: string }>;
  failure: 'contact_details_stale' | 'no_contact_details' | null;
};

function targetsOf(
  deps: Deps,
  letter: Pick<Letter, 'legalNotification'>,
  readers: string[],
  persons: Map<string, Person>,
  now: Date,
): NotificationTarget[] {
  const targets: NotificationTarget[] = [];
  for (const nationalId of readers) {
    const person = persons.get(nationalId);
    if (person?.status !== 'active') continue;
    const usable: NotificationTarget['usable'] = [];
    let stale = false;
    for (const channel of channels) {
      const a = address(person, channel);
      if (!a.value) continue;
      if (letter.legalNotification && !contactIsFresh(a.updatedAt, a.verifiedAt, now, deps.policy.contactFreshMonths)) {
        stale = true;
        continue;
      }
      usable.push({ channel, address: a.value });
    }
    if (usable.length > 0) targets.push({ nationalId, usable, failure: null });
    else if (letter.legalNotification) {
      targets.push({ nationalId, usable, failure: stale ? 'contact_details_stale' : 'no_contact_details' });
    }
  }
  return targets;
}

/**
 * Who is to be told of each of these letters and where, in their order: only reads, so the
 * planner asks before its unit of work, and for a whole page of letters at once (one read of
 * their mailboxes, one of the persons who read them, and the members of each organization's
 * mailbox), not for each letter. A legal notice may use only contact details updated or verified
 * within the last 18 months; when none are, the target carries the failure the sender is told
 * of. Readers with nothing to do (no addresses, an ordinary letter) are left out.
 */
export async function notificationTargetsOf(
  deps: Deps,
  repos: Repositories,
  letters: NoticeLetter[],
): Promise<NotificationTarget[][]> {
  const told = (letter: NoticeLetter): letter is NoticeLetter & { mailboxId: string } =>
    letter.mailboxId !== null && letter.status === 'DELIVERED';
  const readers = await readersOf(repos, [...new Set(letters.filter(told).map((l) => l.mailboxId))]);
  const persons = await personsOf(repos, [...new Set([...readers.values()].flat())]);
  const now = deps.clock.now();
  return letters.map((letter) =>
    told(letter) ? targetsOf(deps, letter, readers.get(letter.mailboxId) ?? [], persons, now) : [],
  );
}

/** Who is to be told of one letter and where (see notificationTargetsOf). */
export async function notificationTargets(
  deps: Deps,
  repos: Repositories,
  letter: Letter,
): Promise<NotificationTarget[]> {
  return (await notificationTargetsOf(deps, repos, [letter]))[0] ?? [];
}

/**
 * Queues a letter's notifications to its targets, inside a unit of work: added to a pending
 * notification of the same reader, mailbox and channel (coalescing), or a new one due as the
 * schedule says. A target that cannot be told gives the sender NOTIFICATION_FAILED.
 */
async function queueToTargets(
  deps: Deps,
  repos: Repositories,
  letter: Letter,
  targets: NotificationTarget[],
  since: Date,
): Promise<number> {
  const mailboxId = letter.mailboxId;
  if (!mailboxId) return 0;
  const now = deps.clock.now();
  let queued = 0;
  for (const { nationalId, usable, failure } of targets) {
    if (failure) {
      await repos.events.append([event(deps, letter, 'NOTIFICATION_FAILED', { channel: null, reason: failure })]);
      continue;
    }
    for (const u of usable) {
      const pending = await repos.notifications.findPending(nationalId, mailboxId, u.channel);
      if (pending) {
        if (!pending.letterIds.includes(letter.id)) await repos.notifications.addLetter(pending.id, letter.id);
        continue;
      }
      const last = await repos.notifications.lastSent(nationalId, mailboxId, u.channel);
      // The coalescing window counts from when the letter arrived, not from when this ran.
      const due = dueTime(since, u.channel, last, deps.policy.notifications).toISOString();
      const n: Notification = {
        id: deps.ids.uuid(),
        nationalId,
        mailboxId,
        channel: u.channel,
        status: 'pending',
        letterIds: [letter.id],
        dueAt: due,
        address: u.address,
        sentAt: null,
        lastError: null,
        createdAt: now.toISOString(),
      };
      await repos.notifications.insert(n);
      await repos.jobs.enqueue([{ id: deps.ids.uuid(), kind: 'notify.send', ref: n.id, payload: {}, runAt: due }]);
    }
    queued += usable.length;
  }
  return queued;
}

/** Queues a letter for notification to everyone who should be told, inside a unit of work. */
export async function queueNotifications(
  deps: Deps,
  repos: Repositories,
  letter: Letter,
  since: Date = deps.clock.now(),
): Promise<number> {
  return queueToTargets(deps, repos, letter, await notificationTargets(deps, repos, letter), since);
}

/** The days after delivery the sender asked to be notified on (default: the day of delivery). */
export function repetitionDays(letter: Pick<Letter, 'notificationOptions'>): number[] {
  return [...new Set(letter.notificationOptions?.repetitions ?? [0])].sort((a, b) => a - b);
}

/**
 * Reads new DELIVERED events and queues their notifications and reminders; returns how many
 * letters. Everything that only reads (the events with what the plan needs of their letters in one
 * read, then their readers and addresses) is asked before the page's unit of work, all at once:
 * a unit of work holds the store's writer (on SQLite it pauses the thread that commits letters),
 * so it should hold only what writes. In the unit, a
 * letter that is to be told of is checked again (it may have been withdrawn meanwhile); the
 * cursor moves and the lease ends with it.
 */
export async function planNotifications(deps: Deps, options: { limit?: number } = {}): Promise<number> {
  const now = deps.clock.now();
  // The worker asks every second: with nothing new, a read answers without writing a lease.
  const peek = await deps.store.read.events.deliveredForNotice(await deps.store.read.cursors.get(PLANNER), 1);
  if (peek.length === 0) return 0;
  const leased = await deps.store.write((repos) =>
    repos.cursors.lease(PLANNER, now.toISOString(), new Date(now.getTime() + 60_000).toISOString()),
  );
  if (!leased) return 0;
  let released = false;
  try {
    const after = await deps.store.read.cursors.get(PLANNER);
    const events = await deps.store.read.events.deliveredForNotice(after, options.limit ?? 200);
    const last = events.at(-1);
    if (!last) return 0;
    const delivered = (letter: NoticeLetter) => letter.status === 'DELIVERED' && letter.deliveredAt !== null;
    // The letters to tell today, looked up together (one read per kind, not per letter).
    const letters = new Map(events.map((e) => [e.letter.id, e.letter]));
    const toTell = [...letters.values()].filter((l) => delivered(l) && repetitionDays(l).includes(0));
    const found = await notificationTargetsOf(deps, deps.store.read, toTell);
    const targets = new Map(toTell.map((l, i) => [l.id, found[i] ?? []]));
    const todo = events.flatMap(({ letter, at }) => {
      if (!delivered(letter)) return [];
      const told = targets.get(letter.id) ?? [];
      const reminders = repetitionDays(letter).filter((d) => d > 0);
      return told.length > 0 || reminders.length > 0 ? [{ letterId: letter.id, at, targets: told, reminders }] : [];
    });
    await deps.store.write(async (repos) => {
      const ids = todo.map((w) => w.letterId);
      const current = new Map((ids.length > 0 ? await repos.letters.getMany(ids) : []).map((l) => [l.id, l]));
      for (const w of todo) {
        const letter = current.get(w.letterId);
        if (letter?.status !== 'DELIVERED') continue;
        await queueToTargets(deps, repos, letter, w.targets, new Date(w.at));
        // Repetitions count from when the letter became visible to the reader.
        const from = Date.parse(w.at);
        await repos.jobs.enqueue(
          w.reminders.map((d) => ({
            id: deps.ids.uuid(),
            kind: 'notify.reminder' as const,
            ref: letter.id,
            payload: { day: d },
            runAt: new Date(from + d * DAY_MS).toISOString(),
          })),
        );
      }
      await repos.cursors.set(PLANNER, last.cursor);
      await repos.cursors.release(PLANNER);
    });
    released = true;
    return events.length;
  } finally {
    if (!released) await deps.store.write((repos) => repos.cursors.release(PLANNER));
  }
}

/** A repetition falls due: the letter is told again unless it was opened (or is gone) by now. */
export async function remind(deps: Deps, letterId: string): Promise<void> {
  const letter = await deps.store.read.letters.get(letterId);
  if (letter?.status !== 'DELIVERED' || letter.openedAt || letter.trashedAt) return;
  await deps.store.write((repos) => queueNotifications(deps, repos, letter));
}

/**
 * When the reader could first see the letter: its DELIVERED event (a held letter released today
 * keeps its original received time as `deliveredAt`, but it is news today, not a reminder).
 */
async function visibleSince(deps: Deps, letter: Letter): Promise<number> {
  const delivered = (await deps.store.read.events.listByLetter(letter.id)).find((e) => e.type === 'DELIVERED');
  return Date.parse(delivered?.at ?? letter.deliveredAt ?? letter.createdAt);
}

/** Sends a due notification: renders it in the person's language and hands it to the notifier. */
export async function sendNotification(deps: Deps, notificationId: string): Promise<void> {
  const current = await deps.store.read.notifications.get(notificationId);
  if (!current || (current.status !== 'pending' && current.status !== 'sending')) return;
  // Frozen in one step: from here on, new letters go into a new notification. A retry finds it
  // already frozen (sending) and sends what it held.
  const n =
    current.status === 'pending'
      ? ((await deps.store.write((repos) => repos.notifications.claim(notificationId))) ??
        (await deps.store.read.notifications.get(notificationId)))
      : current;
  if (n?.status !== 'sending') return;
  const letters: Letter[] = [];
  for (const id of n.letterIds) {
    const l = await deps.store.read.letters.get(id);
    if (l && l.status === 'DELIVERED' && !l.openedAt && !l.trashedAt) letters.push(l);
  }
  if (letters.length === 0) {
    await deps.store.write((repos) => repos.notifications.update(n.id, { status: 'skipped' }));
    return;
  }
  const person = await deps.store.read.persons.findByNationalId(n.nationalId);
  const to = person ? address(person, n.channel).value : null;
  if (!person || !to) throw Object.assign(new Error('no_contact_details'), { permanent: true });
  const language = templateLanguage(person.language, person.country);
  const base = deps.policy.notifications.publicUrl;
  const senders = new Map<string, string>();
  const told: NotifiedLetter[] = [];
  for (const l of letters) {
    if (!senders.has(l.senderId)) senders.set(l.senderId, (await deps.store.read.senders.get(l.senderId))?.name ?? '');
    told.push({
      senderName: l.sensitivity === 'sensitive' ? null : (senders.get(l.senderId) ?? null),
      nonSensitiveTitle: l.nonSensitiveTitle,
      link: `${base}${webPaths.letter(n.mailboxId, l.id)}`,
      legalNotification: l.legalNotification,
      reminder: Date.parse(n.createdAt) - (await visibleSince(deps, l)) > DAY_MS / 2,
    });
  }
  const options = letters.length === 1 ? letters[0]?.notificationOptions : null;
  const inboxLink = `${base}${webPaths.mailbox(n.mailboxId)}`;
  if (n.channel === 'email') {
    await deps.notifier.sendEmail({
      to,
      ...renderEmail(language, told, { overrideText: options?.emailText, inboxLink }),
    });
  } else {
    await deps.notifier.sendSms({ to, ...renderSms(language, told, { overrideText: options?.smsText, inboxLink }) });
  }
  const at = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.notifications.update(n.id, { status: 'sent', sentAt: at, address: to, lastError: null });
    await repos.events.append(
      letters.map((l) =>
        // Only the channel: nothing about other senders' letters or the person's addresses.
        event(deps, l, 'NOTIFIED', { channel: n.channel }),
      ),
    );
  });
}

/** Sending gave up: each letter's sender learns NOTIFICATION_FAILED for that channel. */
export async function notificationGaveUp(deps: Deps, notificationId: string, error: string): Promise<void> {
  const n = await deps.store.read.notifications.get(notificationId);
  if (!n || n.status === 'sent' || n.status === 'failed') return;
  const letters = (await Promise.all(n.letterIds.map((id) => deps.store.read.letters.get(id)))).filter(
    (l): l is Letter => l !== null,
  );
  const reason = error === 'no_contact_details' ? 'no_contact_details' : 'delivery_failed';
  await deps.store.write(async (repos) => {
    await repos.notifications.update(n.id, { status: 'failed', lastError: error });
    await repos.events.append(
      // The raw error (it may name the address or an internal host) stays in the notification row.
      letters.map((l) => event(deps, l, 'NOTIFICATION_FAILED', { channel: n.channel, reason })),
    );
  });
}

export async function runNotificationJob(deps: Deps, job: Job): Promise<void> {
  if (job.kind === 'notify.send') return sendNotification(deps, job.ref);
  if (job.kind === 'notify.reminder') return remind(deps, job.ref);
}

export async function notificationJobGaveUp(deps: Deps, job: Job, error: string): Promise<void> {
  if (job.kind === 'notify.send') await notificationGaveUp(deps, job.ref, error);
}
