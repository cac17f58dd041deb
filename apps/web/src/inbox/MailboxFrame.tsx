/**
 * What every page of a mailbox shares: the folder list beside the content, live changes, and a
 * check that the person (still) has access; a revoked grant sends them home with a notice.
 */
import type { Mailbox } from '@postkasse/sdk/recipient';
import { type ReactNode, useEffect } from 'react';
import { useLocation } from 'wouter';
import { homeMailbox, useMailboxes } from '../app/App.js';
import { useLiveChanges } from '../app/live.js';
import { ErrorNotice, Loading, useAnnounce } from '../app/states.js';
import { useI18n } from '../i18n/index.js';
import { FolderNav } from './FolderNav.js';

export function MailboxFrame({
  mailboxId,
  currentFolderId,
  children,
}: {
  mailboxId: string;
  currentFolderId?: string | undefined;
  children: (mailbox: Mailbox) => ReactNode;
}) {
  const { t } = useI18n();
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const mailboxes = useMailboxes();
  const mailbox = mailboxes.data?.find((m) => m.id === mailboxId);

  useLiveChanges(mailbox ? mailboxId : undefined, {
    onArrived: (count) => announce(count === 1 ? t('app.newLetter') : t('list.newLetters', { count })),
  });

  // Access ended (or never was): go to the person's own mailbox and say why.
  const home = mailboxes.data ? homeMailbox(mailboxes.data) : undefined;
  const lost = mailboxes.isSuccess && !mailbox;
  useEffect(() => {
    if (lost) {
      announce(t('app.accessEnded'));
      navigate(home ? `/inbox/${home.id}` : '/', { replace: true });
    }
  }, [lost, home, navigate, announce, t]);

  if (mailboxes.isPending) return <Loading />;
  if (mailboxes.isError && !mailboxes.data)
    return <ErrorNotice error={mailboxes.error} onRetry={() => void mailboxes.refetch()} />;
  if (!mailbox) return <Loading />;
  return (
    <div className="mailbox">
      <FolderNav mailbox={mailbox} currentFolderId={currentFolderId} />
      <main id="content" className="content" tabIndex={-1}>
        {children(mailbox)}
      </main>
    </div>
  );
}
