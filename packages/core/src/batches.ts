/**
 * Batches: a sender opens a batch, uploads documents its letters share, adds letters (many per
 * request), and commits: every letter then takes its outcome at once, in one transaction. A
 * shared document is stored once; each letter gets the content key wrapped for its own mailbox.
 */
import type { SenderActor } from './actors.js';
import { AppError, type FieldError, isAppError } from './errors.js';
import type { DocumentRole, LetterAction, LetterInput } from './letter.js';
import {
  allowedMediaTypes,
  checkFilename,
  looksLikePdf,
  parseRecipient,
  resolveActions,
  validateLetter,
} from './letter.js';
import { sealDocumentMeta, sealLetterMeta } from './letter-meta.js';
import { rerouteBeforeCommit } from './lifecycle.js';
import {
  type Batch,
  type BatchDocument,
  type Deps,
  type Letter,
  type NewEvent,
  type NewJob,
  platformKeyholder,
  type StoredDocument,
} from './ports.js';
import { routeLetter } from './routing.js';
import {
  actionsJson,
  checkSenderOptions,
  idempotencyConflict,
  letterRecord,
  letterRequestHash,
  ownerOf,
  planEvents,
  planJobs,
  planLetter,
} from './send-letter.js';

export const maxLettersPerRequest = 1000;

export async function createBatch(deps: Deps, actor: SenderActor, reference: string | null): Promise<Batch> {
  const batch: Batch = {
    id: deps.ids.uuid(),
    senderId: actor.sender.id,
    reference,
    status: 'open',
    createdAt: deps.clock.now().toISOString(),
    committedAt: null,
    cancelledAt: null,
  };
  await deps.store.write((repos) => repos.batches.insert(batch));
  return batch;
}

export async function requireBatch(deps: Deps, actor: SenderActor, id: string, open = false): Promise<Batch> {
  const batch = await deps.store.read.batches.get(actor.sender.id, id);
  if (!batch) throw new AppError('not_found', 'No such batch');
  if (open && batch.status !== 'open') throw new AppError('invalid_operation', `The batch is ${batch.status}`);
  return batch;
}

export async function getBatch(
  deps: Deps,
  actor: SenderActor,
  id: string,
): Promise<Batch & { counts: Record<string, number> }> {
  const batch = await requireBatch(deps, actor, id);
  return { ...batch, counts: await deps.store.read.batches.counts(batch.id) };
}

