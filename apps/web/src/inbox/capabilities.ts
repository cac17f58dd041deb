import type { Folder, Mailbox } from '@postkasse/sdk/recipient';
import type { Translate } from '../i18n/index.js';

/** What a role may do; the server decides, this only hides buttons that would be refused. */
export const canOrganize = (role: Mailbox['role']) =>
  role === 'owner' || role === 'delegate-manage' || role === 'org-admin';
export const canDelete = (role: Mailbox['role']) => role === 'owner' || role === 'org-admin';

export function folderName(folder: Pick<Folder, 'kind' | 'name'>, t: Translate): string {
  if (folder.kind === 'inbox') return t('folder.inbox');
  if (folder.kind === 'archive') return t('folder.archive');
  if (folder.kind === 'trash') return t('folder.trash');
  return folder.name;
}

const systemOrder = { inbox: 0, archive: 1, trash: 3, custom: 2 } as const;

/** Inbox, archive, the owner's folders by name, then trash. */
export function sortFolders(folders: readonly Folder[]): Folder[] {
  return [...folders].sort(
    (a, b) => systemOrder[a.kind] - systemOrder[b.kind] || a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/** The folder a `folder` URL parameter names: a kind (inbox, archive, trash) or an id. */
export function findFolder(folders: readonly Folder[], param: string): Folder | undefined {
  return folders.find((f) => f.id === param) ?? folders.find((f) => f.kind === param && f.kind !== 'custom');
}
