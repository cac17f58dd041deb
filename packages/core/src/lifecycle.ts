/**
 * What happens to a letter after it was accepted: a scheduled letter falls due, a held letter
 * is released or expires, a letter goes to print, a sender cancels. Each step is a job or a
 * request, and each changes the letter only from the status it expects, so running a step twice
 * (a job is at least once) changes nothing the second time.
 */

import type { SenderActor } from './actors.js';
import { documentContent } from './document-content.js';
import { AppError } from './errors.js';
import type { LetterEventType } from './events.js';
import { resealFor, sealDocumentMeta } from './letter-meta.js';
import { purgeTrashedLetter } from './organize-mailbox.js';
import {
  type Deps,
  type Job,
  type Keyholder,
  type Letter,
  type LetterStatus,
  type NewJob,
  type PrintDocument,
  platformKeyholder,
  type Repositories,
} from './ports.js';
import { type Route, routeLetter } from './routing.js';
import { recipientState } from './send-letter.js';
import { DAY_MS } from './time.js';

/** A failure that retrying cannot fix. */
export class PermanentJobError extends Error {
  readonly permanent = true;
}

function event(deps: Deps, letter: Letter, type: LetterEventType, at: string, data: Record<string, unknown> = {}) {
  return { id: deps.ids.uuid(), letterId: letter.id, senderId: letter.senderId, type, at, data };
}

function job(deps: Deps, letter: Letter, kind: NewJob['kind'], runAt: string, payload = {}): NewJob {
  return { id: deps.ids.uuid(), kind, ref: letter.id, payload, runAt };
}

async function keyholderOf(repos: Repositories, letter: Letter): Promise<Keyholder> {
  if (!letter.mailboxId) return platformKeyholder;
  const mailbox = await repos.mailboxes.get(letter.mailboxId);
  if (!mailbox) throw new Error(`mailbox ${letter.mailboxId} of letter ${letter.id} is gone`);
  return mailbox;
}

async function routeAgain(deps: Deps, letter: Letter): Promise<Route & { inboxId: string | null }> {
  const sender = await deps.store.read.senders.get(letter.senderId);
  if (!sender) throw new Error(`sender ${letter.senderId} is gone`);
  const state = await recipientState(deps.store.read, sender, { type: letter.recipientType, id: letter.recipientId });
  const route = routeLetter({
    senderKind: sender.kind,
    recipient: state,
    hasPrintDetails: letter.printDetails !== null,
    // A letter routed again keeps waiting only while its hold lasts.
    hasRegistrationDeadline: letter.holdUntil !== null,
  });
  return { ...route, inboxId: state.inboxId };
}

/**
 * Moves a letter into its recipient's inbox: its content keys are wrapped for the mailbox
 * (they were the platform's while it waited), and the sender gets DELIVERED.
 */
async function deliver(
  deps: Deps,
  letter: Letter,
  from: LetterStatus[],
  route: Extract<Route, { outcome: 'DELIVERED' }>,
  inboxId: string | null,
  deliveredAt: string,
  data: Record<string, unknown> = {},
): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  const documents = await deps.store.read.documents.listByLetter(letter.id);
  const current = await keyholderOf(deps.store.read, letter);
  // The documents' keys and the letter's sealed fields go to the mailbox (letter-meta.ts).
  const moving = current.id !== route.mailbox.id;
  const rewrapped = moving
    ? await Promise.all(
        documents.map(async (d) => ({
          id: d.id,
          wrappedKey: await deps.vault.rewrap(current, route.mailbox, d.contentId, d.wrappedKey),
          sealedMeta: (await sealDocumentMeta(deps.vault, route.mailbox, d)).sealedMeta ?? null,
        })),
      )
    : [];
  const sealedMeta = moving ? { sealedMeta: await resealFor(deps, route.mailbox, letter) } : {};
  return deps.store.write(async (repos) => {
    const moved = await repos.letters.transition(letter.id, from, {
      status: 'DELIVERED',
      mailboxId: route.mailbox.id,
      folderId: inboxId,
      deliveredAt,
      holdUntil: null,
      rejectReason: null,
      ...sealedMeta,
    });
    if (!moved) return false;
    await repos.documents.rewrap(rewrapped);
    await repos.jobs.cancelFor(letter.id);
    await repos.events.append([event(deps, letter, 'DELIVERED', now, data)]);
    if (letter.printIfUnreadAfter) {
      await repos.jobs.enqueue([job(deps, letter, 'letter.print_if_unread', letter.printIfUnreadAfter)]);
    }
    return true;
  });
}

async function queuePrint(deps: Deps, letter: Letter, from: LetterStatus[], reason: string): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  return deps.store.write(async (repos) => {
    if (!(await repos.letters.transition(letter.id, from, { status: 'PRINT_QUEUED', holdUntil: null }))) return false;
    await repos.jobs.cancelFor(letter.id);
    await repos.events.append([event(deps, letter, 'PRINT_QUEUED', now, { reason })]);
    await repos.jobs.enqueue([job(deps, letter, 'letter.print', now)]);
    return true;
  });
}

