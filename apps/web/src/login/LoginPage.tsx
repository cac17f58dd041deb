/** Shown without a session: one button to the configured identity provider, back to this page after. */
import { useEffect, useRef } from 'react';
import { LanguagePicker } from '../app/Layout.js';
import { useI18n } from '../i18n/index.js';

export function LoginPage() {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  const here = `${window.location.pathname}${window.location.search}`;
  const href = `/auth/login?returnTo=${encodeURIComponent(here.startsWith('/') ? here : '/')}`;
  useEffect(() => {
    document.title = `${t('login.title')} – ${t('app.name')}`;
  }, [t]);
  return (
    <div className="app">
      <header className="banner">
        <span className="brand">
          <span aria-hidden="true" className="brand-mark">
            ✉
          </span>{' '}
          {t('app.name')}
        </span>
        <div className="banner-nav">
          <LanguagePicker />
        </div>
      </header>
      <main id="content" className="login">
        <div className="login-card">
          <h1 ref={heading}>{t('login.title')}</h1>
          <p className="lead">{t('login.lead')}</p>
          <a className="button button-primary button-large" href={href}>
            {t('login.button')}
          </a>
          <p className="muted">{t('login.provider')}</p>
          <p className="muted">{t('login.levelNote')}</p>
        </div>
      </main>
    </div>
  );
}
