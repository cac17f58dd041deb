/** The page frame: skip link, banner with mailbox switcher, language, settings and logout. */
import { changeOwnRecord, logout, type Mailbox, type Session } from '@postkasse/sdk/recipient';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { Link, useLocation } from 'wouter';
import { client, errorKey } from '../api.js';
import {
  isLanguage,
  type Language,
  languageNames,
  languages,
  messageIn,
  type Translate,
  useI18n,
} from '../i18n/index.js';
import { useMailboxes } from './App.js';
import { useAnnounce } from './states.js';

export function mailboxLabel(mailbox: Mailbox, t: Translate): string {
  const role = t(`role.${mailbox.role}`);
  // The owner's own id is not masked by the server; it is never shown on screen.
  if (!mailbox.name) return mailbox.role === 'owner' ? role : `${mailbox.ownerId} (${role})`;
  return `${mailbox.name} (${role})`;
}

/** The language chosen in the app is saved to the register too, so notifications use it. */
export function useSaveLanguage() {
  const announce = useAnnounce();
  // Said in the language just chosen, not in the one the page spoke when it was asked.
  return (language: Language) =>
    changeOwnRecord(client, { language }).then(
      () => announce(messageIn(language, 'settings.saved')),
      (error: unknown) => announce(messageIn(language, errorKey(error))),
    );
}

/** The mailbox id in the current path, if any. */
export function currentMailboxId(location: string): string | undefined {
  const match = /^\/inbox\/([^/?#]+)/.exec(location);
  return match?.[1];
}

export function LanguagePicker({ id, onChosen }: { id?: string; onChosen?: (language: Language) => void }) {
  const { t, language, setLanguage } = useI18n();
  const fallbackId = useId();
  const selectId = id ?? fallbackId;
  return (
    <span className="field-inline">
      <label htmlFor={selectId}>{t('app.language')}</label>
      <select
        id={selectId}
        value={language}
        onChange={(event) => {
          if (!isLanguage(event.target.value)) return;
          setLanguage(event.target.value);
          onChosen?.(event.target.value);
        }}
      >
        {languages.map((l) => (
          <option key={l} value={l} lang={l}>
            {languageNames[l]}
          </option>
        ))}
      </select>
    </span>
  );
}

export function Layout({ session, children }: { session: Session; children: ReactNode }) {
  const { t } = useI18n();
  const [location, navigate] = useLocation();
  const mailboxes = useMailboxes();
  const queryClient = useQueryClient();
  const mailboxId = currentMailboxId(location);
  const switcherId = useId();
  const saveLanguage = useSaveLanguage();

  const onLogout = async () => {
    try {
      await logout(client);
    } finally {
      queryClient.clear();
      window.location.assign('/');
    }
  };

  return (
    <div className="app">
      <a className="skip-link" href="#content">
        {t('app.skip')}
      </a>
      <header className="banner">
        <Link href="/" className="brand">
          <span aria-hidden="true" className="brand-mark">
            ✉
          </span>{' '}
          {t('app.name')}
        </Link>
        <nav className="banner-nav" aria-label={t('app.menu')}>
          {mailboxes.data && mailboxes.data.length > 1 ? (
            <span className="field-inline">
              <label htmlFor={switcherId}>{t('app.mailbox')}</label>
              <select
                id={switcherId}
                value={mailboxId ?? ''}
                onChange={(event) => navigate(`/inbox/${event.target.value}`)}
              >
                {/* Outside a mailbox (settings) nothing is chosen, so every mailbox can be. */}
                {!mailboxId || !mailboxes.data.some((m) => m.id === mailboxId) ? (
                  <option value={mailboxId ?? ''} disabled>
                    {t('app.chooseMailbox')}
                  </option>
                ) : null}
                {mailboxes.data.map((m) => (
                  <option key={m.id} value={m.id}>
                    {mailboxLabel(m, t)}
                  </option>
                ))}
              </select>
            </span>
          ) : null}
          <LanguagePicker onChosen={(language) => void saveLanguage(language)} />
          <Link href="/settings" className="nav-link" aria-current={location === '/settings' ? 'page' : undefined}>
            {t('app.settings')}
          </Link>
          <button type="button" className="button button-quiet" onClick={() => void onLogout()}>
            {t('app.logout')}
            <span className="visually-hidden"> ({session.nationalId})</span>
          </button>
        </nav>
      </header>
      {children}
    </div>
  );
}
