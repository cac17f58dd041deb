/** The page frame: skip link, banner with mailbox switcher, language, settings and logout. */
import { logout, type Mailbox, type Session } from '@postkasse/sdk/recipient';
import { useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { Link, useLocation } from 'wouter';
import { client } from '../api.js';
import { isLanguage, type Language, languageNames, languages, type Translate, useI18n } from '../i18n/index.js';
import { useMailboxes } from './App.js';

export function mailboxLabel(mailbox: Mailbox, t: Translate): string {
  const who = mailbox.name ?? mailbox.ownerId;
  return mailbox.role === 'owner' ? `${who} (${t('role.owner')})` : `${who} (${t(`role.${mailbox.role}`)})`;
}

/** The mailbox id in the current path, if any. */
export function currentMailboxId(location: string): string | undefined {
  const match = /^\/inbox\/([^/?#]+)/.exec(location);
  return match?.[1];
}

export function LanguagePicker({ id }: { id?: string }) {
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
          if (isLanguage(event.target.value)) setLanguage(event.target.value as Language);
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
                {mailboxId && !mailboxes.data.some((m) => m.id === mailboxId) ? <option value={mailboxId} /> : null}
                {mailboxes.data.map((m) => (
                  <option key={m.id} value={m.id}>
                    {mailboxLabel(m, t)}
                  </option>
                ))}
              </select>
            </span>
          ) : null}
          <LanguagePicker />
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
