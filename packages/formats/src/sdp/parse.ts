/**
 * Validates the SDP JSON business message and normalises it (see model.ts for the accepted
 * spellings). Every problem is collected and thrown as FormatError `invalid_sdp`, with JSON paths
 * such as `digitalpost.varsler.smsvarsel.varslingstekst` (paths use the canonical names).
 *
 * Rules: sikkerhetsnivaa 3 or 4; ikkesensitivtittel and tittel non-empty, ≤ 255 characters, no
 * control characters; spraak a two-letter code; virkningsdato a date or a date-time with a time
 * zone; notification texts ≤ 500 (e-mail) / 160 (SMS) characters; repetisjoner 1–10 distinct
 * whole numbers of days 0–25; exactly one recipient: a Norwegian national id (11 digits, both
 * check digits) or organization number (9 digits, check digit); hoveddokument a safe file name.
 */
import { checkFilename, isNorwegianNationalId, isNorwegianOrgNumber } from '@postkasse/core';
import { isDate, isDateTime } from '../datetime.js';
import { FormatError, type FormatIssue } from '../errors.js';
import type { SdpDigitalPost, SdpMessage, SdpMottaker, SdpVarsel, SdpVarsler, Sikkerhetsnivaa } from './model.js';

export const maxSdpJsonBytes = 1024 * 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const PHONE = /^\+?[0-9]{8,15}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Accepts the parsed object, or its JSON text as a string or UTF-8 bytes (at most 1 MB). */
export function parseSdpMessage(input: unknown): SdpMessage {
  const issues: FormatIssue[] = [];
  const add = (path: string, code: string, message: string) => issues.push({ path, code, message });
  let root = parseJsonInput(input);
  if (isObj(root) && isObj(root.standardBusinessDocument)) root = root.standardBusinessDocument;
  if (!isObj(root)) throw FormatError.single('invalid_sdp', '', 'the message is not a JSON object');

  const out: Partial<SdpMessage> = {};
  const sbdh = root.standardBusinessDocumentHeader;
  if (sbdh !== undefined) {
    if (!isObj(sbdh)) add('standardBusinessDocumentHeader', 'invalid_type', 'must be an object');
    else readHeader(sbdh, out, add);
  }
  const dp = root.digitalpost ?? root.digital;
  if (!isObj(dp)) {
    add('digitalpost', dp === undefined ? 'missing_field' : 'invalid_type', 'digitalpost must be an object');
  } else {
    out.digitalpost = readDigitalPost(dp, add);
  }
  if (issues.length > 0) throw new FormatError('invalid_sdp', issues);
  return out as SdpMessage;
}

function parseJsonInput(input: unknown): unknown {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) return input;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > maxSdpJsonBytes) throw FormatError.single('invalid_sdp', '', `the JSON is larger than ${maxSdpJsonBytes}`);
  try {
    const text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
    return JSON.parse(text);
  } catch {
    throw FormatError.single('invalid_sdp', '', 'the message is not valid JSON in UTF-8');
  }
}

type Add = (path: string, code: string, message: string) => void;

function readHeader(sbdh: Obj, out: Partial<SdpMessage>, add: Add): void {
  out.standardBusinessDocumentHeader = sbdh;
  const docId = isObj(sbdh.documentIdentification) ? sbdh.documentIdentification.instanceIdentifier : undefined;
  if (docId !== undefined) {
    if (typeof docId !== 'string' || !UUID.test(docId)) {
      add('standardBusinessDocumentHeader.documentIdentification.instanceIdentifier', 'invalid_uuid', 'must be a UUID');
    } else {
      out.messageId = docId;
    }
  }
  const scopes = isObj(sbdh.businessScope) ? sbdh.businessScope.scope : undefined;
  if (Array.isArray(scopes)) {
    const conv = scopes.find((s) => isObj(s) && s.type === 'ConversationId');
    if (isObj(conv) && typeof conv.instanceIdentifier === 'string') out.conversationId = conv.instanceIdentifier;
  }
}

function text(v: unknown, path: string, add: Add, max: number, required: boolean): string | undefined {
  if (v === undefined || v === null) {
    if (required) add(path, 'missing_field', 'is required');
    return undefined;
  }
  if (typeof v !== 'string') {
    add(path, 'invalid_type', 'must be a string');
    return undefined;
  }
  if (v.trim() === '') add(path, 'empty_value', 'is empty');
  else if ([...v].length > max) add(path, 'too_long', `longer than ${max} characters`);
  else if (CONTROL.test(v)) add(path, 'invalid_character', 'contains control characters');
  return v;
}

