/**
 * Party identifiers: Norwegian national ids (fødselsnummer, D-number, synthetic test ids),
 * Danish CPR numbers, Norwegian organization numbers and Danish CVR numbers.
 */

import { AppError } from './errors.js';

export type Country = 'NO' | 'DK';

const NO_FNR_W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const NO_FNR_W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
const NO_ORG_W = [3, 2, 7, 6, 5, 4, 3, 2];

const digits = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0) - 48);

/** Mod-11 control digit; null when the weighted sum gives the invalid remainder 10. */
function mod11(values: number[], weights: number[]): number | null {
  let sum = 0;
  for (let i = 0; i < weights.length; i++) sum += (values[i] ?? 0) * (weights[i] ?? 0);
  const k = 11 - (sum % 11);
  if (k === 11) return 0;
  if (k === 10) return null;
  return k;
}

function isPlausibleDayMonth(day: number, month: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const daysIn = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return day <= (daysIn[month - 1] ?? 0);
}

/**
 * A Norwegian fødselsnummer or D-number (day + 40). Test ids are accepted with the month raised
 * by 40 (NAV's synthetic ids) or 80 (Skatteetaten's synthetic ids). Both control digits checked.
 */
export function isNorwegianNationalId(id: string): boolean {
  if (!/^\d{11}$/.test(id)) return false;
  const d = digits(id);
  let day = Number(id.slice(0, 2));
  let month = Number(id.slice(2, 4));
  if (day > 40) day -= 40;
  if (month > 80) month -= 80;
  else if (month > 40) month -= 40;
  if (!isPlausibleDayMonth(day, month)) return false;
  const k1 = mod11(d, NO_FNR_W1);
  if (k1 === null || k1 !== d[9]) return false;
  const k2 = mod11(d, NO_FNR_W2);
  return k2 !== null && k2 === d[10];
}

/** A Danish CPR number: DDMMYY + 4 digits. No modulus-11 check: many CPRs since 2007 fail it. */
export function isDanishCpr(id: string): boolean {
  if (!/^\d{10}$/.test(id)) return false;
  return isPlausibleDayMonth(Number(id.slice(0, 2)), Number(id.slice(2, 4)));
}

export function isNorwegianOrgNumber(id: string): boolean {
  if (!/^[89]\d{8}$/.test(id)) return false;
  const d = digits(id);
  const k = mod11(d, NO_ORG_W);
  return k !== null && k === d[8];
}

/** A Danish CVR number: 8 digits, not starting with 0. */
export function isDanishCvr(id: string): boolean {
  return /^[1-9]\d{7}$/.test(id);
}

export type PersonId = { kind: 'person'; nationalId: string; country: Country };
export type OrganizationId = { kind: 'organization'; orgNumber: string; country: Country };
export type PartyId = PersonId | OrganizationId;

export function parseNationalId(id: string): PersonId | null {
  if (isNorwegianNationalId(id)) return { kind: 'person', nationalId: id, country: 'NO' };
  if (isDanishCpr(id)) return { kind: 'person', nationalId: id, country: 'DK' };
  return null;
}

/** The national id, or a 400 `validation_failed` naming `path` (where the id came from). */
export function requireNationalId(id: string, path: string): string {
  const parsed = parseNationalId(id);
  if (!parsed) {
    throw new AppError('validation_failed', `${path} is not a valid national id`, {
      errors: [{ path, code: 'invalid_national_id', message: 'not valid' }],
    });
  }
  return parsed.nationalId;
}

export function parseOrgNumber(id: string): OrganizationId | null {
  if (isNorwegianOrgNumber(id)) return { kind: 'organization', orgNumber: id, country: 'NO' };
  if (isDanishCvr(id)) return { kind: 'organization', orgNumber: id, country: 'DK' };
  return null;
}

/** For logs and support screens: the date part stays, the individual number is hidden. */
export function maskNationalId(id: string): string {
  if (id.length <= 6) return '*'.repeat(id.length);
  return `${id.slice(0, 6)}${'*'.repeat(id.length - 6)}`;
}

/** Masks every 10- or 11-digit run in free text (log lines, error messages), and a dashed CPR. */
export function maskNationalIdsInText(text: string): string {
  return (
    text
      .replace(/(?<!\d)(\d{6})(\d{4,5})(?!\d)/g, (_m, head: string, tail: string) => head + '*'.repeat(tail.length))
      // A CPR written with its dash (010101-1234), as people and older systems write it; standing
      // alone, so no run of digits inside a UUID or another word is taken for one.
      .replace(/(?<![\w-])(\d{6})-(\d{4})(?![\w-])/g, (_m, head: string) => `${head}-****`)
  );
}
