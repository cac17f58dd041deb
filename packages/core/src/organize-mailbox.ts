import { canDelete, canOrganize, type PersonActor, requireCapability, requireMailboxAccess } from './actors.js';
import { recordAudit } from './audit.js';
import { AppError } from './errors.js';
import { resealFor } from './letter-meta.js';
import { type Deps, type Folder, type Letter, type LetterPatch, platformKeyholder } from './ports.js';
import { requireLetter, resolveFolder } from './read-mailbox.js';

/** Marks a letter read or unread and/or moves it to another folder (not to trash: delete does). */
export async function updateLetter(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
  change: { read?: boolean | undefined; folderId?: string | undefined },
): Promise<void> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireCapability(canOrganize(access), 'move letters or mark them');
  const patch: LetterPatch = {};
  if (change.read !== undefined) {
    patch.readAt = change.read ? (letter.readAt ?? deps.clock.now().toISOString()) : null;
  }
  if (change.folderId !== undefined) {
    const target = await resolveFolder(deps, mailboxId, change.folderId);
    if (target.kind === 'trash') {
      throw new AppError('invalid_operation', 'Use DELETE to move a letter to the trash');
    }
    if (letter.trashedAt) requireCapability(canDelete(access), 'take letters out of the trash');
    patch.folderId = target.id;
    if (letter.trashedAt) {
      patch.trashedAt = null;
      patch.restoreFolderId = null;
    }
  }
  if (Object.keys(patch).length > 0) {
    await deps.store.write(async (repos) => {
      await repos.letters.update(mailboxId, letterId, patch);
      await recordAudit(deps, repos, actor, access, 'letter.update', letterId, { ...change });
    });
  }
}

/** Moves a letter to the trash, remembering where it was. Only the owner deletes. */
export async function trashLetter(deps: Deps, actor: PersonActor, mailboxId: string, letterId: string): Promise<void> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireCapability(canDelete(access), 'delete letters');
  if (letter.trashedAt) return;
  const trash = await resolveFolder(deps, mailboxId, 'trash');
  const now = deps.clock.now();
  await deps.store.write(async (repos) => {
    await repos.letters.update(mailboxId, letterId, {
      folderId: trash.id,
      trashedAt: now.toISOString(),
      restoreFolderId: letter.folderId,
    });
    await recordAudit(deps, repos, actor, access, 'letter.trash', letterId);
    // Deleted for good once it has lain in the trash this long (a restore makes the job a no-op).
    await repos.jobs.enqueue([
      {
        id: deps.ids.uuid(),
        kind: 'letter.purge',
        ref: letterId,
        payload: {},
        runAt: new Date(now.getTime() + trashRetentionMs).toISOString(),
      },
    ]);
  });
}

/** How long a deleted letter stays in the trash, restorable, before it is deleted for good. */
export const trashRetentionMs = 30 * 24 * 3600_000;

/**
 * A letter that has lain in the trash for `trashRetentionMs` leaves the mailbox for good: its
 * documents are dropped (their ciphertext is swept with the orphaned blobs) and no reader finds
 * it any more. The sender keeps its status and receipts: they are the evidence of delivery.
 */
export async function purgeTrashedLetter(deps: Deps, letter: Letter): Promise<boolean> {
  if (!letter.trashedAt || !letter.mailboxId) return false;
  const cutoff = new Date(deps.clock.now().getTime() - trashRetentionMs).toISOString();
  if (letter.trashedAt > cutoff) return false;
  // The sender keeps the letter's record: its sealed fields go back to the platform's key.
  const sealedMeta = await resealFor(deps, platformKeyholder, letter);
  return deps.store.write(async (repos) => {
    if (!(await repos.letters.purgeTrashed(letter.id, cutoff, sealedMeta))) return false;
    await repos.documents.deleteByLetter(letter.id);
    return true;
  });
}

/** Brings a letter back from the trash to the folder it came from (or the inbox if that is gone). */
export async function restoreLetter(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  letterId: string,
): Promise<void> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const letter = await requireLetter(deps, mailboxId, letterId);
  requireCapability(canDelete(access), 'restore letters');
  if (!letter.trashedAt) return;
  const back =
    (letter.restoreFolderId && (await deps.store.read.folders.get(mailboxId, letter.restoreFolderId))) ||
    (await resolveFolder(deps, mailboxId, 'inbox'));
  await deps.store.write(async (repos) => {
    await repos.letters.update(mailboxId, letterId, { folderId: back.id, trashedAt: null, restoreFolderId: null });
    await recordAudit(deps, repos, actor, access, 'letter.restore', letterId);
  });
}