/** Ends a letter that will never be read: its documents are dropped (the sweep removes blobs). */
async function finish(
  deps: Deps,
  letter: Letter,
  from: LetterStatus[],
  status: Extract<LetterStatus, 'REJECTED' | 'HELD_EXPIRED' | 'CANCELLED'>,
  data: Record<string, unknown> = {},
): Promise<boolean> {
  const now = deps.clock.now().toISOString();
  return deps.store.write(async (repos) => {
    const patch = {
      status,
      plannedStatus: null,
      ...(status === 'REJECTED' ? { rejectReason: data.reason as Letter['rejectReason'] } : {}),
    };
    if (!(await repos.letters.transition(letter.id, from, patch))) return false;
    await repos.jobs.cancelFor(letter.id);
    // Its receipt still names the documents (their digests), then they go.
    await repos.events.append([event(deps, letter, status, now, data)]);
    await repos.documents.deleteByLetter(letter.id);
    return true;
  });
}

/** A scheduled letter falls due: it is routed again, as the register stands now. */
export async function deliverDueLetter(deps: Deps, letter: Letter): Promise<void> {
  if (letter.status !== 'SCHEDULED') return;
  const route = await routeAgain(deps, letter);
  const now = deps.clock.now();
  if (route.outcome === 'DELIVERED') {
    await deliver(deps, letter, ['SCHEDULED'], route, route.inboxId, now.toISOString());
  } else if (route.outcome === 'PRINT') {
    await queuePrint(deps, letter, ['SCHEDULED'], route.reason);
  } else if (route.outcome === 'REJECTED') {
    await finish(deps, letter, ['SCHEDULED'], 'REJECTED', { reason: route.reason });
  } else {
    const holdUntil = letter.holdUntil ?? new Date(now.getTime() + deps.policy.defaultHoldDays * DAY_MS).toISOString();
    await deps.store.write(async (repos) => {
      if (!(await repos.letters.transition(letter.id, ['SCHEDULED'], { status: 'HELD', holdUntil }))) return;
      await repos.events.append([event(deps, letter, 'HELD', now.toISOString(), { until: holdUntil })]);
      await repos.jobs.enqueue([job(deps, letter, 'letter.hold_expired', holdUntil)]);
    });
  }
}

/** The hold ran out: the letter is printed when print details were given, or expires. */
export async function expireHeldLetter(deps: Deps, letter: Letter): Promise<void> {
  if (letter.status !== 'HELD') return;
  if (letter.holdUntil && Date.parse(letter.holdUntil) > deps.clock.now().getTime()) return;
  if (letter.printDetails) await queuePrint(deps, letter, ['HELD'], 'recipient_not_reachable');
  else await finish(deps, letter, ['HELD'], 'HELD_EXPIRED');
}

/** The recipient registered or consented: held letters they may now receive are delivered. */
export async function releaseHeldLetters(
  deps: Deps,
  recipient: { type: 'person' | 'organization'; id: string },
  senderId: string | null,
): Promise<number> {
  let released = 0;
  for (const letter of await deps.store.read.letters.listHeld(recipient.type, recipient.id, senderId)) {
    const route = await routeAgain(deps, letter);
    if (route.outcome !== 'DELIVERED') continue;
    // The letter keeps its original received time in the inbox; the event says when it arrived.
    if (await deliver(deps, letter, ['HELD'], route, route.inboxId, letter.createdAt, { releasedFromHold: true })) {
      released += 1;
    }
  }
  return released;
}

/** Nobody opened a delivered letter in time: it goes on paper as well. */
export async function printIfUnread(deps: Deps, letter: Letter): Promise<void> {
  if (letter.status !== 'DELIVERED' || letter.openedAt !== null || !letter.printDetails) return;
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    const fresh = await repos.letters.get(letter.id);
    if (!fresh || fresh.openedAt !== null) return;
    // Once only, however often this job runs.
    if ((await repos.events.listByLetter(letter.id)).some((e) => e.type === 'PRINT_QUEUED')) return;
    await repos.events.append([event(deps, letter, 'PRINT_QUEUED', now, { reason: 'unread' })]);
    await repos.jobs.enqueue([job(deps, letter, 'letter.print', now, { unread: true })]);
  });
}

