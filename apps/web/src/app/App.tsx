/**
 * The session decides what shows: the login page without one, the mailbox with one. Routes:
 * /inbox/{mailbox}[?folder&q…] the list, /inbox/{mailbox}/{letter} a letter (the links in
 * notifications), /settings. Everything loads through the SDK; nothing is kept in the browser but
 * the language choice.
 */
import { getSession, listMailboxes, type Mailbox } from '@postkasse/sdk/recipient';
import { useQuery } from '@tanstack/react-query';
import { Suspense } from 'react';
import { Link, Redirect, Route, Switch } from 'wouter';
import { client, isUnauthenticated, setCsrfToken } from '../api.js';
import { useI18n } from '../i18n/index.js';
import { MailboxPage } from '../inbox/MailboxPage.js';
import { LoginPage } from '../login/LoginPage.js';
import { Layout } from './Layout.js';
import { useRetryableLazy } from './lazy.js';
import { ErrorNotice, Loading } from './states.js';

// Reading a letter pulls in pdf.js; settings are seldom used: neither is part of the first view.
const loadLetterPage = () => import('../letter/LetterPage.js').then((m) => ({ default: m.LetterPage }));
const loadSettingsPage = () => import('../settings/SettingsPage.js').then((m) => ({ default: m.SettingsPage }));

export function useSession() {
  return useQuery({
    queryKey: ['session'],
    queryFn: async () => {
      const session = await getSession(client);
      setCsrfToken(session.csrfToken);
      return session;
    },
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useMailboxes() {
  return useQuery({ queryKey: ['mailboxes'], queryFn: () => listMailboxes(client) });
}

/** The mailbox to open first: the person's own, else the first they can read. */
export function homeMailbox(mailboxes: readonly Mailbox[]): Mailbox | undefined {
  return mailboxes.find((m) => m.role === 'owner') ?? mailboxes[0];
}

export function App() {
  const session = useSession();
  const { Lazy: LetterPage, Boundary: LetterBoundary } = useRetryableLazy(loadLetterPage);
  const { Lazy: SettingsPage, Boundary: SettingsBoundary } = useRetryableLazy(loadSettingsPage);
  if (session.isPending) return <Loading />;
  if (session.isError) {
    if (isUnauthenticated(session.error)) return <LoginPage />;
    return (
      <main className="page-center">
        <ErrorNotice error={session.error} onRetry={() => void session.refetch()} />
      </main>
    );
  }
  return (
    <Layout session={session.data}>
      <Suspense fallback={<Loading />}>
        <Switch>
          <Route path="/">
            <Home />
          </Route>
          <Route path="/inbox/:mailboxId/:letterId">
            {(params) =>
              ids(params.mailboxId, params.letterId) ? (
                <LetterBoundary>
                  <LetterPage mailboxId={params.mailboxId} letterId={params.letterId} />
                </LetterBoundary>
              ) : (
                <NotFound />
              )
            }
          </Route>
          <Route path="/inbox/:mailboxId">
            {(params) => (ids(params.mailboxId) ? <MailboxPage mailboxId={params.mailboxId} /> : <NotFound />)}
          </Route>
          <Route path="/settings">
            <SettingsBoundary>
              <SettingsPage />
            </SettingsBoundary>
          </Route>
          <Route>
            <NotFound />
          </Route>
        </Switch>
      </Suspense>
    </Layout>
  );
}

function Home() {
  const mailboxes = useMailboxes();
  if (mailboxes.isPending) return <Loading />;
  if (mailboxes.isError) return <ErrorNotice error={mailboxes.error} onRetry={() => void mailboxes.refetch()} />;
  const home = homeMailbox(mailboxes.data);
  return home ? <Redirect to={`/inbox/${home.id}`} replace /> : <NotFound />;
}

function NotFound() {
  const { t } = useI18n();
  return (
    <div className="content">
      <h1>{t('error.notFoundTitle')}</h1>
      <p>{t('error.notFound')}</p>
      <p>
        <Link href="/">{t('app.inbox')}</Link>
      </p>
    </div>
  );
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids in an address (a link cut short in an SMS, say) that are not ids lead nowhere. */
const ids = (...values: string[]) => values.every((v) => UUID.test(v));
