/**
 * The MeMo schema's content rules, applied to a model (parsed or built in code). Every problem is
 * collected, each with the element path (`Message/MessageHeader/Recipient/recipientID`, with a
 * 1-based index on repeatable elements: `Message/MessageBody/AdditionalDocument[2]/File[1]`).
 *
 * Generic rules come from the element table (schema.ts): required elements, JS types, lengths,
 * characters XML cannot carry, enumerations, and the per-field checks (UUID, xs:dateTime with a
 * time zone, xs:date, https URLs, safe file names, media types, base64). Message-level rules
 * follow: known versions and id types, CPR/CVR formats, DIGITALPOST needs a body, NEMSMS needs a
 * notification text, a reply-by date needs reply=true, time ranges run forwards, technical
 * documents have no actions.
 */
import { checkFilename, isDanishCpr, isDanishCvr } from '@postkasse/core';
import { isDate, isDateTime } from '../datetime.js';
import { FormatError, type FormatIssue } from '../errors.js';
import { XML_FORBIDDEN_CHAR } from '../xml-safety.js';
import { type MemoMessage, memoVersions, recipientIdTypes, senderIdTypes } from './model.js';
import { type Check, type ComplexName, type Field, isLeaf, type LeafKind, memoTypes, segment } from './schema.js';

export type ValidateMemoOptions = {
  /**
   * `strict` (default): CPR numbers must be 10 digits (DDMMYY…), CVR numbers 8 digits.
   * `schema`: identifiers are only checked as the XSD types them (non-empty tokens), as the
   * public MeMo examples use placeholders such as "Recipient ID".
   */
  identifiers?: 'strict' | 'schema';
};

/** Throws FormatError `invalid_memo` listing every problem; returns when the message is valid. */
export function validateMemo(msg: MemoMessage, options: ValidateMemoOptions = {}): void {
  const issues = memoIssues(msg, options);
  if (issues.length > 0) throw new FormatError('invalid_memo', issues);
}

/** Every problem found in `msg` (empty when valid). */
export function memoIssues(msg: MemoMessage, options: ValidateMemoOptions = {}): FormatIssue[] {
  const issues: FormatIssue[] = [];
  const add = (path: string, code: string, message: string) => issues.push({ path, code, message });
  if (typeof msg !== 'object' || msg === null) {
    add('Message', 'invalid_type', 'the message is not an object');
    return issues;
  }
  if (!(memoVersions as readonly unknown[]).includes(msg.memoVersion)) {
    add('Message/@memoVersion', 'unsupported_version', `memoVersion must be one of ${memoVersions.join(', ')}`);
  }
  if (msg.memoSchVersion !== undefined && !/^[0-9A-Za-z._-]{1,32}$/.test(String(msg.memoSchVersion))) {
    add('Message/@memoSchVersion', 'invalid_value', 'memoSchVersion is a version such as 1.2.0');
  }
  walk(msg, 'Message', 'Message', add);
  const header = msg.header;
  if (typeof header !== 'object' || header === null) return issues;

  const H = 'Message/MessageHeader';
  if (header.messageType === 'DIGITALPOST' && msg.body === undefined) {
    add('Message/MessageBody', 'missing_element', 'a DIGITALPOST message needs a MessageBody with a main document');
  }
  if (header.messageType === 'NEMSMS' && !header.notification?.trim()) {
    add(`${H}/notification`, 'missing_notification', 'a NEMSMS message needs a notification text');
  }
  if (header.replyByDateTime !== undefined && header.reply !== true) {
    add(`${H}/replyByDateTime`, 'reply_by_without_reply', 'replyByDateTime is only meaningful with reply=true');
  }
  const strict = (options.identifiers ?? 'strict') === 'strict';
  const sender = header.sender;
  if (sender && typeof sender === 'object') {
    checkIdType(sender.idType, senderIdTypes, `${H}/Sender/idType`, add);
    if (strict) checkPartyId(sender.idType, sender.senderID, `${H}/Sender/senderID`, add);
    const rep = sender.representative;
    if (rep && strict)
      checkPartyId(rep.idType, rep.representativeID, `${H}/Sender/Representative/representativeID`, add);
  }
  const recipient = header.recipient;
  if (recipient && typeof recipient === 'object') {
    checkIdType(recipient.idType, recipientIdTypes, `${H}/Recipient/idType`, add);
    if (strict) checkPartyId(recipient.idType, recipient.recipientID, `${H}/Recipient/recipientID`, add);
  }
  const cd = header.contentData;
  if (cd && strict) {
    if (cd.cprData) checkPartyId('CPR', cd.cprData.cprNumber, `${H}/ContentData/CPRdata/cprNumber`, add);
    if (cd.cvrData) checkPartyId('CVR', cd.cvrData.cvrNumber, `${H}/ContentData/CVRdata/cvrNumber`, add);
  }

  const body = msg.body;
  if (body && typeof body === 'object') {
    const B = 'Message/MessageBody';
    const docs = [
      { doc: body.mainDocument, path: `${B}/MainDocument` },
      ...(body.additionalDocuments ?? []).map((doc, i) => ({ doc, path: `${B}/AdditionalDocument[${i + 1}]` })),
    ];
    for (const { doc, path } of docs) {
      (doc?.actions ?? []).forEach((action, i) => {
        const at = `${path}/Action[${i + 1}]`;
        checkRange(action.startDateTime, action.endDateTime, `${at}/endDateTime`, add);
        const r = action.reservation;
        if (r) checkRange(r.startDateTime, r.endDateTime, `${at}/Reservation/endDateTime`, add);
      });
    }
    (body.technicalDocuments ?? []).forEach((doc, i) => {
      if (doc?.actions && doc.actions.length > 0) {
        add(`${B}/TechnicalDocument[${i + 1}]`, 'actions_not_allowed', 'technical documents carry no actions');
      }
    });
  }
  return issues;
}

