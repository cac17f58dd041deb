import {
  canSeeContent,
  type MailboxRole,
  type PersonActor,
  requireContentLevel,
  requireMailboxAccess,
} from './actors.js';
import { recordAudit } from './audit.js';
import { documentContent } from './document-content.js';
import { AppError } from './errors.js';
import { isCalendarDate, type LetterAction, parseDateTime } from './letter.js';
import type { Deps, Folder, Letter, LetterCursor, LetterFilter, Mailbox, Sender, StoredDocument } from './ports.js';
import { letterActions } from './send-letter.js';

export type MailboxSummary = Mailbox & { role: MailboxRole };

/** The mailboxes a person may open: their own, their organizations', and those delegated to them. */
export async function listMyMailboxes(deps: Deps, actor: PersonActor): Promise<MailboxSummary[]> {
  const repos = deps.store.read;
  const out: MailboxSummary[] = [];
  const own = await repos.mailboxes.findByOwner('person', actor.nationalId);
  if (own) out.push({ ...own, role: 'owner' });
  for (const m of await repos.members.listForPerson(actor.nationalId)) {
    if (m.scopeType !== 'mailbox') continue;
    const box = await repos.mailboxes.get(m.scopeId);
    if (box) out.push({ ...box, role: m.role === 'admin' ? 'org-admin' : 'org-reader' });
  }
  const now = deps.clock.now().toISOString();
  for (const g of await repos.grants.listActiveForGrantee(actor.nationalId, now)) {
    if (out.some((b) => b.id === g.mailboxId)) continue;
    const box = await repos.mailboxes.get(g.mailboxId);
    if (box) out.push({ ...box, role: g.scope === 'manage' ? 'delegate-manage' : 'delegate-read' });
  }
  return out;
}

/** An action as a reader sees it: its position, and the id of the document it belongs to. */
export type ReaderAction = Omit<LetterAction, 'documentIndex'> & { index: number; documentId?: string | undefined };

/** A letter as a reader sees it: `restricted` when the login level is too low for its content. */
export type LetterForReader = {
  letter: Letter;
  sender: Pick<Sender, 'id' | 'name' | 'orgNumber'> | null;
  restricted: boolean;
  documents: StoredDocument[];
  /** The letter's actions; none when restricted (they are content), and none in listings. */
  actions: ReaderAction[];
};

/** The letter's actions with their positions, and their documents named by id. */
function readerActions(letter: Letter, documents: StoredDocument[]): ReaderAction[] {
  return letterActions(letter).map(({ documentIndex, ...action }, index) => {
    const documentId = documents.find((d) => d.ordinal === documentIndex)?.id;
    return { ...action, index, ...(documentId ? { documentId } : {}) };
  });
}

