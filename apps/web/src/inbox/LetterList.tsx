/**
 * The letters of a folder or a search, newest first, 100 at a time: more are read as the person
 * scrolls near the end (or presses "Show more"), so thousands of letters open as fast as ten.
 * Each row renders once (memoized), so reading the next page costs only its own rows.
 */
import {
  type LetterPage,
  type LetterSummary,
  type ListQuery,
  listLetters,
  type Mailbox,
} from '@postkasse/sdk/recipient';
import { useInfiniteQuery } from '@tanstack/react-query';
import { memo, useEffect, useRef } from 'react';
import { Link } from 'wouter';
import { client } from '../api.js';
import { Empty, ErrorNotice, Loading } from '../app/states.js';
import { useI18n } from '../i18n/index.js';

const PAGE = 100;
let firstListRendered = false;

export function useLetterPages(mailboxId: string, query: ListQuery) {
  return useInfiniteQuery({
    queryKey: ['letters', mailboxId, query],
    queryFn: ({ pageParam, signal }) =>
      listLetters(client, mailboxId, { ...query, limit: PAGE, ...(pageParam ? { cursor: pageParam } : {}) }, signal),
    initialPageParam: '',
    getNextPageParam: (last: LetterPage) => last.nextCursor ?? undefined,
  });
}

export function LetterList({
  mailbox,
  query,
  emptyText,
  labelledBy,
}: {
  mailbox: Mailbox;
  query: ListQuery;
  emptyText: string;
  labelledBy: string;
}) {
  const { t, number } = useI18n();
  const pages = useLetterPages(mailbox.id, query);
  const sentinel = useRef<HTMLDivElement>(null);
  const letters = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const { hasNextPage, isFetchingNextPage, isFetching, isFetchNextPageError } = pages;
  // Never cancel a refresh the live stream asked for (its result would be lost).
  const fetchNextPage = pages.fetchNextPage;
  const readMore = () => void fetchNextPage({ cancelRefetch: false });
  // After a failed page, only the person's "Try again" reads again (no loop against a failing server).
  const canReadMore = hasNextPage && !isFetching && !isFetchNextPageError;

  // Read the next page when the end of the list comes within a screen. A new observer each time
  // reading becomes possible reports at once whether the end is (still) near, so a long scroll
  // keeps loading without waiting for the end to leave the screen and come back.
  const more = useRef(readMore);
  more.current = readMore;
  const listShown = letters.length > 0;
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !canReadMore) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          observer.disconnect();
          more.current();
        }
      },
      { rootMargin: '800px 0px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [canReadMore]);

  useEffect(() => {
    // For measuring: the moment the first list of a visit is on screen.
    if (listShown && !firstListRendered) {
      firstListRendered = true;
      performance.mark('postkasse:list-rendered');
    }
  }, [listShown]);

  if (pages.isPending) return <Loading />;
  if (pages.isError && !pages.data) return <ErrorNotice error={pages.error} onRetry={() => void pages.refetch()} />;
  if (letters.length === 0) return <Empty>{emptyText}</Empty>;

  return (
    <>
      <ul className="letters" aria-labelledby={labelledBy}>
        {letters.map((letter) => (
          <LetterRow key={letter.id} mailboxId={mailbox.id} letter={letter} />
        ))}
      </ul>
      <div ref={sentinel} className="list-end">
        {hasNextPage ? (
          <button
            type="button"
            className="button button-quiet"
            // aria-disabled, not disabled: a focused button that gets disabled loses the focus.
            aria-disabled={isFetchingNextPage}
            onClick={() => {
              if (!isFetchingNextPage) readMore();
            }}
          >
            {isFetchingNextPage ? t('list.loadingMore') : t('list.loadMore')}
          </button>
        ) : letters.length > PAGE ? (
          <p className="muted">{t('list.all', { count: number(letters.length) })}</p>
        ) : null}
        {isFetchNextPageError ? <ErrorNotice error={pages.error} onRetry={readMore} /> : null}
      </div>
    </>
  );
}

/** One row; memoized, so reading the next page renders only the new rows. */
const LetterRow = memo(function LetterRow({ mailboxId, letter }: { mailboxId: string; letter: LetterSummary }) {
  const { t, date } = useI18n();
  // A letter above the login's level has a subject; it is only not shown.
  const title =
    letter.subject ?? letter.nonSensitiveTitle ?? t(letter.restricted ? 'letter.hiddenSubject' : 'letter.noSubject');
  const sender = letter.sender?.name ?? t('list.hiddenSender');
  return (
    <li className={letter.read ? 'letter' : 'letter unread'}>
      <Link href={`/inbox/${mailboxId}/${letter.id}`} className="letter-link">
        <span className="letter-sender">
          {letter.read ? null : <span className="unread-dot" aria-hidden="true" />}
          {letter.read ? null : <span className="visually-hidden">{t('list.unread')}: </span>}
          {sender}
        </span>
        <span className="letter-subject">
          {letter.restricted ? (
            <span className="lock" role="img" aria-label={t('list.restricted')}>
              🔒
            </span>
          ) : null}
          {title}
        </span>
        <span className="letter-meta">
          <time dateTime={letter.receivedAt}>{date(letter.receivedAt)}</time>
        </span>
        {letter.replyBy || letter.legalNotification || letter.mandatory ? (
          // A row of their own, so that on a phone they never squeeze out the sender and the unread dot.
          <span className="letter-badges">
            {letter.replyBy ? (
              <span className="badge badge-deadline">{t('badge.replyBy', { date: date(letter.replyBy) })}</span>
            ) : null}
            {letter.legalNotification ? <span className="badge badge-legal">{t('badge.legal')}</span> : null}
            {letter.mandatory ? <span className="badge">{t('badge.mandatory')}</span> : null}
          </span>
        ) : null}
      </Link>
    </li>
  );
});