/** Hands a letter to the printing house; PRINTED when it took the job. */
export async function printLetter(deps: Deps, letter: Letter, unread: boolean): Promise<void> {
  if (!unread && letter.status !== 'PRINT_QUEUED') return;
  if (unread && letter.status !== 'DELIVERED') return;
  if (!letter.printDetails) throw new PermanentJobError('the letter has no print details');
  if (unread && (await deps.store.read.events.listByLetter(letter.id)).some((e) => e.type === 'PRINTED')) return;
  const sender = await deps.store.read.senders.get(letter.senderId);
  const keyholder = await keyholderOf(deps.store.read, letter);
  const documents: PrintDocument[] = [];
  for (const d of await deps.store.read.documents.listByLetter(letter.id)) {
    if (d.role === 'technical') continue;
    const content = await documentContent(deps, keyholder, d);
    documents.push({ filename: d.filename, mediaType: d.mediaType, role: d.role, content });
  }
  const { reference } = await deps.print.submit({
    letterId: letter.id,
    senderName: sender?.name ?? '',
    details: letter.printDetails,
    documents,
  });
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    if (!unread && !(await repos.letters.transition(letter.id, ['PRINT_QUEUED'], { status: 'PRINTED' }))) return;
    await repos.events.append([event(deps, letter, 'PRINTED', now, { reference })]);
  });
}

/** The printing house kept refusing: the sender is told. */
export async function printGaveUp(deps: Deps, letter: Letter, unread: boolean): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    if (!unread && !(await repos.letters.transition(letter.id, ['PRINT_QUEUED'], { status: 'PRINT_FAILED' }))) return;
    // The printing house's own error text stays in the job (it may name internal hosts).
    await repos.events.append([event(deps, letter, 'PRINT_FAILED', now, { reason: 'print_failed' })]);
  });
}

/**
 * Before a batch commits: letters whose recipient changed since they were added (reserved,
 * exempt, consent withdrawn …) are routed again, so the commit follows the register as it is now.
 */
export async function rerouteBeforeCommit(
  deps: Deps,
  batchId: string,
  senderKind: 'public' | 'private',
): Promise<number> {
  const changed = await deps.store.read.letters.pendingNoLongerDeliverable(batchId, senderKind);
  for (const letter of changed) {
    const route = await routeAgain(deps, letter);
    if (route.outcome === 'REJECTED') {
      await finish(deps, letter, ['PENDING'], 'REJECTED', { reason: route.reason });
    } else if (route.outcome === 'PRINT') {
      await deps.store.write((repos) =>
        repos.letters.transition(letter.id, ['PENDING'], { plannedStatus: 'PRINT_QUEUED', rejectReason: route.reason }),
      );
    } else if (route.outcome === 'HELD') {
      const holdUntil =
        letter.holdUntil ?? new Date(deps.clock.now().getTime() + deps.policy.defaultHoldDays * DAY_MS).toISOString();
      await deps.store.write((repos) =>
        repos.letters.transition(letter.id, ['PENDING'], { plannedStatus: 'HELD', holdUntil }),
      );
    }
  }
  return changed.length;
}

const cancellable: LetterStatus[] = ['SCHEDULED', 'HELD', 'PENDING'];

/** The sender cancels a letter nobody has seen yet: scheduled, held, or in an open batch. */
export async function cancelLetter(deps: Deps, actor: SenderActor, externalId: string): Promise<Letter> {
  const letter = await deps.store.read.letters.findByExternalId(actor.sender.id, externalId);
  if (!letter) throw new AppError('not_found', 'No such message');
  if (letter.status === 'CANCELLED') return letter;
  if (!cancellable.includes(letter.status) || !(await finish(deps, letter, cancellable, 'CANCELLED'))) {
    throw new AppError('invalid_operation', `The letter is ${letter.status} and can no longer be cancelled`, {
      extra: { letterStatus: letter.status },
    });
  }
  return (await deps.store.read.letters.get(letter.id)) ?? letter;
}

/** Runs one job of the letter lifecycle. */
export async function runLifecycleJob(deps: Deps, job: Job): Promise<void> {
  if (job.kind === 'held.release') {
    const p = job.payload as { recipientType: 'person' | 'organization'; recipientId: string; senderId?: string };
    await releaseHeldLetters(deps, { type: p.recipientType, id: p.recipientId }, p.senderId ?? null);
    return;
  }
  const letter = await deps.store.read.letters.get(job.ref);
  if (!letter) return;
  switch (job.kind) {
    case 'letter.due':
      return deliverDueLetter(deps, letter);
    case 'letter.hold_expired':
      return expireHeldLetter(deps, letter);
    case 'letter.print_if_unread':
      return printIfUnread(deps, letter);
    case 'letter.print':
      return printLetter(deps, letter, job.payload.unread === true);
    case 'letter.purge':
      await purgeTrashedLetter(deps, letter);
      return;
  }
}

/** A lifecycle job gave up for good. */
export async function lifecycleJobGaveUp(deps: Deps, job: Job, _error: string): Promise<void> {
  if (job.kind !== 'letter.print') return;
  const letter = await deps.store.read.letters.get(job.ref);
  if (letter) await printGaveUp(deps, letter, job.payload.unread === true);
}