function senderLookup(deps: Deps) {
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
  actions: ReaderAction[] = [],
): LetterForReader {
  const restricted = !canSeeContent(actor, letter);
  const showSender = !restricted || letter.sensitivity === 'normal';
  return {
    letter,
    sender: showSender && sender ? { id: sender.id, name: sender.name, orgNumber: sender.orgNumber } : null,
    restricted,
    documents: restricted ? [] : documents,
    actions: restricted ? [] : actions,
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

/** What a reader searches by; any combination. */
export type LetterSearch = {
  /** Words in the subject (where the login level shows it) or the non-sensitive title. */
  text?: string | undefined;
  /** A sender's organization number, or part of its name. */
  sender?: string | undefined;
  /** Delivered at or after / before (ISO dates or date-times). */
  from?: string | undefined;
  to?: string | undefined;
  unread?: boolean | undefined;
};

/** The last instant a four-digit year can name: later ones would not compare as text. */
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

async function searchFilter(deps: Deps, actor: PersonActor, search: LetterSearch): Promise<LetterFilter> {
  const levels = (['substantial', 'high'] as const).filter((authLevel) => canSeeContent(actor, { authLevel }));
  let senderIds: string[] | undefined;
  if (search.sender) {
    const wanted = search.sender.trim().toLocaleLowerCase('nb');
    senderIds = (await deps.store.read.senders.list())
      .filter((s) => s.orgNumber === wanted || s.name.toLocaleLowerCase('nb').includes(wanted))
      .map((s) => s.id);
  }
  // Only YYYY-MM-DD or an RFC 3339 date-time on a real date (not "2026", not 2026-02-31, not a
  // six-digit year): the bounds are compared with stored timestamps as text.
  const day = (v: string | undefined, end: boolean) => {
    if (!v) return undefined;
    const dateOnly = isCalendarDate(v);
    const at = dateOnly ? Date.parse(`${v}T00:00:00Z`) : parseDateTime(v);
    if (Number.isNaN(at)) {
      throw new AppError('validation_failed', `${end ? 'to' : 'from'} is not a date`, {
        errors: [
          {
            path: `query.${end ? 'to' : 'from'}`,
            code: 'invalid_date',
            message: 'YYYY-MM-DD or an RFC 3339 date-time such as 2026-05-01T12:00:00Z',
          },
        ],
      });
    }
    // A date alone means the whole day: `to` runs to its end. Kept within four-digit years.
    return new Date(Math.min(at + (end && dateOnly ? 86_400_000 : 0), LAST_INSTANT)).toISOString();
  };
  return {
    senderIds,
    from: day(search.from, false),
    to: day(search.to, true),
    unread: search.unread,
    visibleLevels: [...levels],
  };
}

/** Letters are read this many at a time while searching for words. */
const SEARCH_PAGE = 500;

/**
 * The first `wanted` letters after `after` whose non-sensitive title has `text`, or whose subject
 * has it where the reader's level shows the subject. Subjects are sealed (letter-meta.ts), so the
 * words are matched here, on opened letters, reading the folder in pages, newest first.
 */
async function findByWords(
  deps: Deps,
  mailboxId: string,
  folderId: string | null,
  after: LetterCursor | null,
  wanted: number,
  search: { text: string; filter: LetterFilter },
): Promise<Letter[]> {
  const has = (value: string | null) => value?.toLocaleLowerCase('nb').includes(search.text) === true;
  const levels: readonly string[] = search.filter.visibleLevels;
  const found: Letter[] = [];
  let cursor = after;
  for (;;) {
    const rows = await deps.store.read.letters.listInFolder(mailboxId, folderId, cursor, SEARCH_PAGE, search.filter);
    for (const letter of rows) {
      if (has(letter.nonSensitiveTitle) || (levels.includes(letter.authLevel) && has(letter.subject))) {
        found.push(letter);
        if (found.length === wanted) return found;
      }
    }
    const last = rows.at(-1);
    if (rows.length < SEARCH_PAGE || !last?.deliveredAt) return found;
    cursor = { deliveredAt: last.deliveredAt, id: last.id };
  }
}

export async function listLetters(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  query: { folder: string | null; after: LetterCursor | null; limit: number; search?: LetterSearch },
): Promise<{ items: LetterForReader[]; next: LetterCursor | null }> {
  await requireMailboxAccess(deps, actor, mailboxId);
  const folder = query.folder === null ? null : await resolveFolder(deps, mailboxId, query.folder);
  const filter = query.search ? await searchFilter(deps, actor, query.search) : undefined;
  const text = query.search?.text?.trim().toLocaleLowerCase('nb');
  const rows = text
    ? await findByWords(deps, mailboxId, folder?.id ?? null, query.after, query.limit + 1, {
        text,
        filter: filter as LetterFilter,
      })
    : await deps.store.read.letters.listInFolder(mailboxId, folder?.id ?? null, query.after, query.limit + 1, filter);
  const page = rows.slice(0, query.limit);
  const sender = senderLookup(deps);
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
  /** The letter as the answer to a change the actor made (already in the audit log): no view is logged. */
  options: { afterChange?: boolean } = {},
): Promise<LetterForReader> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  const documents = await deps.store.read.documents.listByLetter(letter.id);
  const sender = await deps.store.read.senders.get(letter.senderId);
  // Actions are content: opened only for a reader whose level shows it.
  const contentShown = canSeeContent(actor, letter);
  const actions = contentShown ? readerActions(letter, documents) : [];
  // What someone else (a delegate, an organization's member) saw of the owner's letter is the
  // owner's to know; the owner's own looking is not logged until a document is opened.
  if (access.role !== 'owner' && !options.afterChange) {
    await deps.store.write((repos) =>
      recordAudit(deps, repos, actor, access, 'letter.view', letter.id, { contentShown }),
    );
  }
  return presentForReader(actor, letter, sender, documents, actions);
}

/**
 * One appointment of a letter, for its calendar file. The same rules as reading a document: the
 * login level must reach the letter's, and the read is recorded in the mailbox's audit log. A
 * position that is not an appointment is not found.
 */
export async function readAppointment(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  index: number,
): Promise<{ letter: Letter; sender: Pick<Sender, 'id' | 'name' | 'orgNumber'> | null; action: ReaderAction }> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireContentLevel(actor, letter);
  const documents = await deps.store.read.documents.listByLetter(letter.id);
  const action = readerActions(letter, documents)[index];
  if (action?.type !== 'appointment') throw new AppError('not_found', 'No such appointment');
  const sender = await deps.store.read.senders.get(letter.senderId);
  await deps.store.write((repos) =>
    recordAudit(deps, repos, actor, access, 'action.calendar', letter.id, { actionIndex: index }),
  );
  return { letter, sender: sender ? { id: sender.id, name: sender.name, orgNumber: sender.orgNumber } : null, action };
}

