/**
 * Settings: notification addresses and language (the person's register record), read access
 * for others (grant, list, revoke), the mailboxes the person can read, consents to companies.
 */
import {
  changeOwnRecord,
  getOwnRecord,
  grantAccess,
  listConsents,
  listGrants,
  revokeGrant,
  withdrawConsent,
} from '@postkasse/sdk/recipient';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { Link } from 'wouter';
import { client, errorCode, errorKey, fieldErrorCode } from '../api.js';
import { useMailboxes } from '../app/App.js';
import { useFocusOnChange } from '../app/focus.js';
import { mailboxLabel, useSaveLanguage } from '../app/Layout.js';
import { ErrorNotice, Loading, useAnnounce } from '../app/states.js';
import type { MessageKey } from '../i18n/en.js';
import { isLanguage, languageNames, languages, useI18n } from '../i18n/index.js';

export function SettingsPage() {
  const { t } = useI18n();
  const heading = useRef<HTMLHeadingElement>(null);
  useFocusOnChange(heading, 'settings');
  useEffect(() => {
    document.title = `${t('settings.title')} – ${t('app.name')}`;
  }, [t]);
  return (
    <main id="content" className="content settings" tabIndex={-1}>
      <h1 ref={heading} tabIndex={-1}>
        {t('settings.title')}
      </h1>
      <ContactSection />
      <LanguageSection />
      <GrantsSection />
      <MailboxesSection />
      <ConsentsSection />
    </main>
  );
}

function useOwnRecord() {
  return useQuery({ queryKey: ['register'], queryFn: () => getOwnRecord(client) });
}

