/**
 * One letter: its header and deadlines, what can be done with it, and its documents shown in the
 * page. A letter that needs a higher login level shows only its non-sensitive title and a button
 * that logs in again at that level and comes back here.
 */
import { documentUrl, type Letter, type LetterDocument, type Mailbox, type Session } from '@postkasse/sdk/recipient';
import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import { client } from '../api.js';
import { useSession } from '../app/App.js';
import { useFocusNext, useFocusOnChange } from '../app/focus.js';
import { ErrorNotice, Loading } from '../app/states.js';
import { useI18n } from '../i18n/index.js';
import { canOrganize, findFolder, folderName } from '../inbox/capabilities.js';
import { useFolders } from '../inbox/folders.js';
import { MailboxFrame } from '../inbox/MailboxFrame.js';
import { DocumentView } from './DocumentView.js';
import { LetterActions } from './LetterActions.js';
import { LetterToolbar } from './LetterToolbar.js';
import { useLetter, useLetterMutations } from './useLetter.js';

/** How long a deleted letter stays in the trash before the server deletes it for good (core's trashRetentionMs). */
const TRASH_DAYS = 30;
const DAY = 24 * 3600_000;

export function LetterPage({ mailboxId, letterId }: { mailboxId: string; letterId: string }) {
  const { t } = useI18n();
  const letter = useLetter(mailboxId, letterId);
  return (
    <MailboxFrame mailboxId={mailboxId} currentFolderId={letter.data?.folderId}>
      {(mailbox) =>
        letter.isPending ? (
          <Loading />
        ) : letter.isError && !letter.data ? (
          <>
            <BackLink mailboxId={mailboxId} />
            <h1>{t('letter.notAvailable')}</h1>
            <ErrorNotice error={letter.error} onRetry={() => void letter.refetch()} />
          </>
        ) : (
          <LetterView key={letter.data!.id} mailbox={mailbox} letter={letter.data!} />
        )
      }
    </MailboxFrame>
  );
}

function BackLink({ mailboxId, folderId }: { mailboxId: string; folderId?: string }) {
  const { t } = useI18n();
  const folders = useFolders(mailboxId);
  const folder = folderId && folders.data ? findFolder(folders.data, folderId) : undefined;
  const name = folder ? folderName(folder, t) : t('folder.inbox');
  const query =
    folder && folder.kind !== 'inbox' ? `?folder=${folder.kind === 'custom' ? folder.id : folder.kind}` : '';
  return (
    <Link href={`/inbox/${mailboxId}${query}`} className="back-link">
      ← {t('letter.back', { folder: name })}
    </Link>
  );
}

