/** The sender's actions on a letter: pay, add an appointment to the calendar, open a link. */
import { calendarUrl, type Letter, type LetterAction } from '@postkasse/sdk/recipient';
import { client } from '../api.js';
import { useI18n } from '../i18n/index.js';

function isHttps(url: string | undefined): url is string {
  if (!url) return false;
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export function LetterActions({ mailboxId, letter }: { mailboxId: string; letter: Letter }) {
  const { t } = useI18n();
  if (letter.actions.length === 0) return null;
  return (
    <section className="actions" aria-labelledby="actions-title">
      <h2 id="actions-title">{t('letter.actions')}</h2>
      <ul>
        {letter.actions.map((action) => (
          <li key={action.index}>
            <Action mailboxId={mailboxId} letterId={letter.id} action={action} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function Action({ mailboxId, letterId, action }: { mailboxId: string; letterId: string; action: LetterAction }) {
  const { t, money, day, dateTime } = useI18n();
  // The server accepts only https links; the page checks again before making one.
  const external = isHttps(action.url) ? (
    <a className="button button-primary" href={action.url} target="_blank" rel="noopener noreferrer">
      {action.type === 'pay' && action.amount && action.currency
        ? t('letter.pay', { amount: money(action.amount, action.currency) })
        : action.label}
      <span className="visually-hidden"> {t('letter.external')}</span>
    </a>
  ) : null;

  if (action.type === 'pay') {
    return (
      <div className="action action-pay">
        <p className="action-label">{action.label}</p>
        {action.amount && action.currency ? <p className="amount">{money(action.amount, action.currency)}</p> : null}
        <p className="muted">
          {t('letter.payDetails', {
            account: action.creditorAccount ?? '–',
            reference: action.paymentReference ?? '–',
            date: action.dueDate ? day(action.dueDate) : '–',
          })}
        </p>
        {external}
      </div>
    );
  }
  if (action.type === 'appointment') {
    return (
      <div className="action action-appointment">
        <p className="action-label">{action.label}</p>
        {action.start ? (
          <p>
            <time dateTime={action.start}>{dateTime(action.start)}</time>
            {action.end ? (
              <>
                {' – '}
                <time dateTime={action.end}>{dateTime(action.end)}</time>
              </>
            ) : null}
            {action.place ? `, ${action.place}` : null}
          </p>
        ) : null}
        <a className="button button-primary" href={calendarUrl(client, mailboxId, letterId, action.index)} download>
          {t('letter.calendar')}
        </a>
      </div>
    );
  }
  return <div className="action">{external ?? <p className="action-label">{action.label}</p>}</div>;
}
