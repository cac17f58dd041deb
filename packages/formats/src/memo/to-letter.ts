/**
 * MeMo ⇄ core letter. `memoToLetter` maps what the core models to the letter and keeps everything
 * else in typed `extras`; `letterToMemo(letter, extras)` rebuilds an equivalent message, so
 * import → export → import gives the same letter and extras.
 *
 * Decisions:
 * - id: messageUUID, lowercased.
 * - recipient: idType CPR → `{ nationalId }`, CVR → `{ orgNumber }`. The id's format is left to
 *   the core (parseRecipient), so the public examples' placeholders still map.
 * - authLevel 'high': MeMo has no security level; Danish Digital Post is read after a MitID login
 *   at NSIS substantial or high, and 'high' is the safe side. sensitivity 'normal', no opening
 *   receipt (MeMo has neither). Exporting ignores these three fields.
 * - mandatory / legalNotification: absent means false; exported explicitly.
 * - senderReference: ContentData/CaseID/caseID (the rest of ContentData stays in extras).
 * - deliverAt: doNotDeliverUntilDate at 00:00 UTC. Exporting a deliverAt that is not midnight UTC
 *   rounds up to the next date, so the letter never becomes visible earlier than asked.
 * - documents: one core document per MeMo File, parts `doc-1`, `doc-2`… in document order. The
 *   main document's first file has role 'main'; its further files (MeMo allows several
 *   renditions) become 'attachment'; additional documents' files 'attachment'; technical
 *   documents' files 'technical'. Title = the MeMo document's label. `extras.documents` records
 *   which parts came from which MeMo document, with its id and actions, to regroup on export.
 * - replyBy: replyByDateTime (also kept in extras, with `reply`, for export).
 * - actions: each Action of the main and additional documents becomes a letter action on the
 *   document's first part, in document order (the Actions stay in `extras.documents` for export):
 *   AFTALE → appointment (startDateTime/endDateTime, else the Reservation's, which also gives the
 *   place); SELVBETJENING → selfService, UNDERSKRIV → sign, TILMELDING → register (each with its
 *   EntryPoint url); BEKRAEFT → confirm; FORBEREDELSE → prepare; INFORMATION → information.
 *   BETALING → information: MeMo carries no amount, currency or due date, so the letter cannot
 *   offer a payment; the label and link still show. An action that lacks what its type needs (an
 *   AFTALE without a time range that runs forwards, a link action without EntryPoint) becomes
 *   information too. Labels longer than the letter model's 100 characters are shortened (…), a
 *   blank label is named after the action code; places longer than 200 characters likewise.
 *   The core's rules still apply (at most 20 actions, links of at most 2000 characters).
 * - A message without a body (NEMSMS) maps to a letter without documents and
 *   `extras.notificationOnly: true`; the core's validateLetter refuses such a letter, so callers
 *   must treat it as a notification, not as a letter.
 */
import { actionLimits, type LetterActionInput } from '@postkasse/core';
import { FormatError } from '../errors.js';
import { fromBase64, type MappedLetter, startOfDayUtc, toBase64 } from '../letter.js';
import type {
  ContentData,
  ForwardData,
  MemoAction,
  MemoDocument,
  MemoMessage,
  MemoVersion,
  MessageHeader,
  MessageType,
  Recipient,
  ReplyData,
  Sender,
} from './model.js';
import { validateMemo } from './validate.js';

export type MemoDocumentGroup = {
  kind: 'main' | 'additional' | 'technical';
  /** mainDocumentID / additionalDocumentID / technicalDocumentID. */
  documentID?: string;
  /** The letter parts made from this document's files, in file order. */
  parts: string[];
  actions: MemoAction[];
};

