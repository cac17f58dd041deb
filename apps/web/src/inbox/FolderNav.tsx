/** The folder list (with unread counts) and creating a folder. */
import type { Mailbox } from '@postkasse/sdk/recipient';
import { type FormEvent, useId, useRef, useState } from 'react';
import { Link } from 'wouter';
import { errorKey } from '../api.js';
import { useFocusNext } from '../app/focus.js';
import { useAnnounce } from '../app/states.js';
import { useI18n } from '../i18n/index.js';
import { canOrganize, folderName } from './capabilities.js';
import { useFolderMutations, useFolders } from './folders.js';

export function FolderNav({ mailbox, currentFolderId }: { mailbox: Mailbox; currentFolderId?: string | undefined }) {
  const { t } = useI18n();
  const folders = useFolders(mailbox.id);
  const { create } = useFolderMutations(mailbox.id);
  const announce = useAnnounce();
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const inputId = useId();
  const newButton = useRef<HTMLButtonElement>(null);
  const focusNewButton = useFocusNext(() => newButton.current);
  // Cancelled or done, the form starts empty next time: no old name, no old error.
  const close = () => {
    setAdding(false);
    setName('');
    create.reset();
    focusNewButton();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const trimmed = name.trim();
    // aria-disabled rather than disabled while saving: a disabled button would drop the focus.
    if (!trimmed || create.isPending) return;
    create.mutate(trimmed, {
      onSuccess: () => {
        close();
        announce(t('settings.saved'));
      },
    });
  };

  return (
    <nav className="folders" aria-label={t('folder.nav')}>
      <ul>
        {(folders.data ?? []).map((folder) => (
          <li key={folder.id}>
            <Link
              href={`/inbox/${mailbox.id}?folder=${folder.kind === 'custom' ? folder.id : folder.kind}`}
              className="folder-link"
              aria-current={folder.id === currentFolderId ? 'page' : undefined}
            >
              <span className="folder-name">{folderName(folder, t)}</span>
              {folder.unread > 0 && folder.kind !== 'trash' ? (
                <span className="count">
                  <span aria-hidden="true">{folder.unread}</span>
                  <span className="visually-hidden">
                    {folder.unread === 1 ? t('folder.unreadCount1') : t('folder.unreadCount', { count: folder.unread })}
                  </span>
                </span>
              ) : null}
            </Link>
          </li>
        ))}
      </ul>
      {canOrganize(mailbox.role) ? (
        adding ? (
          <form className="folder-form" onSubmit={submit}>
            <label htmlFor={inputId}>{t('folder.name')}</label>
            <input
              id={inputId}
              value={name}
              maxLength={100}
              required
              // biome-ignore lint/a11y/noAutofocus: the person just asked for this field
              autoFocus
              onChange={(event) => setName(event.target.value)}
            />
            {create.isError ? (
              <p className="field-error" role="alert">
                {t(errorKey(create.error))}
              </p>
            ) : null}
            <div className="row">
              <button type="submit" className="button" aria-disabled={create.isPending || undefined}>
                {t('folder.create')}
              </button>
              <button type="button" className="button button-quiet" onClick={close}>
                {t('folder.cancel')}
              </button>
            </div>
          </form>
        ) : (
          <button ref={newButton} type="button" className="button button-quiet" onClick={() => setAdding(true)}>
            + {t('folder.new')}
          </button>
        )
      ) : null}
    </nav>
  );
}
