/**
 * What a notification says, in nb, da and en. It never carries a letter's content or its
 * subject (which may be sensitive): only who sent it (unless the letter is sensitive), its
 * non-sensitive title, and a link that opens it after login.
 */
import { escapeHtml } from '../html.js';
import type { OutgoingEmail, OutgoingSms } from '../ports.js';

export const notificationLanguages = ['nb', 'da', 'en'] as const;
export type NotificationLanguage = (typeof notificationLanguages)[number];

/** The register's languages (nb, nn, en, se, da) mapped onto the templates we have. */
export function templateLanguage(registerLanguage: string | null, country: 'NO' | 'DK'): NotificationLanguage {
  if (registerLanguage === 'da') return 'da';
  if (registerLanguage === 'en') return 'en';
  if (registerLanguage === 'nb' || registerLanguage === 'nn' || registerLanguage === 'se') return 'nb';
  return country === 'DK' ? 'da' : 'nb';
}

/** One letter as a notification may mention it. */
export type NotifiedLetter = {
  /** null when the letter is sensitive: the sender is not named before login. */
  senderName: string | null;
  nonSensitiveTitle: string | null;
  link: string;
  legalNotification: boolean;
  reminder: boolean;
};

type Texts = {
  subjectOne: (from: string) => string;
  subjectMany: (n: number) => string;
  someone: string;
  aLetter: string;
  intro: (n: number) => string;
  reminder: string;
  legal: string;
  open: string;
  footer: string;
  smsOne: (from: string, link: string) => string;
  smsMany: (n: number, link: string) => string;
};

const texts: Record<NotificationLanguage, Texts> = {
  nb: {
    subjectOne: (from) => `Du har fått brev fra ${from}`,
    subjectMany: (n) => `Du har fått ${n} nye brev`,
    someone: 'en avsender',
    aLetter: 'Brev',
    intro: (n) =>
      n === 1
        ? 'Du har fått et nytt brev i din digitale postkasse.'
        : `Du har fått ${n} nye brev i din digitale postkasse.`,
    reminder: 'Påminnelse: du har brev du ikke har åpnet.',
    legal: 'Dette er et varsel som frister kan regnes fra.',
    open: 'Logg inn for å lese',
    footer: 'Du får denne e-posten fordi e-postadressen er registrert i kontakt- og reservasjonsregisteret.',
    smsOne: (from, link) => `Du har fått brev fra ${from}. Logg inn for å lese: ${link}`,
    smsMany: (n, link) => `Du har fått ${n} nye brev i din digitale postkasse. Logg inn for å lese: ${link}`,
  },
  da: {
    subjectOne: (from) => `Du har fået post fra ${from}`,
    subjectMany: (n) => `Du har fået ${n} nye breve`,
    someone: 'en afsender',
    aLetter: 'Brev',
    intro: (n) =>
      n === 1
        ? 'Du har fået et nyt brev i din digitale postkasse.'
        : `Du har fået ${n} nye breve i din digitale postkasse.`,
    reminder: 'Påmindelse: du har breve, som du ikke har åbnet.',
    legal: 'Dette er en meddelelse, som frister kan regnes fra.',
    open: 'Log ind for at læse',
    footer: 'Du får denne e-mail, fordi e-mailadressen er registreret til din digitale post.',
    smsOne: (from, link) => `Du har fået post fra ${from}. Log ind for at læse: ${link}`,
    smsMany: (n, link) => `Du har fået ${n} nye breve i din digitale postkasse. Log ind for at læse: ${link}`,
  },
  en: {
    subjectOne: (from) => `You have a letter from ${from}`,
    subjectMany: (n) => `You have ${n} new letters`,
    someone: 'a sender',
    aLetter: 'Letter',
    intro: (n) =>
      n === 1 ? 'You have a new letter in your digital mailbox.' : `You have ${n} new letters in your digital mailbox.`,
    reminder: 'Reminder: you have letters you have not opened.',
    legal: 'This is a notice from which deadlines may be counted.',
    open: 'Log in to read',
    footer: 'You receive this e-mail because the address is registered for your digital mail.',
    smsOne: (from, link) => `You have a letter from ${from}. Log in to read: ${link}`,
    smsMany: (n, link) => `You have ${n} new letters in your digital mailbox. Log in to read: ${link}`,
  },
};

/** At most this many letters are listed; the count says how many there are. */
const MAX_LISTED = 10;

export function renderEmail(
  language: NotificationLanguage,
  letters: NotifiedLetter[],
  options: { overrideText?: string | undefined; inboxLink: string },
): Omit<OutgoingEmail, 'to'> {
  const t = texts[language];
  const one = letters.length === 1 ? letters[0] : undefined;
  const subject = one ? t.subjectOne(one.senderName ?? t.someone) : t.subjectMany(letters.length);
  // A sender's own text is used only when the notification is about its one letter.
  const intro = one && options.overrideText ? options.overrideText : t.intro(letters.length);
  const extra = [
    ...(letters.every((l) => l.reminder) ? [t.reminder] : []),
    ...(letters.some((l) => l.legalNotification) ? [t.legal] : []),
  ];
  const listed = letters.slice(0, MAX_LISTED);
  const line = (l: NotifiedLetter) => `${l.senderName ?? t.someone}: ${l.nonSensitiveTitle ?? t.aLetter}`;
  const link = one ? one.link : options.inboxLink;
  const text = [
    intro,
    ...extra,
    '',
    ...listed.map((l) => `- ${line(l)}`),
    ...(letters.length > listed.length ? [`- … (${letters.length - listed.length})`] : []),
    '',
    `${t.open}: ${link}`,
    '',
    t.footer,
  ].join('\n');
  const html = `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1a1a1a">
<p>${escapeHtml(intro)}</p>
${extra.map((e) => `<p>${escapeHtml(e)}</p>`).join('\n')}
<ul>${listed.map((l) => `<li>${escapeHtml(line(l))}</li>`).join('')}${
    letters.length > listed.length ? `<li>… (${letters.length - listed.length})</li>` : ''
  }</ul>
<p><a href="${escapeHtml(link)}" style="display:inline-block;padding:10px 16px;background:#1f4e79;color:#fff;text-decoration:none;border-radius:4px">${escapeHtml(t.open)}</a></p>
<p style="font-size: 12px; color: #555">${escapeHtml(t.footer)}</p>
</body></html>`;
  return { subject, text, html };
}

export function renderSms(
  language: NotificationLanguage,
  letters: NotifiedLetter[],
  options: { overrideText?: string | undefined; inboxLink: string },
): Omit<OutgoingSms, 'to'> {
  const t = texts[language];
  const one = letters.length === 1 ? letters[0] : undefined;
  if (one && options.overrideText) return { text: options.overrideText };
  return {
    text: one ? t.smsOne(one.senderName ?? t.someone, one.link) : t.smsMany(letters.length, options.inboxLink),
  };
}
