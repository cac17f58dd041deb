import type { SenderActor } from './actors.js';
import { AppError } from './errors.js';
import type { LetterEvent } from './events.js';
import type { Deps, FeedCursor, Letter } from './ports.js';

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