type Add = (path: string, code: string, message: string) => void;

function walk(obj: unknown, type: ComplexName, path: string, add: Add): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    add(path, 'invalid_type', `${path.split('/').pop()} must be an object`);
    return;
  }
  const record = obj as Record<string, unknown>;
  for (const field of memoTypes[type]) {
    const raw = record[field.key];
    if (field.many) {
      if (raw !== undefined && !Array.isArray(raw)) {
        add(`${path}/${field.xml}`, 'invalid_type', `${field.key} must be an array`);
        continue;
      }
      const list = raw ?? [];
      if (field.min === 1 && list.length === 0) {
        add(`${path}/${segment(field, 0)}`, 'missing_element', `at least one ${field.xml} is required`);
      }
      list.forEach((v, i) => {
        check(v, field, `${path}/${segment(field, i)}`, add);
      });
    } else if (raw === undefined) {
      if (field.min === 1) add(`${path}/${field.xml}`, 'missing_element', `${field.xml} is required`);
    } else {
      check(raw, field, `${path}/${field.xml}`, add);
    }
  }
}

function check(value: unknown, field: Field, path: string, add: Add): void {
  if (isLeaf(field.type)) checkLeaf(value, field, field.type, path, add);
  else walk(value, field.type, path, add);
}

function checkLeaf(value: unknown, field: Field, kind: LeafKind, path: string, add: Add): void {
  if (kind === 'boolean') {
    if (typeof value !== 'boolean') add(path, 'invalid_type', 'must be a boolean');
    return;
  }
  if (typeof value !== 'string') {
    add(path, 'invalid_type', 'must be a string');
    return;
  }
  if (value === '') {
    if (field.min === 1 || kind !== 'string') add(path, 'empty_value', `${field.xml} is empty`);
    return;
  }
  if (XML_FORBIDDEN_CHAR.test(value)) {
    add(path, 'invalid_character', 'contains a character XML cannot carry');
    return;
  }
  if (kind === 'token' && value !== value.trim()) {
    add(path, 'invalid_token', 'may not begin or end with white space');
  }
  if (field.maxLength !== undefined && value.length > field.maxLength && codePoints(value) > field.maxLength) {
    add(path, 'too_long', `longer than ${field.maxLength} characters`);
  }
  if (field.values && !field.values.includes(value)) {
    add(path, 'invalid_value', `must be one of ${field.values.join(', ')}`);
  }
  if (kind === 'base64' && !isBase64(value)) add(path, 'invalid_base64', 'is not valid base64');
  if (field.check) runCheck(field.check, value, path, add);
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;
const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i;

function runCheck(check: Check, value: string, path: string, add: Add): void {
  switch (check) {
    case 'uuid':
      if (!UUID.test(value)) add(path, 'invalid_uuid', 'is not a UUID');
      return;
    case 'dateTime':
      if (!isDateTime(value))
        add(path, 'invalid_datetime', 'is not a date-time with a time zone (YYYY-MM-DDThh:mm:ssZ)');
      return;
    case 'date':
      if (!isDate(value)) add(path, 'invalid_date', 'is not a date (YYYY-MM-DD)');
      return;
    case 'httpsUrl':
      checkHttpsUrl(value, path, add);
      return;
    case 'filename': {
      const bad = checkFilename(value);
      if (bad) add(path, 'invalid_filename', bad);
      return;
    }
    case 'mediaType':
      if (!MEDIA_TYPE.test(value)) add(path, 'invalid_media_type', 'is not a media type (type/subtype)');
      return;
    case 'email':
      if (!EMAIL.test(value)) add(path, 'invalid_email', 'is not an e-mail address');
      return;
    case 'language':
      if (!LANGUAGE.test(value)) add(path, 'invalid_language', 'is not a language code');
      return;
  }
}

/** Strict base64 (xs:base64Binary without white space, which the parser removes). */
export function isBase64(value: string): boolean {
  if (value.length % 4 !== 0) return false;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return false;
  return true;
}

function checkHttpsUrl(value: string, path: string, add: Add): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    add(path, 'invalid_url', 'is not an absolute URL');
    return;
  }
  if (url.protocol !== 'https:') {
    add(path, 'insecure_url', `must be an https URL, not ${url.protocol.replace(/:$/, '')}`);
  } else if (url.username !== '' || url.password !== '') {
    add(path, 'invalid_url', 'may not carry a user name or password');
  } else if (url.hostname === '') {
    add(path, 'invalid_url', 'has no host');
  }
}

function checkIdType(idType: unknown, known: readonly string[], path: string, add: Add): void {
  if (typeof idType === 'string' && idType !== '' && !known.includes(idType)) {
    add(path, 'invalid_id_type', `must be one of ${known.join(', ')}`);
  }
}

function checkPartyId(idType: unknown, id: unknown, path: string, add: Add): void {
  if (typeof id !== 'string') return;
  if (idType === 'CPR' && !isDanishCpr(id)) add(path, 'invalid_cpr', 'a CPR number is 10 digits, DDMMYY and 4 more');
  if (idType === 'CVR' && !isDanishCvr(id)) add(path, 'invalid_cvr', 'a CVR number is 8 digits');
}

function checkRange(start: string | undefined, end: string | undefined, path: string, add: Add): void {
  if (start === undefined || end === undefined || !isDateTime(start) || !isDateTime(end)) return;
  if (Date.parse(start) > Date.parse(end)) add(path, 'invalid_time_range', 'ends before it starts');
}
