import type { AuthLevel } from './auth-level.js';
import { AppError, type FieldError } from './errors.js';
import { type PartyId, parseNationalId, parseOrgNumber } from './parties.js';
import type { NotificationOptions, PostalAddress, PrintDetails } from './ports.js';

export type DocumentRole = 'main' | 'attachment' | 'technical';
export type Sensitivity = 'normal' | 'sensitive';

export type RecipientInput = { nationalId: string } | { orgNumber: string };

/** What a letter may ask its reader to do (MeMo's action codes in brackets, see formats). */
export const actionTypes = [
  'pay',
  'appointment',
  'selfService',
  'sign',
  'confirm',
  'register',
  'prepare',
  'information',
] as const;
export type ActionType = (typeof actionTypes)[number];

/**
 * An action as a sender hands it in. Flat, as on the wire: which fields apply depends on the type
 * (pay: amount, currency, dueDate, creditorAccount, paymentReference; appointment: start, end,
 * place). `document` names the part of the document it belongs to.
 */
export type LetterActionInput = {
  type: ActionType;
  label: string;
  url?: string | undefined;
  document?: string | undefined;
  /** A decimal with at most two decimals, more than 0 ("1250.00"). */
  amount?: string | undefined;
  /** ISO 4217 (three capital letters). */
  currency?: string | undefined;
  /** YYYY-MM-DD. */
  dueDate?: string | undefined;
  creditorAccount?: string | undefined;
  /** E.g. a Norwegian KID. */
  paymentReference?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
  place?: string | undefined;
};

/**
 * An action as kept with the letter (sealed, it is content): `document` resolved to the position
 * of its document, appointment times as ISO-8601 UTC.
 */
export type LetterAction = Omit<LetterActionInput, 'document'> & { documentIndex?: number | undefined };

/** A document as a sender hands it in: metadata plus its bytes. */
export type DocumentInput = {
  part: string;
  role: DocumentRole;
  title?: string | undefined;
  filename: string;
  mediaType: string;
  language?: string | undefined;
  content: Uint8Array;
};

/** A letter as a sender hands it in, independent of the wire format that carried it. */
export type LetterInput = {
  id: string;
  recipient: RecipientInput;
  subject: string;
  nonSensitiveTitle?: string | undefined;
  authLevel: AuthLevel;
  sensitivity: Sensitivity;
  openingReceipt: boolean;
  legalNotification: boolean;
  mandatory: boolean;
  senderReference?: string | undefined;
  /** The letter becomes visible then, not before (ISO date-time in the future). */
  deliverAt?: string | undefined;
  /** Private senders: how long the letter waits for a recipient who has no mailbox or consent. */
  registrationDeadline?: string | undefined;
  /** Lets the letter go on paper when it cannot be delivered digitally. */
  printDetails?: PrintDetails | undefined;
  /** Prints a delivered letter nobody opened by then (needs print details). */
  printIfUnreadAfter?: string | undefined;
  /** A short message without documents (MeMo NEMSMS): only the subject is shown and notified. */
  notificationOnly?: boolean | undefined;
  /**
   * What the wire format (MeMo, SDP) carried that this model has no field for, kept (sealed) so
   * the letter can be exported in that format again. Part of what makes two submissions equal.
   */
  extras?: Record<string, unknown> | undefined;
  /** How the recipient is told: text overrides and repetitions (days after delivery). */
  notification?: NotificationOptions | undefined;
  /** The sender wants an answer by then (ISO date-time in the future). */
  replyBy?: string | undefined;
  /** What the reader is asked to do: pay, book, sign … (at most 20). */
  actions?: LetterActionInput[] | undefined;
  documents: DocumentInput[];
};

export const letterLimits = {
  maxAttachments: 200,
  maxTechnicalDocuments: 50,
  maxLetterBytes: 30 * 1024 * 1024,
  maxSubjectLength: 255,
  maxFilenameLength: 255,
} as const;

