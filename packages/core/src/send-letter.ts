import type { SenderActor } from './actors.js';
import { canonicalJson } from './canonical.js';
import { AppError } from './errors.js';
import type { LetterEvent, RejectReason } from './events.js';
import { type LetterInput, parseRecipient, validateLetter } from './letter.js';
import type { PartyId } from './parties.js';
import type { Deps, Letter, Mailbox, NewEvent, Sender, StoredDocument } from './ports.js';

/** The letter and its events (what the sender is told; the feed adds their order). */
export type SendResult = { letter: Letter; events: Array<Omit<LetterEvent, 'seq'>>; replayed: boolean };

type Route = { outcome: 'DELIVERED'; mailbox: Mailbox } | { outcome: 'REJECTED'; reason: RejectReason };

/**
 * Routing for the cases the platform knows today: a public sender reaches any active mailbox;
 * a recipient without one is rejected. Private senders need the recipient's consent, which the
 * register brings; until then they reach nobody, and the answer is the same whether or not the
 * person exists.
 */
export function routeLetter(sender: Sender, mailbox: Mailbox | null): Route {
  if (sender.kind === 'private') return { outcome: 'REJECTED', reason: 'recipient_not_reachable' };
  if (mailbox?.status !== 'active') {
    return { outcome: 'REJECTED', reason: 'recipient_has_no_mailbox' };
  }
  return { outcome: 'DELIVERED', mailbox };
}

/** What makes two submissions "the same letter": every field and every document's bytes. */
export function letterRequestHash(
  deps: Pick<Deps, 'hasher'>,
  input: LetterInput,
  digests: string[] = input.documents.map((d) => deps.hasher.sha256Hex(d.content)),
): string {
  const { documents, ...meta } = input;
  const docs = documents.map(({ content: _content, ...d }, i) => ({ ...d, sha256: digests[i] }));
  return deps.hasher.sha256Hex(canonicalJson({ ...meta, documents: docs }));
}

function ownerOf(party: PartyId): { type: 'person' | 'organization'; id: string } {
  return party.kind === 'person'
    ? { type: 'person', id: party.nationalId }
    : { type: 'organization', id: party.orgNumber };
}

async function replay(deps: Deps, existing: Letter, requestHash: string): Promise<SendResult> {
  if (existing.requestHash !== requestHash) {
    throw new AppError(
      'idempotency_conflict',
      `A different message with id ${existing.externalId} was already sent; choose a new id`,
    );
  }
  const events = await deps.store.read.events.listByLetter(existing.id);
  return { letter: existing, events, replayed: true };
}

/**
 * Accepts a letter from a sender: validates it, routes it, encrypts its documents for the
 * recipient's mailbox and stores everything in one transaction. Idempotent on the sender's id.
 */
export async function sendLetter(deps: Deps, actor: SenderActor, input: LetterInput): Promise<SendResult> {
  const sender = actor.sender;
  if (sender.kind === 'private' && (input.legalNotification || input.mandatory)) {
    throw new AppError(
      'not_allowed_for_private_sender',
      'Only public senders may mark a letter as legal notification or mandatory',
    );
  }
  const party = parseRecipient(input.recipient);
  validateLetter(input);
  const digests = input.documents.map((d) => deps.hasher.sha256Hex(d.content));
  const requestHash = letterRequestHash(deps, input, digests);

  const existing = await deps.store.read.letters.findByExternalId(sender.id, input.id);
  if (existing) return replay(deps, existing, requestHash);

  const owner = ownerOf(party);
  const target = await deps.store.read.mailboxes.findDeliveryTarget(owner.type, owner.id);
  const route = routeLetter(sender, target?.mailbox ?? null);
  const now = deps.clock.now().toISOString();
  const letterId = deps.ids.uuid();

  let inbox: string | null = null;
  const documents: StoredDocument[] = [];
  if (route.outcome === 'DELIVERED') {
    inbox = target?.inboxId ?? null;
    // Blobs are written (and synced) before the rows that point at them commit; a crash in
    // between leaves only unreferenced ciphertext, which the orphan sweep removes.
    await Promise.all(
      input.documents.map(async (doc, ordinal) => {
        const id = deps.ids.uuid();
        const sealed = await deps.vault.seal(route.mailbox, id, doc.content);
        const blobKey = deps.ids.uuid();
        await deps.blobs.put(blobKey, sealed.ciphertext);
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
        });
      }),
    );
    documents.sort((a, b) => a.ordinal - b.ordinal);
  }

  const letter: Letter = {
    id: letterId,
    senderId: sender.id,
    externalId: input.id,
    requestHash,
    recipientType: owner.type,
    recipientId: owner.id,
    mailboxId: route.outcome === 'DELIVERED' ? route.mailbox.id : null,
    status: route.outcome,
    rejectReason: route.outcome === 'REJECTED' ? route.reason : null,
    subject: input.subject,
    nonSensitiveTitle: input.nonSensitiveTitle ?? null,
    authLevel: input.authLevel,
    sensitivity: input.sensitivity,
    openingReceipt: input.openingReceipt,
    legalNotification: input.legalNotification,
    mandatory: input.mandatory,
    senderReference: input.senderReference ?? null,
    createdAt: now,
    deliveredAt: route.outcome === 'DELIVERED' ? now : null,
    openedAt: null,
    folderId: inbox,
    readAt: null,
    trashedAt: null,
    restoreFolderId: null,
    documentCount: input.documents.length,
    totalBytes: input.documents.reduce((n, d) => n + d.content.byteLength, 0),
  };
  const event = (type: NewEvent['type'], data: Record<string, unknown> = {}): NewEvent => ({
    id: deps.ids.uuid(),
    letterId,
    senderId: sender.id,
    type,
    at: now,
    data,
  });
  const events =
    route.outcome === 'DELIVERED'
      ? [event('ACCEPTED'), event('DELIVERED')]
      : [event('REJECTED', { reason: route.reason })];

  const dropBlobs = () => Promise.all(documents.map((d) => deps.blobs.delete(d.blobKey).catch(() => undefined)));
  let inserted: boolean;
  try {
    inserted = await deps.store.write(async (repos) => {
      if (!(await repos.letters.insertIfAbsent(letter))) return false;
      await repos.documents.insertMany(documents);
      await repos.events.append(events);
      return true;
    });
  } catch (error) {
    await dropBlobs();
    throw error;
  }
  if (!inserted) {
    // Lost a race with an identical (or conflicting) submission of the same id.
    await dropBlobs();
    const winner = await deps.store.read.letters.findByExternalId(sender.id, input.id);
    if (!winner) throw new AppError('service_unavailable', 'Concurrent submission; try again');
    return replay(deps, winner, requestHash);
  }
  return { letter, events, replayed: false };
}