export async function listFolders(deps: Deps, actor: PersonActor, mailboxId: string) {
  await requireMailboxAccess(deps, actor, mailboxId);
  return deps.store.read.folders.list(mailboxId);
}

/** A mailbox holds at most this many folders of its owner's. */
export const maxCustomFolders = 200;

/** Characters that reorder text (bidi overrides and isolates): a name could show as another. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/u;

/**
 * A folder name as it is kept: in Unicode NFC (so "Skått" typed two ways is one name), without
 * zero-width spaces, trimmed of blanks and invisible characters, 1 to 100 characters (counted as
 * the JSON schema counts them, in code points), and with no control or bidi control characters.
 */
export function checkFolderName(name: string): string {
  const clean = name
    .normalize('NFC')
    .replace(/[\u200B\u2060\uFEFF]/g, '')
    .replace(/^[\s\p{Cf}]+|[\s\p{Cf}]+$/gu, '');
  const length = [...clean].length;
  const problem =
    length === 0 || length > 100
      ? { code: 'invalid_folder_name', message: '1 to 100 characters' }
      : /\p{Cc}/u.test(clean) || BIDI_CONTROLS.test(clean)
        ? { code: 'control_character', message: 'may not contain control characters, line breaks or bidi controls' }
        : null;
  if (problem) {
    throw new AppError('validation_failed', `A folder name: ${problem.message}`, {
      errors: [{ path: 'name', ...problem }],
    });
  }
  return clean;
}

async function requireCustomFolder(deps: Deps, actor: PersonActor, mailboxId: string, folderId: string) {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  const folder = await deps.store.read.folders.get(mailboxId, folderId);
  if (!folder) throw new AppError('not_found', 'No such folder');
  requireCapability(canOrganize(access), 'change folders');
  if (folder.kind !== 'custom') throw new AppError('invalid_operation', 'System folders cannot be changed');
  return access;
}

/**
 * What the system folders are called in the languages the inbox speaks (nb, da, en): a folder of
 * one's own by one of these names would show as a second "Innboks" or "Papirkurv".
 */
const SYSTEM_FOLDER_NAMES = new Set(['inbox', 'innboks', 'indbakke', 'archive', 'arkiv', 'trash', 'papirkurv']);

function refuseTakenName(name: string, taken: boolean): void {
  if (taken || SYSTEM_FOLDER_NAMES.has(name.toLocaleLowerCase('nb'))) {
    throw new AppError('folder_name_taken', `A folder named ${JSON.stringify(name)} exists`);
  }
}

export async function createFolder(deps: Deps, actor: PersonActor, mailboxId: string, name: string): Promise<Folder> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  requireCapability(canOrganize(access), 'change folders');
  const clean = checkFolderName(name);
  const custom = (await deps.store.read.folders.list(mailboxId)).filter((f) => f.kind === 'custom').length;
  if (custom >= maxCustomFolders) {
    throw new AppError('invalid_operation', `A mailbox holds at most ${maxCustomFolders} folders of its own`);
  }
  const folder: Folder = {
    id: deps.ids.uuid(),
    mailboxId,
    kind: 'custom',
    name: clean,
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.store.write(async (repos) => {
    refuseTakenName(clean, (await repos.folders.findByName(mailboxId, clean)) !== null);
    await repos.folders.insert(folder);
    await recordAudit(deps, repos, actor, access, 'folder.create', null, { folderId: folder.id });
  });
  return folder;
}

export async function renameFolder(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  folderId: string,
  name: string,
): Promise<void> {
  const access = await requireCustomFolder(deps, actor, mailboxId, folderId);
  const clean = checkFolderName(name);
  await deps.store.write(async (repos) => {
    const clash = await repos.folders.findByName(mailboxId, clean);
    refuseTakenName(clean, clash !== null && clash.id !== folderId);
    await repos.folders.rename(mailboxId, folderId, clean);
    await recordAudit(deps, repos, actor, access, 'folder.rename', null, { folderId });
  });
}

/** Deletes one of the owner's folders (owners and organization admins only); its letters go back to the inbox. */
export async function deleteFolder(deps: Deps, actor: PersonActor, mailboxId: string, folderId: string): Promise<void> {
  const access = await requireCustomFolder(deps, actor, mailboxId, folderId);
  requireCapability(canDelete(access), 'delete folders');
  const inbox = await resolveFolder(deps, mailboxId, 'inbox');
  await deps.store.write(async (repos) => {
    await repos.letters.moveAll(mailboxId, folderId, inbox.id);
    await repos.folders.delete(mailboxId, folderId);
    await recordAudit(deps, repos, actor, access, 'folder.delete', null, { folderId });
  });
}