function LetterView({ mailbox, letter }: { mailbox: Mailbox; letter: Letter }) {
  const { t, date, dateTime } = useI18n();
  const session = useSession();
  const heading = useRef<HTMLHeadingElement>(null);
  const { change } = useLetterMutations(mailbox.id, letter.id);
  useFocusOnChange(heading, letter.id);

  // Opening a letter marks it read, once per visit (marking it unread again stays so).
  const marked = useRef(false);
  useEffect(() => {
    if (marked.current) return;
    marked.current = true;
    if (!letter.read && !letter.restricted && canOrganize(mailbox.role)) change.mutate({ read: true });
  }, [letter.read, letter.restricted, mailbox.role, change]);

  const main = letter.documents.find((d) => d.role === 'main');
  const attachments = letter.documents.filter((d) => d.role === 'attachment');
  const [shown, setShown] = useState<LetterDocument | undefined>(main);
  // "Show" on an attachment takes the person to the document it shows.
  const documentArea = useRef<HTMLDivElement>(null);
  const focusDocument = useFocusNext(() => documentArea.current);
  // A letter above the login's level has a subject; it is only not shown.
  const title =
    letter.subject ?? letter.nonSensitiveTitle ?? t(letter.restricted ? 'letter.hiddenSubject' : 'letter.noSubject');
  // The tab title stays in the browser's history: never a sensitive letter's subject.
  const tabTitle = letter.sensitivity === 'sensitive' ? (letter.nonSensitiveTitle ?? t('letter.document')) : title;
  useEffect(() => {
    document.title = `${tabTitle} – ${t('app.name')}`;
  }, [tabTitle, t]);

  return (
    <article className="letter-view" aria-labelledby="letter-title">
      <BackLink mailboxId={mailbox.id} folderId={letter.folderId} />
      <header className="letter-head">
        <h1 id="letter-title" ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <dl className="letter-facts">
          <div>
            <dt>{t('letter.from')}</dt>
            <dd>{letter.sender?.name ?? t('list.hiddenSender')}</dd>
          </div>
          <div>
            <dt>{t('letter.received')}</dt>
            <dd>
              <time dateTime={letter.receivedAt}>{dateTime(letter.receivedAt)}</time>
            </dd>
          </div>
        </dl>
        <Deadlines letter={letter} />
      </header>

      {letter.trashedAt ? (
        <p className="notice">
          {t('letter.trashNote', {
            date: date(new Date(Date.parse(letter.trashedAt) + TRASH_DAYS * DAY).toISOString()),
          })}
        </p>
      ) : null}

      {letter.restricted ? (
        <StepUp letter={letter} session={session.data} />
      ) : (
        <>
          <LetterToolbar mailbox={mailbox} letter={letter} shown={shown} />
          <LetterActions mailboxId={mailbox.id} letter={letter} />
          <div ref={documentArea} tabIndex={-1} className="document-area">
            {shown ? (
              <DocumentView key={shown.id} mailboxId={mailbox.id} letterId={letter.id} document={shown} />
            ) : null}
          </div>
          {attachments.length > 0 ? (
            <section className="attachments" aria-labelledby="attachments-title">
              <h2 id="attachments-title">{t('letter.attachments')}</h2>
              <ul>
                {[...(main ? [main] : []), ...attachments].map((d) => (
                  <li key={d.id}>
                    <span className="attachment-name">{d.title ?? d.filename}</span>
                    <span className="row">
                      {d.id !== shown?.id ? (
                        <button
                          type="button"
                          className="button button-quiet"
                          onClick={() => {
                            setShown(d);
                            focusDocument();
                          }}
                        >
                          {t('letter.view')}
                          <span className="visually-hidden"> {d.title ?? d.filename}</span>
                        </button>
                      ) : null}
                      <a
                        className="button button-quiet"
                        href={documentUrl(client, mailbox.id, letter.id, d.id, true)}
                        download
                      >
                        {t('letter.download')}
                        <span className="visually-hidden"> {d.title ?? d.filename}</span>
                      </a>
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          ) : null}
        </>
      )}
    </article>
  );
}

function Deadlines({ letter }: { letter: Letter }) {
  const { t, dateTime } = useI18n();
  if (!letter.replyBy && !letter.legalNotification && !letter.mandatory) return null;
  return (
    <ul className="deadlines">
      {letter.replyBy ? (
        <li className="badge badge-deadline">{t('badge.replyBy', { date: dateTime(letter.replyBy) })}</li>
      ) : null}
      {letter.legalNotification ? (
        <li className="badge badge-legal">
          {t('badge.legal')}: {t('badge.legalHelp')}
        </li>
      ) : null}
      {letter.mandatory ? <li className="badge">{t('badge.mandatory')}</li> : null}
    </ul>
  );
}

function StepUp({ letter, session }: { letter: Letter; session: Session | undefined }) {
  const { t } = useI18n();
  const href =
    letter.loginUrl ?? `/auth/login?acr=${letter.authLevel}&returnTo=${encodeURIComponent(window.location.pathname)}`;
  return (
    <section className="step-up" aria-labelledby="step-up-title">
      <h2 id="step-up-title">{t('letter.restrictedTitle')}</h2>
      <p>
        {t('letter.restrictedText', {
          level: t(`level.${letter.authLevel}`),
          current: session ? t(`level.${session.authLevel}`) : '',
        })}
      </p>
      <a className="button button-primary" href={href}>
        {t('letter.stepUp')}
      </a>
    </section>
  );
}