export type MemoExtras = {
  format: 'memo';
  memoVersion: MemoVersion;
  memoSchVersion?: string;
  messageType: MessageType;
  /** No MessageBody: a notification (NEMSMS) rather than a letter with documents. */
  notificationOnly: boolean;
  messageID?: string;
  messageCode?: string;
  notification?: string;
  additionalNotification?: string;
  reply?: boolean;
  replyByDateTime?: string;
  postType?: string;
  sender: Sender;
  /** The recipient's id and id type are in the letter. */
  recipient: Omit<Recipient, 'recipientID' | 'idType'>;
  /** ContentData; its CaseID is also the letter's senderReference (the letter wins on export). */
  contentData?: ContentData;
  forwardData?: ForwardData;
  replyData: ReplyData[];
  createdDateTime?: string;
  documents: MemoDocumentGroup[];
};

/** What export needs at least: a sender (the core letter has none); the rest defaults. */
export type MemoExportExtras = Partial<Omit<MemoExtras, 'sender' | 'format'>> & { sender: Sender };

export type MemoLetter = { letter: MappedLetter; extras: MemoExtras };

/**
 * Maps a parsed message to a letter and extras. Validates first with identifiers at schema level
 * (see ValidateMemoOptions); throws FormatError `invalid_memo` for an invalid message or a
 * recipient id type other than CPR/CVR.
 */
export function memoToLetter(msg: MemoMessage): MemoLetter {
  validateMemo(msg, { identifiers: 'schema' });
  const h = msg.header;
  const recipient = h.recipient;
  let letterRecipient: MappedLetter['recipient'];
  if (recipient.idType === 'CPR') letterRecipient = { nationalId: recipient.recipientID };
  else if (recipient.idType === 'CVR') letterRecipient = { orgNumber: recipient.recipientID };
  else {
    throw FormatError.single('invalid_memo', 'Message/MessageHeader/Recipient/idType', 'recipient must be CPR or CVR');
  }

  const documents: MappedLetter['documents'] = [];
  const groups: MemoDocumentGroup[] = [];
  const actions: LetterActionInput[] = [];
  const addDocument = (doc: MemoDocument, kind: MemoDocumentGroup['kind']) => {
    const group: MemoDocumentGroup = { kind, parts: [], actions: doc.actions };
    if (doc.documentID !== undefined) group.documentID = doc.documentID;
    doc.files.forEach((file, i) => {
      const part = `doc-${documents.length + 1}`;
      group.parts.push(part);
      documents.push({
        part,
        role: kind === 'technical' ? 'technical' : kind === 'main' && i === 0 ? 'main' : 'attachment',
        title: doc.label,
        filename: file.filename,
        mediaType: file.encodingFormat,
        language: file.language,
        content: fromBase64(file.content),
      });
    });
    const part = group.parts[0];
    if (kind !== 'technical' && part !== undefined) {
      for (const action of doc.actions) actions.push(letterAction(action, part));
    }
    groups.push(group);
  };
  if (msg.body) {
    addDocument(msg.body.mainDocument, 'main');
    for (const d of msg.body.additionalDocuments) addDocument(d, 'additional');
    for (const d of msg.body.technicalDocuments) addDocument(d, 'technical');
  }

  const letter: MappedLetter = {
    id: h.messageUUID.toLowerCase(),
    recipient: letterRecipient,
    subject: h.label,
    nonSensitiveTitle: undefined,
    authLevel: 'high',
    sensitivity: 'normal',
    openingReceipt: false,
    legalNotification: h.legalNotification ?? false,
    mandatory: h.mandatory ?? false,
    senderReference: h.contentData?.caseID?.caseID,
    documents,
    deliverAt: h.doNotDeliverUntilDate === undefined ? undefined : startOfDayUtc(h.doNotDeliverUntilDate),
  };
  if (h.replyByDateTime !== undefined) letter.replyBy = h.replyByDateTime;
  if (actions.length > 0) letter.actions = actions;

  const { recipientID: _id, idType: _type, ...recipientRest } = recipient;
  const extras: MemoExtras = {
    format: 'memo',
    memoVersion: msg.memoVersion,
    messageType: h.messageType,
    notificationOnly: msg.body === undefined,
    sender: h.sender,
    recipient: recipientRest,
    replyData: h.replyData,
    documents: groups,
  };
  copyDefined(extras, h, [
    'messageID',
    'messageCode',
    'notification',
    'additionalNotification',
    'reply',
    'replyByDateTime',
    'postType',
    'contentData',
    'forwardData',
  ] as const);
  if (msg.memoSchVersion !== undefined) extras.memoSchVersion = msg.memoSchVersion;
  if (msg.body) extras.createdDateTime = msg.body.createdDateTime;
  return { letter, extras };
}