/** A document under the checks for reading it: the reader's access, the letter, its login level. */
async function readableDocument(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  documentId: string,
) {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireContentLevel(actor, letter);
  const document = await deps.store.read.documents.get(letter.id, documentId);
  if (!document) throw new AppError('not_found', 'No such document');
  return { access, letter, document };
}

/**
 * A document's description under the same checks as opening it, without its bytes and without
 * recording anything: what a HEAD request (a link checker, a client asking for the size) gets.
 * Only reading the content is an opening.
 */
export async function describeDocument(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  documentId: string,
): Promise<StoredDocument> {
  return (await readableDocument(deps, actor, mailboxId, letterId, documentId)).document;
}

/**
 * Decrypts one document for a reader; every read is recorded in the mailbox's audit log with who
 * read it. The first opening of the main document is recorded on the letter once; the sender is
 * told (OPENED) only when it asked for an opening receipt or the letter is a legal notification.
 */
export async function openDocument(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  documentId: string,
): Promise<{ document: StoredDocument; content: Uint8Array }> {
  const { access, letter, document } = await readableDocument(deps, actor, mailboxId, letterId, documentId);
  const content = await documentContent(deps, access.mailbox, document);

  const now = deps.clock.now().toISOString();
  await deps.store.write(async (repos) => {
    await recordAudit(deps, repos, actor, access, 'document.read', letter.id, { documentId });
    if (document.role !== 'main' || letter.openedAt !== null) return;
    const first = await repos.letters.markOpened(mailboxId, letter.id, now);
    if (first && (letter.openingReceipt || letter.legalNotification)) {
      // Who opened it, as far as the sender may know: the recipient (the owner, or a member of the
      // recipient organization), or someone the owner gave access to (never who that is).
      const by = access.role.startsWith('delegate') ? 'delegate' : 'recipient';
      await repos.events.append([
        { id: deps.ids.uuid(), letterId: letter.id, senderId: letter.senderId, type: 'OPENED', at: now, data: { by } },
      ]);
    }
  });
  return { document, content };
}
