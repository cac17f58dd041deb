import { canSeeContent, type PersonActor, requireContentLevel, requireMailboxAccess } from './actors.js';
import { AppError } from './errors.js';
import type { Deps, Folder, Letter, LetterCursor, Mailbox, Sender, StoredDocument } from './ports.js';

export type MailboxSummary = Mailbox & { role: 'owner' };

/** The mailboxes a person may open: today their own; delegation and organizations add more. */
export async function listMyMailboxes(deps: Deps, actor: PersonActor): Promise<MailboxSummary[]> {
  const own = await deps.store.read.mailboxes.findByOwner('person', actor.nationalId);
  return own ? [{ ...own, role: 'owner' }] : [];
}

/** A letter as a reader sees it: `restricted` when the login level is too low for its content. */
export type LetterForReader = {
  letter: Letter;
  sender: Pick<Sender, 'id' | 'name' | 'orgNumber'> | null;
  restricted: boolean;
  documents: StoredDocument[];
};

async function senderLookup(deps: Deps) {
  const cache = new Map<string, Sender | null>();
  return async (id: string) => {
    if (!cache.has(id)) cache.set(id, await deps.store.read.senders.get(id));
    return cache.get(id) ?? null;
  };
}

function presentForReader(
  actor: PersonActor,
  letter: Letter,
  sender: Sender | null,
  documents: StoredDocument[],
): LetterForReader {
  const restricted = !canSeeContent(actor, letter);
  const showSender = !restricted || letter.sensitivity === 'normal';
  return {
    letter,
    sender: showSender && sender ? { id: sender.id, name: sender.name, orgNumber: sender.orgNumber } : null,
    restricted,
    documents: restricted ? [] : documents,
  };
}

/** Resolves a folder reference: a folder id, or the name of a system folder. */
export async function resolveFolder(deps: Deps, mailboxId: string, ref: string): Promise<Folder> {
  const folder =
    ref === 'inbox' || ref === 'archive' || ref === 'trash'
      ? await deps.store.read.folders.findSystem(mailboxId, ref)
      : await deps.store.read.folders.get(mailboxId, ref);
  if (!folder) throw new AppError('not_found', 'No such folder');
  return folder;
}

export async function listLetters(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  query: { folder: string; after: LetterCursor | null; limit: number },
): Promise<{ items: LetterForReader[]; next: LetterCursor | null }> {
  await requireMailboxAccess(deps.store.read, actor, mailboxId);
  const folder = await resolveFolder(deps, mailboxId, query.folder);
  const rows = await deps.store.read.letters.listInFolder(mailboxId, folder.id, query.after, query.limit + 1);
  const page = rows.slice(0, query.limit);
  const sender = await senderLookup(deps);
  const items: LetterForReader[] = [];
  for (const letter of page) {
    items.push(presentForReader(actor, letter, await sender(letter.senderId), []));
  }
  const last = page.at(-1);
  const next = rows.length > query.limit && last?.deliveredAt ? { deliveredAt: last.deliveredAt, id: last.id } : null;
  return { items, next };
}

export async function requireLetter(deps: Deps, mailboxId: string, letterId: string): Promise<Letter> {
  const letter = await deps.store.read.letters.getInMailbox(mailboxId, letterId);
  if (!letter) throw new AppError('not_found', 'No such letter');
  return letter;
}

export async function getLetter(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
): Promise<LetterForReader> {
  await requireMailboxAccess(deps.store.read, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  const documents = await deps.store.read.documents.listByLetter(letter.id);
  const sender = await deps.store.read.senders.get(letter.senderId);
  return presentForReader(actor, letter, sender, documents);
}

/**
 * Decrypts one document for a reader. The first opening of the main document is recorded once;
 * the sender is told (OPENED) only when it asked for an opening receipt or the letter is a legal
 * notification: nothing else about reading is tracked.
 */
export async function openDocument(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  documentId: string,
): Promise<{ document: StoredDocument; content: Uint8Array }> {
  const { mailbox } = await requireMailboxAccess(deps.store.read, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireContentLevel(actor, letter);
  const document = await deps.store.read.documents.get(letter.id, documentId);
  if (!document) throw new AppError('not_found', 'No such document');
  const ciphertext = await deps.blobs.get(document.blobKey);
  const content = await deps.vault.open(mailbox, document.id, document.wrappedKey, ciphertext);

  if (document.role === 'main' && letter.openedAt === null) {
    const now = deps.clock.now().toISOString();
    await deps.store.write(async (repos) => {
      const first = await repos.letters.markOpened(mailboxId, letter.id, now);
      if (!first) return;
      if (letter.openingReceipt || letter.legalNotification) {
        await repos.events.append([
          { id: deps.ids.uuid(), letterId: letter.id, senderId: letter.senderId, type: 'OPENED', at: now, data: {} },
        ]);
      }
    });
  }
  return { document, content };
}
