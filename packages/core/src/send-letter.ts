import type { SenderActor } from './actors.js';
import { canonicalJson } from './canonical.js';
import { AppError, isAppError } from './errors.js';
import type { LetterEvent } from './events.js';
import { type LetterAction, type LetterInput, parseRecipient, resolveActions, validateLetter } from './letter.js';
import { sealDocumentMeta, sealLetterMeta } from './letter-meta.js';
import type { PartyId } from './parties.js';
import {
  type Batch,
  type BlobRow,
  type Deps,
  type Keyholder,
  type Letter,
  type LetterStatus,
  type NewEvent,
  type NewJob,
  platformKeyholder,
  type ReceiptSubject,
  type Repositories,
  type Sender,
  type StoredDocument,
} from './ports.js';
import { type RecipientState, type Route, routeLetter } from './routing.js';
import { DAY_MS } from './time.js';

/** The letter and its events (what the sender is told; the feed adds their order). */
export type SendResult = { letter: Letter; events: Array<Omit<LetterEvent, 'seq'>>; replayed: boolean };

/** What makes two submissions "the same letter": every field and every document's bytes. */
export function letterRequestHash(
  deps: Pick<Deps, 'hasher'>,
  input: LetterInput,
  digests: string[] = input.documents.map((d) => deps.hasher.sha256Hex(d.content)),
): string {
  const { documents, actions, ...rest } = input;
  // No actions and an empty list are the same letter (and hash as letters did before actions).
  const meta = actions && actions.length > 0 ? { ...rest, actions } : rest;
  const docs = documents.map(({ content: _content, ...d }, i) => ({ ...d, sha256: digests[i] }));
  return deps.hasher.sha256Hex(canonicalJson({ ...meta, documents: docs }));
}

export function ownerOf(party: PartyId): { type: 'person' | 'organization'; id: string } {
  return party.kind === 'person'
    ? { type: 'person', id: party.nationalId }
    : { type: 'organization', id: party.orgNumber };
}

/** What the register, the mailboxes and the consents say about one recipient, for one sender. */
export async function recipientState(
  repos: Repositories,
  sender: Sender,
  owner: { type: 'person' | 'organization'; id: string },
): Promise<RecipientState & { inboxId: string | null }> {
  // One lookup for all of it (on PostgreSQL one round trip; on SQLite one read on its thread).
  const { target, person, consented } = await repos.recipients.lookup(
    owner,
    sender.kind === 'private' && owner.type === 'person' ? sender.id : null,
  );
  return {
    type: owner.type,
    person,
    mailbox: target?.mailbox ?? null,
    inboxId: target?.inboxId ?? null,
    consent: consented,
  };
}

/** Rules a letter's options follow that depend on who sends it. */
export function checkSenderOptions(
  sender: Sender,
  input: Pick<LetterInput, 'legalNotification' | 'mandatory' | 'registrationDeadline'>,
): void {
  if (sender.kind === 'private' && (input.legalNotification || input.mandatory)) {
    throw new AppError(
      'not_allowed_for_private_sender',
      'Only public senders may mark a letter as legal notification or mandatory',
    );
  }
  if (sender.kind === 'public' && input.registrationDeadline) {
    throw new AppError('invalid_letter', 'registrationDeadline: only private senders hold letters for registration', {
      errors: [
        {
          path: 'registrationDeadline',
          code: 'only_for_private_senders',
          message: 'public senders reach registered recipients or print',
        },
      ],
    });
  }
}

/**
 * Why a letter sent again under a taken id is not the letter stored under it (null: it is). The
 * batch it went into is part of the letter: the same letter sent again into another batch, or on
 * its own, would be answered with a status it does not have there.
 */
export function idempotencyConflict(
  existing: Pick<Letter, 'externalId' | 'requestHash' | 'batchId'>,
  requestHash: string,
  batchId: string | null,
): AppError | null {
  if (existing.requestHash !== requestHash) {
    return new AppError(
      'idempotency_conflict',
      `A different message with id ${existing.externalId} was already sent; choose a new id`,
    );
  }
  if (existing.batchId !== batchId) {
    const where = existing.batchId ? `in batch ${existing.batchId}` : 'on its own, not in a batch';
    return new AppError(
      'idempotency_conflict',
      `The message with id ${existing.externalId} was already sent ${where}; choose a new id to send it again here`,
    );
  }
  return null;
}

async function replay(deps: Deps, existing: Letter, requestHash: string, batchId: string | null): Promise<SendResult> {
  const conflict = idempotencyConflict(existing, requestHash, batchId);
  if (conflict) throw conflict;
  const events = await deps.store.read.events.listByLetter(existing.id);
  return { letter: existing, events, replayed: true };
}

