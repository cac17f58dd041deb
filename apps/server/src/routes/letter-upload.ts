import type { Multipart } from '@fastify/multipart';
import { AppError, type DocumentInput, type FieldError, type LetterInput } from '@postkasse/core';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyRequest } from 'fastify';
import { fileTypeFromBuffer } from 'file-type';
import { refuseNul } from '../input-guard.js';
import { fieldErrors } from '../problem.js';
import { type LetterFieldsType, LetterJson, type LetterJsonType } from './messages.schemas.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
let validateLetterJson: ValidateFunction<LetterJsonType> | undefined;

/**
 * The letter JSON's validator, compiled once: the routes that take letters ask for it when they
 * are registered, so not when this module loads (the operator's commands load it too).
 */
export function letterJsonValidator(): ValidateFunction<LetterJsonType> {
  validateLetterJson ??= addFormats(new Ajv({ allErrors: true, strict: false })).compile<LetterJsonType>(LetterJson);
  return validateLetterJson;
}

/** Headroom over the documents' limit for the multipart framing and the letter's JSON. */
const FRAMING_BYTES = 1024 * 1024;

/** Types a content sniffer may report for a declared type without that being a mismatch. */
export const compatible: Record<string, string[]> = {
  'application/xml': ['application/xml', 'text/xml'],
  'text/xml': ['application/xml', 'text/xml'],
  'application/msword': ['application/x-cfb'],
};

type FilePart = { content: Buffer; mediaType: string };

type PartsOptions = Parameters<FastifyRequest['parts']>[0];

/**
 * Reads a multipart body part by part. A body the parser cannot read (no boundary, another
 * boundary, cut off, a broken part header) is the client's mistake, so it answers 400
 * `malformed_request`, not a 500 that invites a retry; limits and our own refusals pass as they are.
 */
export async function eachPart(
  request: FastifyRequest,
  options: PartsOptions,
  onPart: (part: Multipart) => Promise<void>,
): Promise<void> {
  try {
    for await (const part of request.parts(options)) await onPart(part);
  } catch (error) {
    throw unreadableMultipart(error);
  }
}

function unreadableMultipart(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('FST_')) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new AppError('malformed_request', `The multipart body could not be read: ${why}`);
}

/**
 * Reads a letter sent as `multipart/form-data`: a `message` part with the letter's JSON and one
 * part per document. Everything is checked before anything is stored: a part named twice, a
 * document naming no part, a part no document names, a size over the limit.
 */
