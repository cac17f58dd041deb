/**
 * Translations (nb, da, en) and formatting for the chosen language. The language comes from the
 * person's own choice (kept in this browser), else from the browser's languages; it is saved to
 * the register as well, so notifications use it too.
 */
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { da } from './da.js';
import { type Catalogue, en, type MessageKey } from './en.js';
import { nb } from './nb.js';

export const languages = ['nb', 'da', 'en'] as const;
export type Language = (typeof languages)[number];
export const languageNames: Record<Language, string> = { nb: 'Norsk bokmål', da: 'Dansk', en: 'English' };

const catalogues: Record<Language, Catalogue> = { nb, da, en };
const intlLocale: Record<Language, string> = { nb: 'nb-NO', da: 'da-DK', en: 'en-GB' };
const STORAGE_KEY = 'postkasse.language';

/** nb for Norwegian (nb, nn, no), da for Danish, otherwise English. */
export function languageFrom(tags: readonly string[]): Language {
  for (const tag of tags) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'nb' || primary === 'nn' || primary === 'no') return 'nb';
    if (primary === 'da') return 'da';
    if (primary === 'en') return 'en';
  }
  return 'en';
}

export const isLanguage = (value: unknown): value is Language => languages.includes(value as Language);

function initialLanguage(): Language {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (isLanguage(stored)) return stored;
  } catch {
    // storage may be blocked; the browser's languages decide then
  }
  return languageFrom(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

/** One message in a given language (a confirmation after the language was changed says it in the new one). */
export function messageIn(language: Language, key: MessageKey): string {
  return catalogues[language][key] ?? en[key] ?? key;
}

export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

type I18n = {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  date: (iso: string) => string;
  dateTime: (iso: string) => string;
  /** A date without time (YYYY-MM-DD), shown for the language without moving it across midnight. */
  day: (isoDate: string) => string;
  number: (value: number) => string;
  money: (amount: string, currency: string) => string;
};

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);

  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);

  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // not kept across visits then
    }
  }, []);

  const value = useMemo<I18n>(() => {
    const catalogue = catalogues[language];
    const locale = intlLocale[language];
    const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium' });
    const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const dayFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
    const numberFormat = new Intl.NumberFormat(locale);
    const t: Translate = (key, vars) => {
      const text = catalogue[key] ?? en[key] ?? key;
      if (!vars) return text;
      return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
        const v = vars[name];
        return v === undefined ? whole : typeof v === 'number' ? numberFormat.format(v) : v;
      });
    };
    return {
      language,
      setLanguage,
      t,
      date: (iso) => dateFormat.format(new Date(iso)),
      dateTime: (iso) => dateTimeFormat.format(new Date(iso)),
      day: (isoDate) => dayFormat.format(new Date(`${isoDate.slice(0, 10)}T00:00:00Z`)),
      number: (n) => numberFormat.format(n),
      money: (amount, currency) => {
        try {
          return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(Number(amount));
        } catch {
          return `${amount} ${currency}`;
        }
      },
    };
  }, [language, setLanguage]);

  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

export type { MessageKey };