/** A letter's routing decision turned into its state, events and follow-up jobs. */
export type LetterPlan = {
  status: LetterStatus;
  plannedStatus: LetterStatus | null;
  mailboxId: string | null;
  folderId: string | null;
  deliveredAt: string | null;
  holdUntil: string | null;
  rejectReason: Letter['rejectReason'];
  /** Who holds the documents' content keys: the mailbox, or the platform until there is one. */
  keyholder: Keyholder | null;
  events: Array<{ type: NewEvent['type']; data: Record<string, unknown> }>;
  jobs: Array<{ kind: NewJob['kind']; runAt: string }>;
};

/**
 * Turns a route into what is stored. A scheduled letter (deliverAt) is routed again when it
 * falls due; one in an open batch waits, with its planned outcome, for the commit.
 */
export function planLetter(
  route: Route,
  input: Pick<LetterInput, 'deliverAt' | 'registrationDeadline' | 'printIfUnreadAfter'>,
  inboxId: string | null,
  now: Date,
  options: { defaultHoldDays: number; batchId: string | null },
): LetterPlan {
  const at = now.toISOString();
  const accepted = {
    type: 'ACCEPTED' as const,
    data: {
      ...(input.deliverAt ? { deliverAt: input.deliverAt } : {}),
      ...(options.batchId ? { batchId: options.batchId } : {}),
    },
  };
  const base = {
    plannedStatus: null,
    mailboxId: null,
    folderId: null,
    deliveredAt: null,
    holdUntil: null,
    rejectReason: null,
    keyholder: platformKeyholder,
  };
  if (route.outcome === 'REJECTED') {
    return {
      ...base,
      status: 'REJECTED',
      rejectReason: route.reason,
      keyholder: null,
      events: [{ type: 'REJECTED', data: { reason: route.reason } }],
      jobs: [],
    };
  }
  const mailboxId = route.outcome === 'DELIVERED' ? route.mailbox.id : null;
  const keyholder = route.outcome === 'DELIVERED' ? route.mailbox : platformKeyholder;
  if (input.deliverAt) {
    return {
      ...base,
      status: options.batchId ? 'PENDING' : 'SCHEDULED',
      plannedStatus: options.batchId ? 'SCHEDULED' : null,
      mailboxId,
      keyholder,
      events: [accepted],
      jobs: options.batchId ? [] : [{ kind: 'letter.due', runAt: input.deliverAt }],
    };
  }
  const pending = (status: LetterStatus, rest: Partial<LetterPlan>): LetterPlan => ({
    ...base,
    ...rest,
    status: 'PENDING',
    plannedStatus: status,
    mailboxId,
    keyholder,
    folderId: null,
    deliveredAt: null,
    events: [accepted],
    jobs: [],
  });
  if (route.outcome === 'DELIVERED') {
    if (options.batchId) return pending('DELIVERED', {});
    return {
      ...base,
      status: 'DELIVERED',
      mailboxId,
      keyholder,
      folderId: inboxId,
      deliveredAt: at,
      events: [accepted, { type: 'DELIVERED', data: {} }],
      jobs: input.printIfUnreadAfter ? [{ kind: 'letter.print_if_unread', runAt: input.printIfUnreadAfter }] : [],
    };
  }
  if (route.outcome === 'PRINT') {
    if (options.batchId) return pending('PRINT_QUEUED', { rejectReason: route.reason });
    return {
      ...base,
      status: 'PRINT_QUEUED',
      rejectReason: route.reason,
      events: [accepted, { type: 'PRINT_QUEUED', data: { reason: route.reason } }],
      jobs: [{ kind: 'letter.print', runAt: at }],
    };
  }
  const holdUntil =
    input.registrationDeadline ?? new Date(now.getTime() + options.defaultHoldDays * DAY_MS).toISOString();
  if (options.batchId) return pending('HELD', { holdUntil });
  return {
    ...base,
    status: 'HELD',
    holdUntil,
    events: [accepted, { type: 'HELD', data: { until: holdUntil } }],
    jobs: [{ kind: 'letter.hold_expired', runAt: holdUntil }],
  };
}

const toIso = (v: string | null | undefined): string | null => (v ? new Date(v).toISOString() : null);

