/** A folder's letters, or a search across the mailbox; a custom folder can be renamed or deleted. */
import type { Folder, Mailbox } from '@postkasse/sdk/recipient';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { errorKey } from '../api.js';
import { useFocusNext, useFocusOnChange } from '../app/focus.js';
import { useAnnounce } from '../app/states.js';
import { useI18n } from '../i18n/index.js';
import { canDelete, canOrganize, findFolder, folderName } from './capabilities.js';
import { useFolderMutations, useFolders } from './folders.js';
import { LetterList } from './LetterList.js';
import { MailboxFrame } from './MailboxFrame.js';
import { SearchForm } from './SearchForm.js';
import { apiQuery, isSearch, type ListParams, readParams, writeParams } from './search.js';

export function MailboxPage({ mailboxId }: { mailboxId: string }) {
  const search = useSearch();
  const params = readParams(search);
  const folders = useFolders(mailboxId);
  const folder = folders.data ? findFolder(folders.data, params.folder) : undefined;
  const searching = isSearch(params);
  return (
    <MailboxFrame mailboxId={mailboxId} currentFolderId={searching ? undefined : folder?.id}>
      {(mailbox) => <FolderView key={search} mailbox={mailbox} folder={folder} params={params} />}
    </MailboxFrame>
  );
}

function FolderView({ mailbox, folder, params }: { mailbox: Mailbox; folder: Folder | undefined; params: ListParams }) {
  const { t } = useI18n();
  const [, navigate] = useLocation();
  const headingId = useId();
  const heading = useRef<HTMLHeadingElement>(null);
  const searching = isSearch(params);
  const title = searching ? t('folder.search') : folder ? folderName(folder, t) : t('folder.inbox');
  useFocusOnChange(heading, `${mailbox.id}${writeParams(params)}`);
  useEffect(() => {
    document.title = `${title} – ${t('app.name')}`;
  }, [title, t]);

  const onSearch = (next: ListParams) => navigate(`/inbox/${mailbox.id}${writeParams(next)}`);
  const emptyText = searching
    ? t('list.emptySearch')
    : folder?.kind === 'trash'
      ? t('list.emptyTrash')
      : t('list.empty');

  return (
    <>
      <div className="page-head">
        <h1 id={headingId} ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {!searching && folder?.kind === 'custom' ? <FolderTools mailbox={mailbox} folder={folder} /> : null}
      </div>
      <SearchForm params={params} onSearch={onSearch} />
      <LetterList mailbox={mailbox} query={apiQuery(params)} emptyText={emptyText} labelledBy={headingId} />
    </>
  );
}

function FolderTools({ mailbox, folder }: { mailbox: Mailbox; folder: Folder }) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const { rename, remove } = useFolderMutations(mailbox.id);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(folder.name);
  const inputId = useId();
  const renameButton = useRef<HTMLButtonElement>(null);
  const focusRename = useFocusNext(() => renameButton.current);
  const close = () => {
    setRenaming(false);
    focusRename();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    rename.mutate(
      { folderId: folder.id, name: trimmed },
      {
        onSuccess: () => {
          close();
          announce(t('settings.saved'));
        },
      },
    );
  };
  const onDelete = () => {
    if (!window.confirm(t('folder.deleteConfirm', { name: folder.name }))) return;
    remove.mutate(folder.id, {
      onSuccess: () => navigate(`/inbox/${mailbox.id}`),
    });
  };

  return (
    <div className="folder-tools">
      {canOrganize(mailbox.role) && renaming ? (
        <form className="row" onSubmit={submit}>
          <label htmlFor={inputId}>{t('folder.name')}</label>
          <input id={inputId} value={name} maxLength={100} required onChange={(e) => setName(e.target.value)} />
          <button type="submit" className="button" disabled={rename.isPending}>
            {t('folder.save')}
          </button>
          <button type="button" className="button button-quiet" onClick={close}>
            {t('folder.cancel')}
          </button>
        </form>
      ) : canOrganize(mailbox.role) ? (
        <button ref={renameButton} type="button" className="button button-quiet" onClick={() => setRenaming(true)}>
          {t('folder.rename')}
        </button>
      ) : null}
      {canDelete(mailbox.role) && !renaming ? (
        <button type="button" className="button button-quiet button-danger" onClick={onDelete}>
          {t('folder.delete')}
        </button>
      ) : null}
      {rename.isError || remove.isError ? (
        <p className="field-error" role="alert">
          {t(errorKey(rename.error ?? remove.error))}
        </p>
      ) : null}
    </div>
  );
}