function ContactSection() {
  const { t } = useI18n();
  const announce = useAnnounce();
  const record = useOwnRecord();
  const queryClient = useQueryClient();
  const id = useId();
  const [email, setEmail] = useState<string | null>(null);
  const [mobile, setMobile] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: () =>
      changeOwnRecord(client, {
        email: (email ?? record.data?.contact.email ?? '').trim() || null,
        mobile: (mobile ?? record.data?.contact.mobile ?? '').trim() || null,
      }),
    onSuccess: (data) => {
      queryClient.setQueryData(['register'], data);
      setEmail(null);
      setMobile(null);
      announce(t('settings.saved'));
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  // Which field the server refused, said next to it (the field keeps what was typed).
  const emailWrong = save.isError && fieldErrorCode(save.error, 'email') !== null;
  const mobileWrong = save.isError && fieldErrorCode(save.error, 'mobile') !== null;
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('settings.contact')}</h2>
      <p className="muted">{t('settings.contactLead')}</p>
      {record.isPending ? (
        <Loading />
      ) : record.isError ? (
        <ErrorNotice error={record.error} onRetry={() => void record.refetch()} />
      ) : (
        <form onSubmit={submit} className="stack">
          <span className="field">
            <label htmlFor={`${id}-email`}>{t('settings.email')}</label>
            <input
              id={`${id}-email`}
              type="email"
              autoComplete="email"
              maxLength={254}
              value={email ?? record.data.contact.email ?? ''}
              onChange={(e) => setEmail(e.target.value)}
              aria-invalid={emailWrong || undefined}
              aria-describedby={emailWrong ? `${id}-email-error` : undefined}
            />
            {emailWrong ? (
              <span id={`${id}-email-error`} className="field-error" role="alert">
                {t('settings.emailInvalid')}
              </span>
            ) : null}
          </span>
          <span className="field">
            <label htmlFor={`${id}-mobile`}>{t('settings.mobile')}</label>
            <input
              id={`${id}-mobile`}
              type="tel"
              autoComplete="tel"
              maxLength={20}
              value={mobile ?? record.data.contact.mobile ?? ''}
              onChange={(e) => setMobile(e.target.value)}
              aria-invalid={mobileWrong || undefined}
              aria-describedby={mobileWrong ? `${id}-mobile-error` : undefined}
            />
            {mobileWrong ? (
              <span id={`${id}-mobile-error`} className="field-error" role="alert">
                {t('settings.mobileInvalid')}
              </span>
            ) : null}
          </span>
          {save.isError && !emailWrong && !mobileWrong ? (
            <p className="field-error" role="alert">
              {t(errorKey(save.error))}
            </p>
          ) : null}
          <div>
            <button type="submit" className="button button-primary" disabled={save.isPending}>
              {t('settings.save')}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function LanguageSection() {
  const { t, language, setLanguage } = useI18n();
  const id = useId();
  const saveLanguage = useSaveLanguage();
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('settings.language')}</h2>
      <p className="muted" id={`${id}-lead`}>
        {t('settings.languageLead')}
      </p>
      <fieldset className="choices">
        <legend className="visually-hidden">{t('settings.language')}</legend>
        {languages.map((l) => (
          <label key={l} className="choice" lang={l}>
            <input
              type="radio"
              name={`${id}-language`}
              value={l}
              checked={language === l}
              onChange={(e) => {
                if (!isLanguage(e.target.value)) return;
                setLanguage(e.target.value);
                void saveLanguage(e.target.value);
              }}
            />{' '}
            {languageNames[l]}
          </label>
        ))}
      </fieldset>
    </section>
  );
}

function GrantsSection() {
  const { t, date } = useI18n();
  const id = useId();
  const announce = useAnnounce();
  const queryClient = useQueryClient();
  const mailboxes = useMailboxes();
  const own = mailboxes.data?.find((m) => m.role === 'owner' && m.ownerType === 'person');
  const grants = useQuery({
    queryKey: ['grants', own?.id],
    queryFn: () => listGrants(client, own?.id ?? ''),
    enabled: Boolean(own),
  });
  const [grantee, setGrantee] = useState('');
  const [scope, setScope] = useState<'read' | 'manage'>('read');
  const [until, setUntil] = useState('');
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['grants', own?.id] });
  const grant = useMutation({
    mutationFn: () =>
      grantAccess(client, own?.id ?? '', {
        granteeNationalId: grantee.replace(/[\s-]/g, ''),
        scope,
        ...(until ? { validUntil: new Date(`${until}T23:59:59`).toISOString() } : {}),
      }),
    onSuccess: () => {
      setGrantee('');
      setUntil('');
      announce(t('settings.granted'));
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (grantId: string) => revokeGrant(client, own?.id ?? '', grantId),
    onSuccess: () => {
      announce(t('settings.revoked'));
      void refresh();
    },
  });
  const active = (grants.data ?? []).filter((g) => g.active);

  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('settings.grants')}</h2>
      {!own ? (
        <p className="muted">{t('settings.onlyOwner')}</p>
      ) : (
        <>
          <p className="muted">{t('settings.grantsLead')}</p>
          {grants.isPending ? (
            <Loading />
          ) : grants.isError ? (
            <ErrorNotice error={grants.error} onRetry={() => void grants.refetch()} />
          ) : active.length === 0 ? (
            <p>{t('settings.noGrants')}</p>
          ) : (
            <ul className="plain-list">
              {active.map((g) => (
                <li key={g.id} className="row-between">
                  <span>
                    {t('settings.grantRow', {
                      person: g.granteeNationalId,
                      scope: g.scope === 'read' ? t('settings.scopeRead') : t('settings.scopeManage'),
                    })}
                    {g.validUntil ? ` (${t('settings.until', { date: date(g.validUntil) })})` : ''}
                  </span>
                  <button
                    type="button"
                    className="button button-quiet button-danger"
                    disabled={revoke.isPending}
                    onClick={() => revoke.mutate(g.id)}
                  >
                    {t('settings.revoke')}
                    <span className="visually-hidden"> {g.granteeNationalId}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
          <form
            className="stack"
            onSubmit={(event) => {
              event.preventDefault();
              grant.mutate();
            }}
          >
            <span className="field">
              <label htmlFor={`${id}-grantee`}>{t('settings.grantee')}</label>
              <input
                id={`${id}-grantee`}
                inputMode="numeric"
                autoComplete="off"
                required
                pattern="[0-9 \-]{10,13}"
                value={grantee}
                onChange={(e) => setGrantee(e.target.value)}
              />
            </span>
            <span className="field">
              <label htmlFor={`${id}-scope`}>{t('settings.scope')}</label>
              <select id={`${id}-scope`} value={scope} onChange={(e) => setScope(e.target.value as 'read' | 'manage')}>
                <option value="read">{t('settings.scopeRead')}</option>
                <option value="manage">{t('settings.scopeManage')}</option>
              </select>
            </span>
            <span className="field">
              <label htmlFor={`${id}-until`}>{t('settings.validUntil')}</label>
              <input
                id={`${id}-until`}
                type="date"
                min={new Date().toLocaleDateString('sv-SE')}
                value={until}
                onChange={(e) => setUntil(e.target.value)}
              />
            </span>
            {grant.isError ? (
              <p className="field-error" role="alert">
                {t(grantErrorKey(grant.error))}
              </p>
            ) : null}
            <div>
              <button type="submit" className="button button-primary" disabled={grant.isPending}>
                {t('settings.grant')}
              </button>
            </div>
          </form>
        </>
      )}
    </section>
  );
}

/** What went wrong giving access, in the words of the field it is about. */
function grantErrorKey(error: unknown): MessageKey {
  if (errorCode(error) === 'invalid_operation') return 'settings.grantSelf';
  if (fieldErrorCode(error, 'validUntil')) return 'settings.grantPast';
  if (fieldErrorCode(error, 'granteeNationalId')) return 'settings.grantInvalidId';
  return errorKey(error);
}

function MailboxesSection() {
  const { t } = useI18n();
  const id = useId();
  const mailboxes = useMailboxes();
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('settings.mailboxes')}</h2>
      {mailboxes.isPending ? (
        <Loading />
      ) : mailboxes.isError ? (
        <ErrorNotice error={mailboxes.error} onRetry={() => void mailboxes.refetch()} />
      ) : (
        <ul className="plain-list">
          {mailboxes.data.map((m) => (
            <li key={m.id} className="row-between">
              <span>{mailboxLabel(m, t)}</span>
              <Link href={`/inbox/${m.id}`} className="button button-quiet">
                {t('settings.open')}
                <span className="visually-hidden"> {mailboxLabel(m, t)}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function ConsentsSection() {
  const { t, date } = useI18n();
  const id = useId();
  const announce = useAnnounce();
  const queryClient = useQueryClient();
  const consents = useQuery({ queryKey: ['consents'], queryFn: () => listConsents(client) });
  const withdraw = useMutation({
    mutationFn: (orgNumber: string) => withdrawConsent(client, orgNumber),
    onSuccess: () => {
      announce(t('settings.withdrawn'));
      void queryClient.invalidateQueries({ queryKey: ['consents'] });
    },
  });
  const active = (consents.data ?? []).filter((c) => c.status === 'active');
  return (
    <section aria-labelledby={`${id}-title`} className="card">
      <h2 id={`${id}-title`}>{t('settings.consents')}</h2>
      {consents.isPending ? (
        <Loading />
      ) : consents.isError ? (
        <ErrorNotice error={consents.error} onRetry={() => void consents.refetch()} />
      ) : active.length === 0 ? (
        <p>{t('settings.noConsents')}</p>
      ) : (
        <ul className="plain-list">
          {active.map((c) => (
            <li key={c.sender.id} className="row-between">
              <span>
                {c.sender.name} ({c.sender.orgNumber}), {date(c.givenAt)}
              </span>
              <button
                type="button"
                className="button button-quiet button-danger"
                onClick={() => withdraw.mutate(c.sender.orgNumber)}
              >
                {t('settings.withdraw')}
                <span className="visually-hidden"> {c.sender.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      {withdraw.isError ? (
        <p className="field-error" role="alert">
          {t(errorKey(withdraw.error))}
        </p>
      ) : null}
    </section>
  );
}