export function letterRecord(
  sender: Sender,
  input: Omit<LetterInput, 'documents'>,
  ids: { letterId: string; requestHash: string },
  owner: { type: 'person' | 'organization'; id: string },
  plan: LetterPlan,
  now: string,
  batchId: string | null,
  sizes: { documentCount: number; totalBytes: number },
): Letter {
  return {
    id: ids.letterId,
    senderId: sender.id,
    externalId: input.id,
    requestHash: ids.requestHash,
    recipientType: owner.type,
    recipientId: owner.id,
    mailboxId: plan.mailboxId,
    status: plan.status,
    rejectReason: plan.rejectReason,
    subject: input.subject,
    nonSensitiveTitle: input.nonSensitiveTitle ?? null,
    authLevel: input.authLevel,
    sensitivity: input.sensitivity,
    openingReceipt: input.openingReceipt,
    legalNotification: input.legalNotification,
    mandatory: input.mandatory,
    senderReference: input.senderReference ?? null,
    createdAt: now,
    deliveredAt: plan.deliveredAt,
    openedAt: null,
    folderId: plan.folderId,
    readAt: null,
    trashedAt: null,
    restoreFolderId: null,
    documentCount: sizes.documentCount,
    totalBytes: sizes.totalBytes,
    deliverAt: toIso(input.deliverAt),
    holdUntil: toIso(
      plan.holdUntil ?? (plan.status === 'SCHEDULED' || plan.status === 'PENDING' ? input.registrationDeadline : null),
    ),
    printDetails: input.printDetails ?? null,
    printIfUnreadAfter: toIso(input.printIfUnreadAfter),
    batchId,
    plannedStatus: plan.plannedStatus,
    extras: null,
    notificationOptions: input.notification ?? null,
    replyBy: toIso(input.replyBy),
    actions: null,
  };
}

/**
 * A letter's actions as the letter keeps them. They are content (amounts, links, places): at rest
 * they are sealed with its subject, for its keyholder (letter-meta.ts).
 */
export function actionsJson(actions: LetterAction[]): Uint8Array | null {
  return actions.length === 0 ? null : Buffer.from(JSON.stringify(actions), 'utf8');
}

/** A letter's actions (none when it has none). */
export function letterActions(letter: Letter): LetterAction[] {
  if (!letter.actions) return [];
  return JSON.parse(Buffer.from(letter.actions).toString('utf8')) as LetterAction[];
}

export function planEvents(deps: Pick<Deps, 'ids'>, letter: Letter, plan: LetterPlan, at: string): NewEvent[] {
  return plan.events.map((e) => ({
    id: deps.ids.uuid(),
    letterId: letter.id,
    senderId: letter.senderId,
    type: e.type,
    at,
    data: e.data,
  }));
}

/**
 * The events with their receipts, signed now, before they are written: what is stored is what the
 * platform said at the time, whatever becomes of the rows later.
 */
export function signEvents(
  deps: Pick<Deps, 'receipts'>,
  sender: Pick<Sender, 'orgNumber'>,
  letter: Pick<Letter, 'externalId' | 'recipientType' | 'recipientId'>,
  events: NewEvent[],
  documents: string[],
): Promise<NewEvent[]> {
  const signer = deps.receipts;
  if (!signer) return Promise.resolve(events);
  return Promise.all(
    events.map(async (e) => ({
      ...e,
      receipt: await signer.sign(receiptSubject(e, letter, sender.orgNumber, documents)),
    })),
  );
}

/** What an event's receipt states: the event, its letter's id as the sender knows it, and the parties. */
export function receiptSubject(
  e: NewEvent,
  letter: Pick<Letter, 'externalId' | 'recipientType' | 'recipientId'>,
  senderOrgNumber: string,
  documents: string[] | undefined,
): ReceiptSubject {
  return {
    id: e.id,
    type: e.type,
    at: e.at,
    data: e.data,
    messageId: letter.externalId,
    senderId: e.senderId,
    senderOrgNumber,
    recipient: { type: letter.recipientType, id: letter.recipientId },
    documents,
  };
}

export function planJobs(deps: Pick<Deps, 'ids'>, letter: Letter, plan: LetterPlan): NewJob[] {
  return plan.jobs.map((j) => ({
    id: deps.ids.uuid(),
    kind: j.kind,
    ref: letter.id,
    payload: {},
    runAt: new Date(j.runAt).toISOString(),
  }));
}

/**
 * Accepts a letter from a sender: validates it, routes it, encrypts its documents for the
 * recipient's mailbox (or for the platform, while there is none) and stores the letter, its
 * events and its follow-up jobs in one transaction. Idempotent on the sender's id.
 */