/** What a blank MeMo action label is replaced by. */
const codeLabels: Record<MemoAction['actionCode'], string> = {
  AFTALE: 'Aftale',
  BEKRAEFT: 'Bekræft',
  BETALING: 'Betaling',
  FORBEREDELSE: 'Forberedelse',
  INFORMATION: 'Information',
  SELVBETJENING: 'Selvbetjening',
  TILMELDING: 'Tilmelding',
  UNDERSKRIV: 'Underskriv',
};

/** At most `max` characters (code points, so no surrogate pair is split), shortened with "…". */
function shorten(text: string, max: number): string {
  const chars = Array.from(text.trim());
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 1).join('')}…`;
}

/** One MeMo Action as a letter action on the document part `part` (see the decisions above). */
export function letterAction(action: MemoAction, part: string): LetterActionInput {
  const label = shorten(action.label, actionLimits.maxLabel) || codeLabels[action.actionCode];
  const url = action.entryPoint?.url;
  const base = { label, ...(url !== undefined ? { url } : {}), document: part };
  const information = { type: 'information' as const, ...base };
  switch (action.actionCode) {
    case 'AFTALE': {
      const r = action.reservation;
      const [start, end] =
        action.startDateTime !== undefined && action.endDateTime !== undefined
          ? [action.startDateTime, action.endDateTime]
          : [r?.startDateTime, r?.endDateTime];
      if (start === undefined || end === undefined || !(Date.parse(end) > Date.parse(start))) return information;
      const place = r ? shorten(r.location, actionLimits.maxPlace) : '';
      return { type: 'appointment', ...base, start, end, ...(place ? { place } : {}) };
    }
    case 'SELVBETJENING':
      return url !== undefined ? { type: 'selfService', ...base } : information;
    case 'UNDERSKRIV':
      return url !== undefined ? { type: 'sign', ...base } : information;
    case 'TILMELDING':
      return url !== undefined ? { type: 'register', ...base } : information;
    case 'BEKRAEFT':
      return { type: 'confirm', ...base };
    case 'FORBEREDELSE':
      return { type: 'prepare', ...base };
    default:
      // BETALING (no amount in MeMo) and INFORMATION.
      return information;
  }
}

/** Rebuilds a MeMo message from a letter and the extras of memoToLetter (or a sender at least). */
export function letterToMemo(letter: MappedLetter, extras: MemoExportExtras): MemoMessage {
  const recipient: Recipient =
    'nationalId' in letter.recipient
      ? { recipientID: letter.recipient.nationalId, idType: 'CPR', ...extras.recipient }
      : { recipientID: letter.recipient.orgNumber, idType: 'CVR', ...extras.recipient };
  const header: MessageHeader = {
    messageType: extras.messageType ?? 'DIGITALPOST',
    messageUUID: letter.id,
    label: letter.subject,
    sender: extras.sender,
    recipient,
    replyData: extras.replyData ?? [],
  };
  copyDefined(header, extras, [
    'messageID',
    'messageCode',
    'notification',
    'additionalNotification',
    'reply',
    'replyByDateTime',
  ] as const);
  if (letter.deliverAt !== undefined) header.doNotDeliverUntilDate = deliverDate(letter.deliverAt);
  header.mandatory = letter.mandatory;
  header.legalNotification = letter.legalNotification;
  if (extras.postType !== undefined) header.postType = extras.postType;
  const contentData = exportContentData(extras.contentData, letter.senderReference);
  if (contentData) header.contentData = contentData;
  if (extras.forwardData !== undefined) header.forwardData = extras.forwardData;

  const msg: MemoMessage = { memoVersion: extras.memoVersion ?? '1.2', header };
  if (extras.memoSchVersion !== undefined) msg.memoSchVersion = extras.memoSchVersion;
  if (letter.documents.length > 0) msg.body = exportBody(letter, extras);
  return msg;
}

function exportBody(letter: MappedLetter, extras: MemoExportExtras): NonNullable<MemoMessage['body']> {
  const byPart = new Map(letter.documents.map((d) => [d.part, d]));
  const used = new Set<string>();
  const toDocument = (parts: string[], documentID: string | undefined, actions: MemoAction[]): MemoDocument | null => {
    const docs = parts.flatMap((p) => {
      const d = byPart.get(p);
      return d && !used.has(p) ? [d] : [];
    });
    const first = docs[0];
    if (!first) return null;
    for (const d of docs) used.add(d.part);
    const doc: MemoDocument = {
      files: docs.map((d) => {
        const file: MemoDocument['files'][number] = {
          encodingFormat: d.mediaType,
          filename: d.filename,
          content: toBase64(d.content),
        };
        if (d.language !== undefined) file.language = d.language;
        return file;
      }),
      actions,
    };
    if (documentID !== undefined) doc.documentID = documentID;
    if (first.title !== undefined) doc.label = first.title;
    return doc;
  };

  let main: MemoDocument | null = null;
  const additional: MemoDocument[] = [];
  const technical: MemoDocument[] = [];
  for (const g of extras.documents ?? []) {
    const doc = toDocument(g.parts, g.documentID, g.kind === 'technical' ? [] : g.actions);
    if (!doc) continue;
    if (g.kind === 'main' && !main) main = doc;
    else if (g.kind === 'technical') technical.push(doc);
    else additional.push(doc);
  }
  // Documents the extras do not know of: one MeMo document each, by role.
  for (const d of letter.documents) {
    if (used.has(d.part)) continue;
    const doc = toDocument([d.part], undefined, []);
    if (!doc) continue;
    if (d.role === 'main' && !main) main = doc;
    else if (d.role === 'technical') technical.push(doc);
    else additional.push(doc);
  }
  if (!main) {
    throw FormatError.single('invalid_memo', 'Message/MessageBody/MainDocument', 'the letter has no main document');
  }
  return {
    createdDateTime: extras.createdDateTime ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    mainDocument: main,
    additionalDocuments: additional,
    technicalDocuments: technical,
  };
}

function exportContentData(
  base: ContentData | undefined,
  senderReference: string | undefined,
): ContentData | undefined {
  if (senderReference === undefined) {
    if (!base?.caseID) return base;
    const { caseID: _drop, ...rest } = base;
    return rest;
  }
  const caseID: NonNullable<ContentData['caseID']> = { caseID: senderReference };
  if (base?.caseID?.caseSystem !== undefined) caseID.caseSystem = base.caseID.caseSystem;
  return { ...(base ?? { additionalContentData: [] }), caseID };
}

/** The date part of deliverAt in UTC, rounded up when deliverAt is not at midnight. */
function deliverDate(deliverAt: string): string {
  const t = Date.parse(deliverAt);
  if (Number.isNaN(t)) throw FormatError.single('invalid_memo', 'deliverAt', 'deliverAt is not a date-time');
  const day = 24 * 60 * 60 * 1000;
  return new Date(Math.ceil(t / day) * day).toISOString().slice(0, 10);
}

function copyDefined<T extends object, S extends object, K extends keyof T & keyof S>(
  target: T,
  source: S,
  keys: readonly K[],
): void {
  for (const k of keys) {
    const v = source[k];
    if (v !== undefined) (target as Record<K, unknown>)[k] = v;
  }
}