function readDigitalPost(dp: Obj, add: Add): SdpDigitalPost {
  const P = 'digitalpost';
  const info = isObj(dp.digitalPostInfo) ? dp.digitalPostInfo : {};
  const level = dp.sikkerhetsnivaa;
  if (level !== 3 && level !== 4) add(`${P}.sikkerhetsnivaa`, 'invalid_value', 'must be 3 or 4');
  const out: SdpDigitalPost = {
    sikkerhetsnivaa: level as Sikkerhetsnivaa,
    ikkesensitivtittel: text(
      dp.ikkesensitivtittel ?? dp.ikkeSensitivTittel,
      `${P}.ikkesensitivtittel`,
      add,
      255,
      true,
    )!,
    spraak: 'NO',
    aapningskvittering: false,
    mottaker: readMottaker(dp.mottaker, `${P}.mottaker`, add)!,
  };
  const hoved = text(dp.hoveddokument, `${P}.hoveddokument`, add, 255, false);
  if (hoved !== undefined) {
    const bad = checkFilename(hoved);
    if (bad) add(`${P}.hoveddokument`, 'invalid_filename', bad);
    out.hoveddokument = hoved;
  }
  for (const key of ['avsenderId', 'fakturaReferanse', 'tittel'] as const) {
    const v = text(dp[key], `${P}.${key}`, add, 255, false);
    if (v !== undefined) out[key] = v;
  }
  const spraak = dp.spraak;
  if (spraak !== undefined) {
    if (typeof spraak !== 'string' || !/^[A-Za-z]{2}$/.test(spraak)) {
      add(`${P}.spraak`, 'invalid_language', 'must be a two-letter language code such as NO or EN');
    } else {
      out.spraak = spraak;
    }
  }
  const when = dp.virkningsdato ?? dp.virkningstidspunkt ?? info.virkningsdato ?? info.virkningstidspunkt;
  if (when !== undefined) {
    if (typeof when !== 'string' || !(isDate(when) || isDateTime(when))) {
      add(`${P}.virkningsdato`, 'invalid_date', 'must be YYYY-MM-DD or a date-time with a time zone');
    } else {
      out.virkningsdato = when;
    }
  }
  const receipt = dp.aapningskvittering ?? info.aapningskvittering;
  if (receipt !== undefined) {
    if (typeof receipt !== 'boolean') add(`${P}.aapningskvittering`, 'invalid_type', 'must be true or false');
    else out.aapningskvittering = receipt;
  }
  if (dp.varsler !== undefined) {
    const varsler = readVarsler(dp.varsler, `${P}.varsler`, add);
    if (varsler) out.varsler = varsler;
  }
  return out;
}

function readMottaker(m: unknown, path: string, add: Add): SdpMottaker | undefined {
  if (!isObj(m)) {
    add(path, m === undefined ? 'missing_field' : 'invalid_type', 'the recipient must be an object');
    return undefined;
  }
  const person = m.personidentifikator;
  const org = m.organisasjonsnummer ?? m.orgnr;
  if ((person === undefined) === (org === undefined)) {
    add(path, 'invalid_recipient', 'give exactly one of personidentifikator and organisasjonsnummer');
    return undefined;
  }
  if (person !== undefined) {
    if (typeof person !== 'string' || !isNorwegianNationalId(person)) {
      add(`${path}.personidentifikator`, 'invalid_national_id', 'must be an 11-digit Norwegian national id');
      return undefined;
    }
    const out: SdpMottaker = { personidentifikator: person };
    const box = text(m.postkasseadresse, `${path}.postkasseadresse`, add, 255, false);
    if (box !== undefined) out.postkasseadresse = box;
    return out;
  }
  if (typeof org !== 'string' || !isNorwegianOrgNumber(org)) {
    add(`${path}.organisasjonsnummer`, 'invalid_org_number', 'must be a 9-digit Norwegian organization number');
    return undefined;
  }
  return { organisasjonsnummer: org };
}

function readVarsler(v: unknown, path: string, add: Add): SdpVarsler | undefined {
  if (!isObj(v)) {
    add(path, 'invalid_type', 'must be an object');
    return undefined;
  }
  const out: SdpVarsler = {};
  const email = v.epostvarsel ?? v.epostVarsel;
  if (email !== undefined) {
    const base = readVarsel(email, `${path}.epostvarsel`, 500, add);
    if (base && isObj(email)) {
      const address = text(email.epostadresse, `${path}.epostvarsel.epostadresse`, add, 254, false);
      if (address !== undefined && !EMAIL.test(address)) {
        add(`${path}.epostvarsel.epostadresse`, 'invalid_email', 'is not an e-mail address');
      }
      out.epostvarsel = address === undefined ? base : { ...base, epostadresse: address };
    }
  }
  const sms = v.smsvarsel ?? v.smsVarsel;
  if (sms !== undefined) {
    const base = readVarsel(sms, `${path}.smsvarsel`, 160, add);
    if (base && isObj(sms)) {
      const phone = text(sms.mobiltelefonnummer, `${path}.smsvarsel.mobiltelefonnummer`, add, 20, false);
      if (phone !== undefined && !PHONE.test(phone)) {
        add(`${path}.smsvarsel.mobiltelefonnummer`, 'invalid_phone', 'is not a mobile number (digits, optional +)');
      }
      out.smsvarsel = phone === undefined ? base : { ...base, mobiltelefonnummer: phone };
    }
  }
  return out;
}

function readVarsel(v: unknown, path: string, maxText: number, add: Add): SdpVarsel | undefined {
  if (!isObj(v)) {
    add(path, 'invalid_type', 'must be an object');
    return undefined;
  }
  const varslingstekst = text(v.varslingstekst, `${path}.varslingstekst`, add, maxText, true) ?? '';
  const reps = v.repetisjoner ?? [0];
  const ok =
    Array.isArray(reps) &&
    reps.length >= 1 &&
    reps.length <= 10 &&
    reps.every((d) => Number.isInteger(d) && d >= 0 && d <= 25) &&
    new Set(reps).size === reps.length;
  if (!ok) add(`${path}.repetisjoner`, 'invalid_repetitions', '1 to 10 distinct whole numbers of days, each 0 to 25');
  return { varslingstekst, repetisjoner: ok ? (reps as number[]) : [] };
}