export async function sendLetter(
  deps: Deps,
  actor: SenderActor,
  input: LetterInput,
  options: {
    batch?: Batch;
  } = {},
): Promise<SendResult> {
  const sender = actor.sender;
  checkSenderOptions(sender, input);
  const party = parseRecipient(input.recipient);
  const nowDate = deps.clock.now();
  const digests = input.documents.map((d) => deps.hasher.sha256Hex(d.content));
  const requestHash = letterRequestHash(deps, input, digests);
  const batchId = options.batch?.id ?? null;
  try {
    validateLetter(input, nowDate);
  } catch (error) {
    // A letter sent again is answered as it was stored, even when a check that depends on the
    // time (a deliverAt or replyBy that has passed since) would refuse it today.
    const earlier = isAppError(error) ? await deps.store.read.letters.findByExternalId(sender.id, input.id) : null;
    if (earlier) return replay(deps, earlier, requestHash, batchId);
    throw error;
  }

  // No lookup of the sender's id first: the insert is guarded by it (see below), so a new letter,
  // the common case, costs no extra read, and a repeated one is answered after its insert finds
  // the id taken (its blobs kept as rows are never written, others are removed again).
  const owner = ownerOf(party);
  const state = await recipientState(deps.store.read, sender, owner);
  const route = routeLetter({
    senderKind: sender.kind,
    recipient: state,
    hasPrintDetails: input.printDetails !== undefined,
    hasRegistrationDeadline: input.registrationDeadline !== undefined,
  });
  const plan = planLetter(route, input, state.inboxId, nowDate, {
    defaultHoldDays: deps.policy.defaultHoldDays,
    batchId,
  });
  const now = nowDate.toISOString();
  const letterId = deps.ids.uuid();

  const documents: StoredDocument[] = [];
  // Small sealed documents kept as database rows go in the letter's own unit of work; others are
  // written (and synced) before the rows that point at them commit: a crash in between leaves
  // only unreferenced ciphertext, which the orphan sweep removes.
  const rows: BlobRow[] = [];
  const put: string[] = [];
  const rowMaxBytes = deps.blobs.rowMaxBytes ?? -1;
  const keyholder = plan.keyholder;
  if (keyholder) {
    await Promise.all(
      input.documents.map(async (doc, ordinal) => {
        const id = deps.ids.uuid();
        const sealed = await deps.vault.seal(keyholder, id, doc.content);
        const blobKey = deps.ids.uuid();
        if (sealed.ciphertext.byteLength <= rowMaxBytes) rows.push({ key: blobKey, data: sealed.ciphertext });
        else {
          put.push(blobKey);
          await deps.blobs.put(blobKey, sealed.ciphertext);
        }
        documents.push({
          id,
          letterId,
          ordinal,
          role: doc.role,
          title: doc.title ?? null,
          filename: doc.filename,
          mediaType: doc.mediaType,
          language: doc.language ?? null,
          size: doc.content.byteLength,
          sha256: digests[ordinal] ?? '',
          blobKey,
          wrappedKey: sealed.wrappedKey,
          contentId: id,
        });
      }),
    );
    documents.sort((a, b) => a.ordinal - b.ordinal);
  }

  const letter = letterRecord(sender, input, { letterId, requestHash }, owner, plan, now, batchId, {
    documentCount: input.documents.length,
    totalBytes: input.documents.reduce((n, d) => n + d.content.byteLength, 0),
  });
  // Sealed with the subject for the letter's keyholder (sealLetterMeta below).
  if (input.extras) letter.extras = Buffer.from(JSON.stringify(input.extras), 'utf8');
  letter.actions = actionsJson(resolveActions(input.actions ?? [], input.documents));
  const events = await signEvents(deps, sender, letter, planEvents(deps, letter, plan, now), digests);
  const jobs = planJobs(deps, letter, plan);
  // What is stored: the letter's and its documents' descriptive fields sealed like the documents.
  const sealedFor = keyholder ?? platformKeyholder;
  const stored = await sealLetterMeta(deps.vault, sealedFor, letter);
  const storedDocuments = await Promise.all(documents.map((d) => sealDocumentMeta(deps.vault, sealedFor, d)));

  const dropBlobs = () => Promise.all(put.map((key) => deps.blobs.delete(key).catch(() => undefined)));
  let inserted: boolean;
  try {
    const batch = options.batch;
    const unit = { letter: stored, documents: storedDocuments, events, jobs, blobs: rows };
    const insertion = batch
      ? deps.store.write(async (repos) => {
          const locked = await repos.batches.lock(sender.id, batch.id, 'share');
          if (locked?.status !== 'open') throw new AppError('invalid_operation', 'The batch is no longer open');
          return repos.letters.insertWithContents(unit);
        })
      : // A letter on its own reads nothing in its unit of work: the store may run it off the event loop.
        deps.store.insert.letter(unit);
    inserted = await insertion;
  } catch (error) {
    await dropBlobs();
    throw error;
  }
  if (!inserted) {
    // The sender's id is taken: a repeated submission, or a race with an identical (or
    // conflicting) one.
    await dropBlobs();
    const winner = await deps.store.read.letters.findByExternalId(sender.id, input.id);
    if (!winner) throw new AppError('service_unavailable', 'Concurrent submission; try again');
    return replay(deps, winner, requestHash, batchId);
  }
  return { letter, events, replayed: false };
}