/** Uploads a document the batch's letters may share; it is encrypted under the platform key. */
export async function addBatchDocument(
  deps: Deps,
  actor: SenderActor,
  batchId: string,
  file: { filename: string; mediaType: string; content: Uint8Array },
): Promise<BatchDocument> {
  const batch = await requireBatch(deps, actor, batchId, true);
  const errors: FieldError[] = [];
  const bad = checkFilename(file.filename);
  if (bad) errors.push({ path: 'file.filename', code: 'invalid_filename', message: bad });
  if (!allowedMediaTypes.has(file.mediaType)) {
    errors.push({
      path: 'file.mediaType',
      code: 'unsupported_document_type',
      message: `${file.mediaType} is not accepted`,
    });
  }
  if (file.content.byteLength === 0) errors.push({ path: 'file', code: 'empty_document', message: 'empty' });
  else if (file.mediaType === 'application/pdf' && !looksLikePdf(file.content)) {
    errors.push({ path: 'file.mediaType', code: 'media_type_mismatch', message: 'the content is not a PDF' });
  }
  if (errors.length > 0) throw new AppError('invalid_letter', 'The document is not valid', { errors });
  const id = deps.ids.uuid();
  const sealed = await deps.vault.seal(platformKeyholder, id, file.content);
  const doc: BatchDocument = {
    id,
    batchId: batch.id,
    filename: file.filename,
    mediaType: file.mediaType,
    size: file.content.byteLength,
    sha256: deps.hasher.sha256Hex(file.content),
    blobKey: deps.ids.uuid(),
    wrappedKey: sealed.wrappedKey,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.blobs.put(doc.blobKey, sealed.ciphertext);
  await deps.store.write((repos) => repos.batches.insertDocument(doc));
  return doc;
}

/** A letter whose documents are the batch's shared documents, named by id. */
export type SharedLetterInput = Omit<LetterInput, 'documents'> & {
  documents: Array<{
    documentId: string;
    role: DocumentRole;
    title?: string | undefined;
    filename?: string | undefined;
    language?: string | undefined;
  }>;
};

/** One letter's outcome; `index` is its place in the request, and outcomes come in that order. */
export type BulkOutcome =
  | { id: string; index: number; letter: Letter; replayed: boolean }
  | { id: string; index: number; error: AppError };

type Prepared = {
  index: number;
  input: SharedLetterInput;
  letter: Letter;
  /** The letter and its documents as stored: their descriptive fields sealed (letter-meta.ts). */
  stored: Letter;
  documents: StoredDocument[];
  events: NewEvent[];
  jobs: NewJob[];
};

/**
 * Adds up to 1,000 letters to an open batch in one transaction. Each letter is validated and
 * routed on its own; one bad letter fails alone, with its index and reason, and the rest go in.
 */
export async function addSharedLetters(
  deps: Deps,
  actor: SenderActor,
  batchId: string,
  inputs: SharedLetterInput[],
): Promise<BulkOutcome[]> {
  const batch = await requireBatch(deps, actor, batchId, true);
  if (inputs.length > maxLettersPerRequest) {
    throw new AppError('validation_failed', `At most ${maxLettersPerRequest} letters per request`);
  }
  const sender = actor.sender;
  const now = deps.clock.now();
  const at = now.toISOString();
  const shared = new Map<string, BatchDocument | null>();
  for (const id of new Set(inputs.flatMap((l) => l.documents.map((d) => d.documentId)))) {
    shared.set(id, await deps.store.read.batches.getDocument(batch.id, id));
  }

  const outcomes: BulkOutcome[] = [];
  /** Letters validateLetter refused: one stored earlier under its id (a time check may refuse it today) replays. */
  const refusedNow: Array<{ index: number; input: SharedLetterInput; hash: string; error: AppError }> = [];
  const valid: Array<{
    index: number;
    input: SharedLetterInput;
    owner: ReturnType<typeof ownerOf>;
    hash: string;
    actions: LetterAction[];
  }> = [];
  inputs.forEach((input, index) => {
    try {
      checkSenderOptions(sender, input);
      const owner = ownerOf(parseRecipient(input.recipient));
      const missing = input.documents.findIndex((d) => !shared.get(d.documentId));
      if (missing >= 0) {
        throw new AppError('invalid_letter', `documents[${missing}].documentId names no document of this batch`, {
          errors: [
            { path: `documents[${missing}].documentId`, code: 'unknown_document', message: 'not in this batch' },
          ],
        });
      }
      const docs = input.documents.map((d) => shared.get(d.documentId) as BatchDocument);
      // An action's `document` names one of the letter's batch documents by id.
      const partOf = (documentId: string) => {
        const i = input.documents.findIndex((d) => d.documentId === documentId.toLowerCase());
        return i >= 0 ? `documents[${i}]` : documentId;
      };
      const asInput: LetterInput = {
        ...input,
        actions: input.actions?.map((a) => (a.document === undefined ? a : { ...a, document: partOf(a.document) })),
        documents: input.documents.map((d, i) => ({
          part: `documents[${i}]`,
          role: d.role,
          title: d.title,
          filename: d.filename ?? (docs[i] as BatchDocument).filename,
          mediaType: (docs[i] as BatchDocument).mediaType,
          language: d.language,
          content: new Uint8Array(0),
        })),
      };
      const hash = letterRequestHash(
        deps,
        asInput,
        docs.map((d) => d.sha256),
      );
      try {
        validateLetter(
          asInput,
          now,
          docs.map((d) => d.size),
        );
      } catch (error) {
        if (!isAppError(error)) throw error;
        refusedNow.push({ index, input, hash, error });
        return;
      }
      valid.push({ index, input, owner, hash, actions: resolveActions(asInput.actions ?? [], asInput.documents) });
    } catch (error) {
      if (!isAppError(error)) throw error;
      outcomes.push({ id: input.id, error, index });
    }
  });

  // What the register, the mailboxes and the consents say, read once for the whole request.
  const repos = deps.store.read;
  const existing = new Map(
    (
      await repos.letters.findManyByExternalIds(sender.id, [
        ...valid.map((v) => v.input.id),
        ...refusedNow.map((r) => r.input.id),
      ])
    ).map((l) => [l.externalId, l]),
  );
  for (const { index, input, hash, error } of refusedNow) {
    const before = existing.get(input.id);
    const conflict = before && idempotencyConflict(before, hash, batch.id);
    outcomes.push(
      before && !conflict
        ? { id: input.id, index, letter: before, replayed: true }
        : { id: input.id, index, error: conflict || error },
    );
  }
  const personIds = valid.filter((v) => v.owner.type === 'person').map((v) => v.owner.id);
  const orgIds = valid.filter((v) => v.owner.type === 'organization').map((v) => v.owner.id);
  const targets = new Map(
    [
      ...(await repos.mailboxes.findDeliveryTargets('person', personIds)),
      ...(await repos.mailboxes.findDeliveryTargets('organization', orgIds)),
    ].map((t) => [`${t.mailbox.ownerType}:${t.mailbox.ownerId}`, t]),
  );
  const persons = new Map((await repos.persons.findMany(personIds)).map((p) => [p.nationalId, p]));
  const consents =
    sender.kind === 'private' ? await repos.consents.activeAmong(sender.id, personIds) : new Set<string>();

  const prepared: Prepared[] = [];
  const seen = new Map<string, string>();
  const duplicates: Array<{ id: string; index: number; hash: string }> = [];
  for (const { index, input, owner, hash, actions } of valid) {
    const before = existing.get(input.id);
    const earlier = seen.get(input.id);
    if (!before && earlier !== undefined) {
      // The same id twice in one request: the same letter answers like the first; another is a conflict.
      duplicates.push({ id: input.id, index, hash });
      continue;
    }
    if (before) {
      const conflict = idempotencyConflict(before, hash, batch.id);
      outcomes.push(
        conflict ? { id: input.id, index, error: conflict } : { id: input.id, index, letter: before, replayed: true },
      );
      continue;
    }
    seen.set(input.id, hash);
    const target = targets.get(`${owner.type}:${owner.id}`);
    const route = routeLetter({
      senderKind: sender.kind,
      recipient: {
        type: owner.type,
        person: persons.get(owner.id) ?? null,
        mailbox: target?.mailbox ?? null,
        consent: consents.has(owner.id),
      },
      hasPrintDetails: input.printDetails !== undefined,
      hasRegistrationDeadline: input.registrationDeadline !== undefined,
    });
    const plan = planLetter(route, input, target?.inboxId ?? null, now, {
      defaultHoldDays: deps.policy.defaultHoldDays,
      batchId: batch.id,
    });
    const letterId = deps.ids.uuid();
    const docs = input.documents.map((d) => shared.get(d.documentId) as BatchDocument);
    const letter = letterRecord(sender, input, { letterId, requestHash: hash }, owner, plan, at, batch.id, {
      documentCount: docs.length,
      totalBytes: docs.reduce((n, d) => n + d.size, 0),
    });
    letter.actions = actionsJson(actions);
    const keyholder = plan.keyholder;
    const documents: StoredDocument[] = [];
    if (keyholder) {
      for (const [ordinal, d] of input.documents.entries()) {
        const doc = docs[ordinal] as BatchDocument;
        documents.push({
          id: deps.ids.uuid(),
          letterId,
          ordinal,
          role: d.role,
          title: d.title ?? null,
          filename: d.filename ?? doc.filename,
          mediaType: doc.mediaType,
          language: d.language ?? null,
          size: doc.size,
          sha256: doc.sha256,
          blobKey: doc.blobKey,
          wrappedKey:
            keyholder.id === platformKeyholder.id
              ? doc.wrappedKey
              : await deps.vault.rewrap(platformKeyholder, keyholder, doc.id, doc.wrappedKey),
          contentId: doc.id,
        });
      }
    }
    const sealedFor = keyholder ?? platformKeyholder;
    prepared.push({
      index,
      input,
      letter,
      stored: await sealLetterMeta(deps.vault, sealedFor, letter),
      documents: await Promise.all(documents.map((d) => sealDocumentMeta(deps.vault, sealedFor, d))),
      events: planEvents(deps, letter, plan, at),
      jobs: planJobs(deps, letter, plan),
    });
  }

  const inserted = await deps.store.write(async (w) => {
    const open = await w.batches.lock(sender.id, batch.id, 'share');
    if (open?.status !== 'open') throw new AppError('invalid_operation', 'The batch is no longer open');
    const ids = await w.letters.insertManyIfAbsent(prepared.map((p) => p.stored));
    const kept = prepared.filter((p) => ids.has(p.letter.id));
    await w.documents.insertMany(kept.flatMap((p) => p.documents));
    await w.events.append(kept.flatMap((p) => p.events));
    await w.jobs.enqueue(kept.flatMap((p) => p.jobs));
    return ids;
  });
  for (const p of prepared) {
    if (inserted.has(p.letter.id)) {
      outcomes.push({ id: p.input.id, index: p.index, letter: p.letter, replayed: false });
    } else {
      // Another request took this id in the meantime.
      const winner = await deps.store.read.letters.findByExternalId(sender.id, p.input.id);
      const conflict = winner
        ? idempotencyConflict(winner, p.letter.requestHash, batch.id)
        : new AppError('service_unavailable', 'Concurrent submission; try again');
      outcomes.push(
        winner && !conflict
          ? { id: p.input.id, index: p.index, letter: winner, replayed: true }
          : { id: p.input.id, index: p.index, error: conflict as AppError },
      );
    }
  }
  for (const d of duplicates) {
    const first = outcomes.find((o) => o.id === d.id && 'letter' in o);
    outcomes.push(
      first && 'letter' in first && first.letter.requestHash === d.hash
        ? { id: d.id, index: d.index, letter: first.letter, replayed: true }
        : {
            id: d.id,
            index: d.index,
            error: new AppError('idempotency_conflict', `A different message with id ${d.id} was already sent`),
          },
    );
  }
  return outcomes.sort((a, b) => a.index - b.index);
}

/** Commits a batch: all its letters take their outcome in one transaction. */
export async function commitBatch(
  deps: Deps,
  actor: SenderActor,
  id: string,
): Promise<Batch & { counts: Record<string, number> }> {
  const batch = await requireBatch(deps, actor, id);
  if (batch.status === 'committed') return getBatch(deps, actor, id);
  if (batch.status === 'open') await rerouteBeforeCommit(deps, batch.id, actor.sender.kind);
  const at = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.batches.lock(actor.sender.id, batch.id, 'update');
    if (!(await repos.batches.transition(batch.id, 'open', 'committed', at))) {
      throw new AppError('invalid_operation', 'The batch is not open');
    }
    await repos.letters.commitBatch(batch.id, at);
  });
  return getBatch(deps, actor, id);
}

/** Cancels an open batch: none of its letters is ever seen. */
export async function cancelBatch(
  deps: Deps,
  actor: SenderActor,
  id: string,
): Promise<Batch & { counts: Record<string, number> }> {
  const batch = await requireBatch(deps, actor, id);
  if (batch.status === 'cancelled') return getBatch(deps, actor, id);
  const at = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await repos.batches.lock(actor.sender.id, batch.id, 'update');
    if (!(await repos.batches.transition(batch.id, 'open', 'cancelled', at))) {
      throw new AppError('invalid_operation', `The batch is ${batch.status} and can no longer be cancelled`);
    }
    await repos.letters.cancelBatch(batch.id, at);
  });
  return getBatch(deps, actor, id);
}
