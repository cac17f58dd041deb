/** Loading, empty and error states, and the polite announcer that reads changes aloud. */
import { createContext, type ReactNode, useCallback, useContext, useState } from 'react';
import { errorKey } from '../api.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/index.js';

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t('app.loading')}</span>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** An error in words a citizen understands, with a retry when that can help. */
export function ErrorNotice({
  error,
  onRetry,
  messageKey,
}: {
  error: unknown;
  onRetry?: () => void;
  /** Says this instead of what the error's code says. */
  messageKey?: MessageKey;
}) {
  const { t } = useI18n();
  return (
    <div className="state state-error" role="alert">
      <p>{t(messageKey ?? errorKey(error))}</p>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          {t('error.retry')}
        </button>
      ) : null}
    </div>
  );
}

type Announce = (message: string) => void;
const AnnouncerContext = createContext<Announce>(() => {});

/**
 * One status region for the whole app: short confirmations ("The letter was moved") are shown
 * for a few seconds and read by screen readers without moving focus.
 */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [message, setMessage] = useState<{ text: string; n: number } | null>(null);
  const announce = useCallback<Announce>((text) => {
    setMessage((previous) => {
      const n = (previous?.n ?? 0) + 1;
      setTimeout(() => setMessage((current) => (current?.n === n ? null : current)), 6000);
      return { text, n };
    });
  }, []);
  return (
    <AnnouncerContext.Provider value={announce}>
      {children}
      <div className="toast-region" role="status" aria-live="polite" aria-atomic="true">
        {message ? (
          <p className="toast" key={message.n}>
            {message.text}
          </p>
        ) : null}
      </div>
    </AnnouncerContext.Provider>
  );
}

export const useAnnounce = () => useContext(AnnouncerContext);
