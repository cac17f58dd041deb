import type { AuthLevel } from './auth-level.js';
import { AppError, type FieldError } from './errors.js';
import { type PartyId, parseNationalId, parseOrgNumber } from './parties.js';
import type { NotificationOptions, PostalAddress, PrintDetails } from './ports.js';

export type DocumentRole = 'main' | 'attachment' | 'technical';
export type Sensitivity = 'normal' | 'sensitive';

export type RecipientInput = { nationalId: string } | { orgNumber: string };

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
  documents: DocumentInput[];
};

export const letterLimits = {
  maxAttachments: 200,
  maxTechnicalDocuments: 50,
  maxLetterBytes: 30 * 1024 * 1024,
  maxSubjectLength: 255,
  maxFilenameLength: 255,
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
    total += size;
  });
  if (total > letterLimits.maxLetterBytes) {
    errors.push({
      path: 'documents',
      code: 'letter_too_large',
      message: `the documents add up to more than ${letterLimits.maxLetterBytes} bytes`,
    });
  }
  if (errors.length > 0) {
    throw new AppError('invalid_letter', errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
      errors,
    });
  }
}
