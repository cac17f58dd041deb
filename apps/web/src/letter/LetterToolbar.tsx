/** Mark unread, move, delete or restore, download and print the letter shown. */
import { documentUrl, type Letter, type LetterDocument, type Mailbox } from '@postkasse/sdk/recipient';
import { useId, useRef, useState } from 'react';
import { useLocation } from 'wouter';
import { client, errorKey } from '../api.js';
import { useFocusNext } from '../app/focus.js';
import { useAnnounce } from '../app/states.js';
import { useI18n } from '../i18n/index.js';
import { canDelete, canOrganize, folderName } from '../inbox/capabilities.js';
import { useFolders } from '../inbox/folders.js';
import { useLetterMutations } from './useLetter.js';

export function LetterToolbar({
  mailbox,
  letter,
  shown,
}: {
  mailbox: Mailbox;
  letter: Letter;
  shown: LetterDocument | undefined;
}) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const folders = useFolders(mailbox.id);
  const { change, trash, restore } = useLetterMutations(mailbox.id, letter.id);
  const targets = (folders.data ?? []).filter((f) => f.kind !== 'trash' && f.id !== letter.folderId);
  const [target, setTarget] = useState('');
  const selectId = useId();
  const failed = change.error ?? trash.error ?? restore.error;
  const organize = canOrganize(mailbox.role);
  // After a restore the Restore button is gone: focus goes to the first control in its place.
  const toolbar = useRef<HTMLFieldSetElement>(null);
  const focusToolbar = useFocusNext(() => toolbar.current?.querySelector<HTMLElement>('button, a, select'));

  // The choice, while it is still a place to move to; else the first one.
  const chosen = targets.some((f) => f.id === target) ? target : (targets[0]?.id ?? '');
  const move = () => {
    const folder = targets.find((f) => f.id === chosen);
    if (!folder) return;
    change.mutate(
      { folderId: folder.id },
      { onSuccess: () => announce(t('letter.moved', { folder: folderName(folder, t) })) },
    );
  };

  return (
    <fieldset className="toolbar" ref={toolbar}>
      <legend className="visually-hidden">{t('letter.toolbar')}</legend>
      {organize && !letter.trashedAt ? (
        <button
          type="button"
          className="button button-quiet"
          onClick={() =>
            change.mutate(
              { read: !letter.read },
              { onSuccess: () => announce(letter.read ? t('letter.markedUnread') : t('letter.markedRead')) },
            )
          }
        >
          {letter.read ? t('letter.markUnread') : t('letter.markRead')}
        </button>
      ) : null}
      {organize && !letter.trashedAt && targets.length > 0 ? (
        <span className="row">
          <label htmlFor={selectId}>{t('letter.moveTo')}</label>
          <select id={selectId} value={chosen} onChange={(e) => setTarget(e.target.value)}>
            {targets.map((f) => (
              <option key={f.id} value={f.id}>
                {folderName(f, t)}
              </option>
            ))}
          </select>
          <button type="button" className="button button-quiet" onClick={move} disabled={change.isPending}>
            {t('letter.move')}
          </button>
        </span>
      ) : null}
      {canDelete(mailbox.role) && !letter.trashedAt ? (
        <button
          type="button"
          className="button button-quiet button-danger"
          disabled={trash.isPending}
          onClick={() =>
            trash.mutate(undefined, {
              onSuccess: () => {
                announce(t('letter.deleted'));
                navigate(`/inbox/${mailbox.id}`);
              },
            })
          }
        >
          {t('letter.delete')}
        </button>
      ) : null}
      {canDelete(mailbox.role) && letter.trashedAt ? (
        <button
          type="button"
          className="button"
          disabled={restore.isPending}
          onClick={() =>
            restore.mutate(undefined, {
              onSuccess: () => {
                announce(t('letter.restored'));
                focusToolbar();
              },
            })
          }
        >
          {t('letter.restore')}
        </button>
      ) : null}
      {shown ? (
        <a className="button button-quiet" href={documentUrl(client, mailbox.id, letter.id, shown.id, true)} download>
          {t('letter.download')}
        </a>
      ) : null}
      {shown ? (
        <button
          type="button"
          className="button button-quiet"
          onClick={() => {
            // A PDF longer than the page draws is printed whole from the browser's own viewer.
            const pages = document.querySelector<HTMLElement>('.pdf-pages');
            if (pages?.dataset.truncated) window.open(documentUrl(client, mailbox.id, letter.id, shown.id), '_blank');
            else window.print();
          }}
        >
          {t('letter.print')}
        </button>
      ) : null}
      {failed ? (
        <p className="field-error" role="alert">
          {t(errorKey(failed))}
        </p>
      ) : null}
    </fieldset>
  );
}
