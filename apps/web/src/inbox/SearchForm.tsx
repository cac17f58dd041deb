/** Search by words in the subject or title, sender and dates; the query lives in the URL. */
import { type FormEvent, useId, useState } from 'react';
import { useI18n } from '../i18n/index.js';
import { isSearch, type ListParams } from './search.js';

export function SearchForm({ params, onSearch }: { params: ListParams; onSearch: (next: ListParams) => void }) {
  const { t } = useI18n();
  const id = useId();
  const [draft, setDraft] = useState(params);
  const [more, setMore] = useState(Boolean(params.sender || params.from || params.to || params.unread));
  const searching = isSearch(params);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSearch({ ...draft, q: draft.q.trim(), sender: draft.sender.trim() });
  };
  const clear = () => {
    const empty = { ...params, q: '', sender: '', from: '', to: '', unread: false };
    setDraft(empty);
    onSearch(empty);
  };

  return (
    <search className="search">
      <form onSubmit={submit} aria-label={t('search.region')}>
        <div className="search-main">
          <label htmlFor={`${id}-q`} className="visually-hidden">
            {t('search.label')}
          </label>
          <input
            id={`${id}-q`}
            type="search"
            placeholder={t('search.label')}
            value={draft.q}
            maxLength={100}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
          />
          <button type="submit" className="button">
            {t('search.submit')}
          </button>
          <button
            type="button"
            className="button button-quiet"
            aria-expanded={more}
            aria-controls={`${id}-more`}
            onClick={() => setMore(!more)}
          >
            {t('search.more')}
          </button>
          {searching ? (
            <button type="button" className="button button-quiet" onClick={clear}>
              {t('search.clear')}
            </button>
          ) : null}
        </div>
        <div id={`${id}-more`} className="search-more" hidden={!more}>
          <span className="field">
            <label htmlFor={`${id}-sender`}>{t('search.sender')}</label>
            <input
              id={`${id}-sender`}
              value={draft.sender}
              maxLength={100}
              onChange={(e) => setDraft({ ...draft, sender: e.target.value })}
            />
          </span>
          <span className="field">
            <label htmlFor={`${id}-from`}>{t('search.from')}</label>
            <input
              id={`${id}-from`}
              type="date"
              value={draft.from}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
            />
          </span>
          <span className="field">
            <label htmlFor={`${id}-to`}>{t('search.to')}</label>
            <input
              id={`${id}-to`}
              type="date"
              value={draft.to}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
            />
          </span>
          <span className="field field-check">
            <input
              id={`${id}-unread`}
              type="checkbox"
              checked={draft.unread}
              onChange={(e) => setDraft({ ...draft, unread: e.target.checked })}
            />
            <label htmlFor={`${id}-unread`}>{t('search.unread')}</label>
          </span>
        </div>
      </form>
    </search>
  );
}