export const actionLimits = {
  maxActions: 20,
  maxLabel: 100,
  maxUrl: 2000,
  maxPlace: 200,
  maxCreditorAccount: 34,
  maxPaymentReference: 35,
} as const;

/**
 * Media types a document may have. Anything a browser could execute (HTML, SVG, JavaScript) is
 * left out on purpose: documents are shown to citizens inside our own origin.
 */
export const allowedMediaTypes = new Set([
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/tiff',
  'text/plain',
  'application/xml',
  'text/xml',
  'application/json',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.oasis.opendocument.text',
  'application/msword',
]);

/** What a main document may be: something every reader can show. */
export const mainMediaTypes = new Set([
  'application/pdf',
  'text/plain',
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/tiff',
]);

/** Null when a sender-chosen file name is safe to store and to offer back as a download name. */
export function checkFilename(name: string): string | null {
  if (name.length === 0) return 'the file name is empty';
  if (name.length > letterLimits.maxFilenameLength) return 'the file name is longer than 255';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'the file name contains control characters';
  // Bidirectional overrides can make "gpj.exe" look like "exe.jpg" in a download dialog.
  if (/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name)) {
    return 'the file name contains bidirectional control characters';
  }
  if (/[<>:"/\\|?*]/.test(name)) return 'the file name contains path separators or <>:"/\\|?*';
  if (name === '.' || name === '..' || /^\s|\s$/.test(name) || name.endsWith('.')) {
    return 'the file name may not be a dot name or begin or end with blanks or a dot';
  }
  return null;
}

export function parseRecipient(recipient: RecipientInput): PartyId {
  if ('nationalId' in recipient) {
    const p = parseNationalId(recipient.nationalId);
    if (!p) {
      throw new AppError('invalid_recipient', 'recipient.nationalId is not a valid national id', {
        errors: [{ path: 'recipient.nationalId', code: 'invalid_national_id', message: 'not valid' }],
      });
    }
    return p;
  }
  const o = parseOrgNumber(recipient.orgNumber);
  if (!o) {
    throw new AppError('invalid_recipient', 'recipient.orgNumber is not a valid organization number', {
      errors: [{ path: 'recipient.orgNumber', code: 'invalid_org_number', message: 'not valid' }],
    });
  }
  return o;
}

/** How far ahead a letter may be scheduled or held. */
export const maxFutureMs = 366 * 24 * 3600_000;

function checkFuture(errors: FieldError[], path: string, value: string | undefined, now: Date): void {
  if (value === undefined) return;
  const at = Date.parse(value);
  if (Number.isNaN(at)) {
    errors.push({ path, code: 'invalid_date_time', message: 'not an ISO 8601 date-time' });
  } else if (at <= now.getTime()) {
    errors.push({ path, code: 'date_time_in_past', message: 'must be in the future' });
  } else if (at - now.getTime() > maxFutureMs) {
    errors.push({ path, code: 'date_time_too_far', message: 'must be within a year' });
  }
}

function checkAddress(errors: FieldError[], path: string, address: PostalAddress): void {
  const lines = address.addressLines.filter((l) => l.trim().length > 0);
  const maxLines = address.type === 'norwegian' ? 3 : 4;
  if (lines.length === 0 || lines.length !== address.addressLines.length || lines.length > maxLines) {
    errors.push({
      path: `${path}.addressLines`,
      code: 'invalid_address',
      message: `1 to ${maxLines} non-empty address lines`,
    });
  }
  if (address.type === 'norwegian') {
    if (!/^\d{4}$/.test(address.postalCode)) {
      errors.push({ path: `${path}.postalCode`, code: 'invalid_postal_code', message: 'four digits' });
    }
    if (address.city.trim().length === 0) {
      errors.push({ path: `${path}.city`, code: 'invalid_address', message: 'the city is empty' });
    }
  } else if (address.country.trim().length === 0) {
    errors.push({ path: `${path}.country`, code: 'invalid_address', message: 'the country is empty' });
  }
}

function checkPrintDetails(errors: FieldError[], details: PrintDetails): void {
  if (details.recipient.name.trim().length === 0) {
    errors.push({ path: 'printDetails.recipient.name', code: 'invalid_address', message: 'the name is empty' });
  }
  checkAddress(errors, 'printDetails.recipient.address', details.recipient.address);
  if (details.returnAddress) checkAddress(errors, 'printDetails.returnAddress.address', details.returnAddress.address);
  if (details.undeliverable === 'return' && !details.returnAddress) {
    errors.push({
      path: 'printDetails.returnAddress',
      code: 'missing_return_address',
      message: 'undeliverable letters can only be returned to a return address',
    });
  }
}

export const notificationLimits = { emailText: 500, smsText: 160, maxRepetitions: 10, maxDay: 25 } as const;

function checkNotification(errors: FieldError[], n: NotificationOptions): void {
  if (n.emailText !== undefined && (n.emailText.trim() === '' || n.emailText.length > notificationLimits.emailText)) {
    errors.push({ path: 'notification.emailText', code: 'invalid_text', message: '1 to 500 characters' });
  }
  if (n.smsText !== undefined && (n.smsText.trim() === '' || n.smsText.length > notificationLimits.smsText)) {
    errors.push({ path: 'notification.smsText', code: 'invalid_text', message: '1 to 160 characters' });
  }
  const days = n.repetitions;
  if (days !== undefined) {
    const ok =
      days.length >= 1 &&
      days.length <= notificationLimits.maxRepetitions &&
      new Set(days).size === days.length &&
      days.every((d) => Number.isInteger(d) && d >= 0 && d <= notificationLimits.maxDay);
    if (!ok) {
      errors.push({
        path: 'notification.repetitions',
        code: 'invalid_repetitions',
        message: '1 to 10 distinct whole days, each 0 to 25',
      });
    }
  }
}

/** Null when `value` is a link a reader may be sent to: absolute https, a host, no credentials. */
export function checkHttpsUrl(value: string): { code: string; message: string } | null {
  if (value.length > actionLimits.maxUrl) {
    return { code: 'too_long', message: `at most ${actionLimits.maxUrl} characters` };
  }
  // new URL() would drop tabs and line breaks silently; the stored value must be what was checked.
  if (CONTROL.test(value)) return { code: 'invalid_url', message: 'may not contain control characters' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { code: 'invalid_url', message: 'not an absolute URL' };
  }
  if (url.protocol !== 'https:') return { code: 'insecure_url', message: 'must be an https URL' };
  if (url.username !== '' || url.password !== '') {
    return { code: 'invalid_url', message: 'may not carry a user name or password' };
  }
  if (url.hostname === '') return { code: 'invalid_url', message: 'has no host' };
  return null;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
const AMOUNT = /^\d{1,15}(\.\d{1,2})?$/;

/** A calendar date, YYYY-MM-DD, that exists. */
export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * An RFC 3339 date-time on a date that exists (2026-02-31T10:00Z is not one), as epoch
 * milliseconds; NaN for anything else.
 */
export const parseDateTime = (value: string): number =>
  DATE_TIME.test(value) && isCalendarDate(value.slice(0, 10)) ? Date.parse(value) : Number.NaN;

/** The fields only some action types have, by the type they belong to. */
const typedFields = {
  amount: 'pay',
  currency: 'pay',
  dueDate: 'pay',
  creditorAccount: 'pay',
  paymentReference: 'pay',
  start: 'appointment',
  end: 'appointment',
  place: 'appointment',
} as const satisfies Partial<Record<keyof LetterActionInput, ActionType>>;

/** Action types that are nothing without a link. */
const needsUrl = new Set<ActionType>(['selfService', 'sign', 'register']);

/** Control characters would let a text break out of the line it is written on (e.g. in an .ics file). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkText(errors: FieldError[], path: string, value: string | undefined, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    errors.push({ path, code: 'invalid_text', message: `1 to ${max} characters` });
  } else if (CONTROL.test(value)) {
    errors.push({ path, code: 'control_character', message: 'may not contain control characters or line breaks' });
  }
}

function checkAction(errors: FieldError[], action: LetterActionInput, at: string, documents: DocumentInput[]): void {
  if (!(actionTypes as readonly string[]).includes(action.type)) {
    errors.push({ path: `${at}.type`, code: 'invalid_action_type', message: `one of ${actionTypes.join(', ')}` });
    return;
  }
  if (typeof action.label !== 'string' || action.label.trim() === '' || action.label.length > actionLimits.maxLabel) {
    errors.push({ path: `${at}.label`, code: 'invalid_label', message: `1 to ${actionLimits.maxLabel} characters` });
  } else if (CONTROL.test(action.label)) {
    errors.push({ path: `${at}.label`, code: 'control_character', message: 'may not contain control characters' });
  }
  if (action.url !== undefined) {
    const bad = checkHttpsUrl(action.url);
    if (bad) errors.push({ path: `${at}.url`, ...bad });
  } else if (needsUrl.has(action.type)) {
    errors.push({ path: `${at}.url`, code: 'missing_url', message: `a ${action.type} action needs a link` });
  }
  if (action.document !== undefined) {
    const doc = documents.find((d) => d.part === action.document);
    if (!doc) {
      errors.push({ path: `${at}.document`, code: 'unknown_document', message: 'names no document of this letter' });
    } else if (doc.role === 'technical') {
      errors.push({
        path: `${at}.document`,
        code: 'technical_document',
        message: 'technical documents have no actions',
      });
    }
  }
  for (const [field, type] of Object.entries(typedFields)) {
    if (action[field as keyof typeof typedFields] !== undefined && action.type !== type) {
      errors.push({ path: `${at}.${field}`, code: 'field_not_allowed', message: `only ${type} actions have ${field}` });
    }
  }
  if (action.type === 'pay') {
    if (action.amount === undefined) {
      errors.push({ path: `${at}.amount`, code: 'required', message: 'a pay action needs an amount' });
    } else if (typeof action.amount !== 'string' || !AMOUNT.test(action.amount)) {
      errors.push({ path: `${at}.amount`, code: 'invalid_amount', message: 'a decimal with at most 2 decimals' });
    } else if (!/[1-9]/.test(action.amount)) {
      errors.push({ path: `${at}.amount`, code: 'invalid_amount', message: 'must be more than 0' });
    }
    if (action.currency === undefined) {
      errors.push({ path: `${at}.currency`, code: 'required', message: 'a pay action needs a currency' });
    } else if (typeof action.currency !== 'string' || !/^[A-Z]{3}$/.test(action.currency)) {
      errors.push({ path: `${at}.currency`, code: 'invalid_currency', message: 'an ISO 4217 code such as NOK' });
    }
    if (action.dueDate === undefined) {
      errors.push({ path: `${at}.dueDate`, code: 'required', message: 'a pay action needs a due date' });
    } else if (typeof action.dueDate !== 'string' || !isCalendarDate(action.dueDate)) {
      errors.push({ path: `${at}.dueDate`, code: 'invalid_date', message: 'a date, YYYY-MM-DD' });
    }
    checkText(errors, `${at}.creditorAccount`, action.creditorAccount, actionLimits.maxCreditorAccount);
    checkText(errors, `${at}.paymentReference`, action.paymentReference, actionLimits.maxPaymentReference);
  }
  if (action.type === 'appointment') {
    const times = (['start', 'end'] as const).map((field) => {
      const value = action[field];
      if (value === undefined) {
        errors.push({ path: `${at}.${field}`, code: 'required', message: `an appointment needs its ${field}` });
        return Number.NaN;
      }
      const t = typeof value === 'string' ? parseDateTime(value) : Number.NaN;
      if (Number.isNaN(t)) {
        errors.push({ path: `${at}.${field}`, code: 'invalid_date_time', message: 'not an ISO 8601 date-time' });
      }
      return t;
    });
    const [start = Number.NaN, end = Number.NaN] = times;
    if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
      errors.push({ path: `${at}.end`, code: 'end_before_start', message: 'must be after start' });
    }
    checkText(errors, `${at}.place`, action.place, actionLimits.maxPlace);
  }
}

function checkActions(errors: FieldError[], letter: LetterInput): void {
  const actions = letter.actions;
  if (actions === undefined) return;
  if (!Array.isArray(actions) || actions.length > actionLimits.maxActions) {
    errors.push({
      path: 'actions',
      code: 'too_many_actions',
      message: `at most ${actionLimits.maxActions} actions`,
    });
    return;
  }
  actions.forEach((action, i) => {
    checkAction(errors, action, `actions[${i}]`, letter.documents);
  });
}

/**
 * The actions as kept with the letter: `document` becomes the position of the document it names,
 * appointment times ISO-8601 UTC. Call after validateLetter.
 */
export function resolveActions(actions: LetterActionInput[], documents: Array<Pick<DocumentInput, 'part'>>) {
  return actions.map(({ document, ...action }): LetterAction => {
    const out: LetterAction = { ...action };
    if (out.start !== undefined) out.start = new Date(out.start).toISOString();
    if (out.end !== undefined) out.end = new Date(out.end).toISOString();
    if (document !== undefined) out.documentIndex = documents.findIndex((d) => d.part === document);
    return out;
  });
}

const PDF_HEADER = Buffer.from('%PDF-', 'latin1');

/**
 * Whether content declared a PDF is one: it has the `%PDF-` header, which ISO 32000 puts first
 * and readers look for in the first 1,024 bytes. Text, HTML or SVG declared a PDF would reach the
 * recipient as a document their reader cannot open (or, worse, as markup to render).
 */
export function looksLikePdf(content: Uint8Array): boolean {
  return Buffer.from(content.buffer, content.byteOffset, Math.min(content.byteLength, 1024)).includes(PDF_HEADER);
}

/**
 * Checks the domain rules of a letter (the wire format's schema checks shapes). Collects every
 * problem rather than stopping at the first, so a sender's developer fixes them in one go.
 */
export function validateLetter(
  letter: LetterInput,
  now: Date = new Date(),
  sizes: number[] = letter.documents.map((d) => d.content.byteLength),
): void {
  const errors: FieldError[] = [];
  checkFuture(errors, 'deliverAt', letter.deliverAt, now);
  checkFuture(errors, 'registrationDeadline', letter.registrationDeadline, now);
  checkFuture(errors, 'printIfUnreadAfter', letter.printIfUnreadAfter, now);
  checkFuture(errors, 'replyBy', letter.replyBy, now);
  checkActions(errors, letter);
  if (letter.printDetails) checkPrintDetails(errors, letter.printDetails);
  if (letter.notification) checkNotification(errors, letter.notification);
  if (letter.printIfUnreadAfter && !letter.printDetails) {
    errors.push({
      path: 'printIfUnreadAfter',
      code: 'missing_print_details',
      message: 'printing an unread letter needs print details',
    });
  }
  if (
    letter.deliverAt &&
    letter.registrationDeadline &&
    Date.parse(letter.registrationDeadline) <= Date.parse(letter.deliverAt)
  ) {
    errors.push({ path: 'registrationDeadline', code: 'before_delivery', message: 'must be after deliverAt' });
  }
  if (
    letter.deliverAt &&
    letter.printIfUnreadAfter &&
    Date.parse(letter.printIfUnreadAfter) <= Date.parse(letter.deliverAt)
  ) {
    errors.push({
      path: 'printIfUnreadAfter',
      code: 'before_delivery',
      message: 'must be after deliverAt',
    });
  }
  if (letter.deliverAt && letter.replyBy && Date.parse(letter.replyBy) <= Date.parse(letter.deliverAt)) {
    errors.push({ path: 'replyBy', code: 'before_delivery', message: 'must be after deliverAt' });
  }
  const mains = letter.documents.filter((d) => d.role === 'main');
  if (letter.notificationOnly) {
    if (letter.documents.length > 0) {
      errors.push({
        path: 'documents',
        code: 'documents_in_notification',
        message: 'a notification-only message carries no documents',
      });
    }
  } else if (mains.length === 0) {
    errors.push({ path: 'documents', code: 'missing_main_document', message: 'no main document' });
  } else if (mains.length > 1) {
    errors.push({
      path: 'documents',
      code: 'multiple_main_documents',
      message: `exactly one main document is allowed, found ${mains.length}`,
    });
  }
  const attachments = letter.documents.filter((d) => d.role === 'attachment').length;
  if (attachments > letterLimits.maxAttachments) {
    errors.push({
      path: 'documents',
      code: 'too_many_attachments',
      message: `at most ${letterLimits.maxAttachments} attachments, found ${attachments}`,
    });
  }
  const technical = letter.documents.filter((d) => d.role === 'technical').length;
  if (technical > letterLimits.maxTechnicalDocuments) {
    errors.push({
      path: 'documents',
      code: 'too_many_technical_documents',
      message: `at most ${letterLimits.maxTechnicalDocuments} technical documents`,
    });
  }
  if (letter.subject.trim().length === 0) {
    errors.push({ path: 'subject', code: 'empty_subject', message: 'the subject is empty' });
  }
  const seenParts = new Set<string>();
  let total = 0;
  letter.documents.forEach((doc, i) => {
    const at = `documents[${i}]`;
    if (seenParts.has(doc.part)) {
      errors.push({ path: `${at}.part`, code: 'duplicate_part', message: 'part named twice' });
    }
    seenParts.add(doc.part);
    const bad = checkFilename(doc.filename);
    if (bad) errors.push({ path: `${at}.filename`, code: 'invalid_filename', message: bad });
    if (!allowedMediaTypes.has(doc.mediaType)) {
      errors.push({
        path: `${at}.mediaType`,
        code: 'unsupported_document_type',
        message: `media type ${JSON.stringify(doc.mediaType)} is not accepted`,
      });
    }
    if (doc.role === 'main' && allowedMediaTypes.has(doc.mediaType) && !mainMediaTypes.has(doc.mediaType)) {
      errors.push({
        path: `${at}.mediaType`,
        code: 'unsupported_main_document_type',
        message: 'the main document must be a PDF, plain text or an image',
      });
    }
    const size = sizes[i] ?? 0;
    if (size === 0) {
      errors.push({ path: `${at}`, code: 'empty_document', message: 'the document is empty' });
    }
    // (A batch letter's documents were checked when uploaded; it names them without their bytes.)
    if (doc.mediaType === 'application/pdf' && doc.content.byteLength > 0 && !looksLikePdf(doc.content)) {
      errors.push({
        path: `${at}.mediaType`,
        code: 'media_type_mismatch',
        message: 'declared application/pdf but the content is not a PDF (no %PDF- header)',
      });
    }
    total += size;
  });
  if (total > letterLimits.maxLetterBytes) {
    // Too large whichever way it came (multipart refuses it while reading; MeMo, SDP and batches
    // here): 413, as the sender must split the letter whatever else is wrong with it.
    const message = `the documents add up to more than ${letterLimits.maxLetterBytes} bytes`;
    throw new AppError('payload_too_large', `documents: ${message}`, {
      errors: [{ path: 'documents', code: 'letter_too_large', message }],
    });
  }
  if (errors.length > 0) {
    throw new AppError('invalid_letter', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      errors,
    });
  }
}
