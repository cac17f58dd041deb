/**
 * The few pages the login itself shows (not the app's): when a login expired, failed, reached too
 * low a level, or the person has no mailbox here. In the reader's language (nb, da, en, from the
 * browser's Accept-Language, as the app chooses it), with the way back to where they were going.
 */
import { escapeHtml } from '@postkasse/core';
import Negotiator from 'negotiator';
import { page } from './test-idp/pages.js';

type Language = 'nb' | 'da' | 'en';
export type AuthPage = 'expired' | 'expiredElsewhere' | 'failed' | 'levelTooLow' | 'notRegistered';

type Texts = Record<AuthPage, { title: string; message: string }> & {
  back: string;
  again: string;
  higher: string;
};

const texts: Record<Language, Texts> = {
  en: {
    expired: { title: 'Login expired', message: 'The login took too long. Please log in again.' },
    expiredElsewhere: {
      title: 'Login expired',
      message: 'The login took too long or was started elsewhere. Please log in again.',
    },
    failed: { title: 'Login failed', message: 'The identity provider did not confirm the login. Please try again.' },
    levelTooLow: {
      title: 'Security level too low',
      message: 'This page needs a login at a higher security level.',
    },
    notRegistered: {
      title: 'No mailbox here',
      message:
        'You are not registered for digital mail with this service. Contact the service that sent you here, or choose a digital mailbox in the contact register.',
    },
    back: 'Back to Postkasse',
    again: 'Log in again',
    higher: 'Log in at the higher level',
  },
  nb: {
    expired: { title: 'Innloggingen gikk ut', message: 'Innloggingen tok for lang tid. Logg inn på nytt.' },
    expiredElsewhere: {
      title: 'Innloggingen gikk ut',
      message: 'Innloggingen tok for lang tid eller ble startet et annet sted. Logg inn på nytt.',
    },
    failed: {
      title: 'Innloggingen mislyktes',
      message: 'Innloggingstjenesten bekreftet ikke innloggingen. Prøv igjen.',
    },
    levelTooLow: {
      title: 'For lavt sikkerhetsnivå',
      message: 'Denne siden krever innlogging på et høyere sikkerhetsnivå.',
    },
    notRegistered: {
      title: 'Ingen postkasse her',
      message:
        'Du er ikke registrert for digital post hos denne tjenesten. Kontakt tjenesten som sendte deg hit, eller velg en digital postkasse i kontaktregisteret.',
    },
    back: 'Tilbake til Postkasse',
    again: 'Logg inn på nytt',
    higher: 'Logg inn på høyere nivå',
  },
  da: {
    expired: { title: 'Login udløbet', message: 'Login tog for lang tid. Log ind igen.' },
    expiredElsewhere: {
      title: 'Login udløbet',
      message: 'Login tog for lang tid eller blev startet et andet sted. Log ind igen.',
    },
    failed: { title: 'Login mislykkedes', message: 'Login-tjenesten bekræftede ikke dit login. Prøv igen.' },
    levelTooLow: {
      title: 'For lavt sikringsniveau',
      message: 'Denne side kræver login på et højere sikringsniveau.',
    },
    notRegistered: {
      title: 'Ingen postkasse her',
      message:
        'Du er ikke tilmeldt digital post hos denne tjeneste. Kontakt den tjeneste, der sendte dig hertil, eller vælg en digital postkasse i kontaktregistret.',
    },
    back: 'Tilbage til Postkasse',
    again: 'Log ind igen',
    higher: 'Log ind på det højere niveau',
  },
};

/**
 * nb for Norwegian (nb, nn, no), da for Danish, otherwise English, by the browser's preference:
 * the rule the web inbox's `languageFrom` (apps/web/src/i18n) follows, so the login's pages and the
 * app speak alike.
 */
export function pageLanguage(acceptLanguage: string | undefined): Language {
  const tags = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } }).languages();
  for (const tag of tags) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'nb' || primary === 'nn' || primary === 'no') return 'nb';
    if (primary === 'da') return 'da';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

/**
 * The page: its title and message, then links: logging in again (or at the higher level) to the
 * page the person was going to, when that is known, and back to the inbox.
 */
export function authPage(
  kind: AuthPage,
  acceptLanguage: string | undefined,
  links: { retry?: string | undefined } = {},
): string {
  const language = pageLanguage(acceptLanguage);
  const t = texts[language];
  const { title, message } = t[kind];
  const retry = links.retry
    ? `<p><a href="${escapeHtml(links.retry)}">${escapeHtml(kind === 'levelTooLow' ? t.higher : t.again)}</a></p>`
    : '';
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${retry}<p><a href="/">${escapeHtml(t.back)}</a></p>`,
    language,
  );
}