export async function readLetterUpload(
  request: FastifyRequest,
  maxBytes: number,
  /** The other forms the route takes, for the refusal of a body in none of them. */
  otherwise = '',
): Promise<LetterInput> {
  if (!request.isMultipart()) {
    throw new AppError('unsupported_media_type', `Send the letter as multipart/form-data${otherwise}`);
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes + FRAMING_BYTES) {
    throw new AppError('payload_too_large', `A letter may hold at most ${maxBytes} bytes of documents`);
  }
  let messageText: string | null = null;
  const files = new Map<string, FilePart>();
  let total = 0;
  await eachPart(request, undefined, async (part) => {
    if (part.fieldname === 'message') {
      if (messageText !== null) throw new AppError('malformed_request', 'The message part appears twice');
      if (part.type === 'file') messageText = (await part.toBuffer()).toString('utf8');
      // A field sent with Content-Type application/json arrives already parsed.
      else messageText = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
      return;
    }
    if (part.type !== 'file') {
      throw new AppError(
        'malformed_request',
        `Unexpected field ${JSON.stringify(part.fieldname)}; documents are file parts`,
      );
    }
    const content = await part.toBuffer();
    total += content.byteLength;
    if (total > maxBytes) {
      throw new AppError('payload_too_large', `A letter may hold at most ${maxBytes} bytes of documents`);
    }
    if (files.has(part.fieldname)) {
      throw new AppError('malformed_request', `The part ${JSON.stringify(part.fieldname)} appears twice`);
    }
    files.set(part.fieldname, { content, mediaType: part.mimetype });
  });
  if (messageText === null) {
    throw new AppError('validation_failed', 'The multipart body has no "message" part with the letter', {
      errors: [{ path: 'message', code: 'required', message: 'missing' }],
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(messageText);
  } catch (error) {
    throw new AppError('malformed_request', `The message part is not valid JSON: ${(error as Error).message}`);
  }
  refuseNul(json, 'message');
  const validate = letterJsonValidator();
  if (!validate(json)) {
    const errors = fieldErrors('message', validate.errors ?? []);
    throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return toLetterInput(json, files);
}

/** The type the content really has, when it is not the declared one (null when they agree). */
export async function sniffMismatch(content: Uint8Array, declared: string): Promise<string | null> {
  const sniffed = await fileTypeFromBuffer(content);
  if (!sniffed || sniffed.mime === declared || compatible[declared]?.includes(sniffed.mime)) return null;
  return sniffed.mime;
}

async function toLetterInput(json: LetterJsonType, files: Map<string, FilePart>): Promise<LetterInput> {
  const errors: FieldError[] = [];
  const documents: DocumentInput[] = [];
  const used = new Set<string>();
  for (const [i, doc] of json.documents.entries()) {
    const file = files.get(doc.part);
    if (!file) {
      errors.push({
        path: `message.documents[${i}].part`,
        code: 'document_part_missing',
        message: `no file part named ${JSON.stringify(doc.part)}`,
      });
      continue;
    }
    used.add(doc.part);
    // Media types are case-insensitive (RFC 9110 §8.3.1): APPLICATION/PDF is application/pdf.
    const mediaType = doc.mediaType.trim().toLowerCase();
    const sniffed = await sniffMismatch(file.content, mediaType);
    if (sniffed) {
      errors.push({
        path: `message.documents[${i}].mediaType`,
        code: 'media_type_mismatch',
        message: `declared ${mediaType} but the content is ${sniffed}`,
      });
    }
    documents.push({
      part: doc.part,
      role: doc.role,
      title: doc.title,
      filename: doc.filename,
      mediaType,
      language: doc.language,
      content: file.content,
    });
  }
  for (const name of files.keys()) {
    if (!used.has(name)) {
      errors.push({ path: `parts.${name}`, code: 'unreferenced_part', message: 'no document names this part' });
    }
  }
  if (errors.length > 0) {
    throw new AppError('invalid_letter', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
  }
  return { ...letterMeta(json), documents };
}

/** A letter's JSON (without its documents) as the domain takes it, with the defaults filled in. */
export function letterMeta(json: LetterFieldsType): Omit<LetterInput, 'documents'> {
  return {
    id: json.id.toLowerCase(),
    recipient: json.recipient,
    subject: json.subject,
    // null is accepted as well as leaving a field out, and means the same.
    nonSensitiveTitle: json.nonSensitiveTitle ?? undefined,
    authLevel: json.authLevel ?? 'high',
    sensitivity: json.sensitivity ?? 'normal',
    openingReceipt: json.openingReceipt ?? false,
    legalNotification: json.legalNotification ?? false,
    mandatory: json.mandatory ?? false,
    senderReference: json.senderReference ?? undefined,
    ...letterOptions(json),
  };
}

/** The options every letter may carry, whatever format brought it. */
type OptionKey =
  | 'deliverAt'
  | 'registrationDeadline'
  | 'printDetails'
  | 'printIfUnreadAfter'
  | 'notification'
  | 'replyBy'
  | 'actions';

/** The delivery options of a letter's JSON, with the print details' defaults filled in. */
export function letterOptions(json: Pick<LetterJsonType, OptionKey>) {
  const p = json.printDetails;
  return {
    deliverAt: json.deliverAt,
    registrationDeadline: json.registrationDeadline,
    printIfUnreadAfter: json.printIfUnreadAfter,
    notification: json.notification,
    replyBy: json.replyBy,
    actions: json.actions && json.actions.length > 0 ? json.actions : undefined,
    printDetails: p
      ? {
          recipient: p.recipient,
          returnAddress: p.returnAddress,
          colour: p.colour ?? 'monochrome',
          undeliverable: p.undeliverable ?? 'shred',
        }
      : undefined,
  } as Pick<LetterInput, OptionKey>;
}

/**
 * The domain names fields relative to the letter (`documents[0].filename`); on the wire the letter
 * is the `message` part, so paths are reported as `message.documents[0].filename`, like the
 * schema's own errors.
 */
export function withPathPrefix(error: unknown, prefix: string): unknown {
  if (!(error instanceof AppError) || !error.errors) return error;
  const errors = error.errors.map((e) => ({ ...e, path: `${prefix}${e.path}` }));
  return new AppError(error.code, errors.map((e) => `${e.path}: ${e.message}`).join('; '), {
    errors,
    ...(error.extra ? { extra: error.extra } : {}),
  });
}
