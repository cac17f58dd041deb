import type { SenderActor } from './actors.js';
import { documentContent } from './document-content.js';
import { AppError } from './errors.js';
import type { LetterEvent } from './events.js';
import { type Deps, type FeedCursor, type Letter, platformKeyholder, type StoredDocument } from './ports.js';

/** One of the sender's own letters with its events; another sender's id answers not found. */
export async function getSentLetter(
  deps: Deps,
  actor: SenderActor,
  externalId: string,
): Promise<{ letter: Letter; events: LetterEvent[] }> {
  const letter = await deps.store.read.letters.findByExternalId(actor.sender.id, externalId);
  if (!letter) throw new AppError('not_found', 'No such message');
  return { letter, events: await deps.store.read.events.listByLetter(letter.id) };
}

/** The sender's events in order, from a cursor. */
export async function readEventFeed(deps: Deps, actor: SenderActor, after: FeedCursor | null, limit: number) {
  return deps.store.read.events.feed(actor.sender.id, after, limit);
}

/**
 * Whether a cursor lies beyond every event written so far: no answer ever gave it (it was made
 * up, or belongs to another installation), and a reader polling from it would skip events.
 */
export async function isAheadOfFeed(deps: Pick<Deps, 'store'>, cursor: FeedCursor): Promise<boolean> {
  const head = await deps.store.read.events.latestGlobalCursor();
  if (!head) return true;
  const [tx, headTx] = [BigInt(cursor.tx), BigInt(head.tx)];
  return tx > headTx || (tx === headTx && cursor.seq > head.seq);
}

/**
 * One of the sender's letters with its documents decrypted and the format extras it was sent
 * with, for exporting it in a standard format. Letters whose documents were never kept
 * (rejected) or were dropped (expired, cancelled) cannot be exported.
 */
export async function exportSentLetter(
  deps: Deps,
  actor: SenderActor,
  externalId: string,
): Promise<{
  letter: Letter;
  documents: Array<StoredDocument & { content: Uint8Array }>;
  extras: Record<string, unknown> | null;
}> {
  const letter = await deps.store.read.letters.findByExternalId(actor.sender.id, externalId);
  if (!letter) throw new AppError('not_found', 'No such message');
  const stored = await deps.store.read.documents.listByLetter(letter.id);
  if (stored.length < letter.documentCount) {
    const why =
      letter.status === 'DELIVERED'
        ? 'the recipient deleted it (30 days in the trash)'
        : `the letter is ${letter.status}`;
    throw new AppError('invalid_operation', `Its documents are no longer kept: ${why}`);
  }
  const keyholder = letter.mailboxId ? await deps.store.read.mailboxes.get(letter.mailboxId) : platformKeyholder;
  if (!keyholder) throw new AppError('invalid_operation', 'The recipient mailbox is gone');
  const documents = await Promise.all(
    stored.map(async (d) => ({
      ...d,
      content: await documentContent(deps, keyholder, d),
    })),
  );
  const extras = letter.extras
    ? (JSON.parse(Buffer.from(letter.extras).toString('utf8')) as Record<string, unknown>)
    : null;
  return { letter, documents, extras };
}
