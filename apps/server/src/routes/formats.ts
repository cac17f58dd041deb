/**
 * The standard formats at the sender API: MeMo XML on POST /messages (by content type) and as an
 * export of any letter; SDP/DPI JSON with a zip document package, and receipts in its vocabulary.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError, exportSentLetter, getSentLetter, type LetterInput, type Sender, sendLetter } from '@postkasse/core';
import {
  FormatError,
  letterToMemo,
  type MappedLetter,
  type MemoExportExtras,
  type MemoExtras,
  memoToLetter,
  parseMemo,
  receiptToSdp,
  sdpToLetter,
  serializeMemo,
} from '@postkasse/formats';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireSender, senderOf } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { refuseNul } from '../input-guard.js';
import { bearerAuth, problems } from './common.schemas.js';
import { eachPart } from './letter-upload.js';
import { presentSentMessage } from './messages.js';
import { MessageIdParams, SentMessage } from './messages.schemas.js';

export const MEMO_TYPES = ['application/vnd.memo+xml', 'application/xml', 'text/xml'];
/** A 30 MB letter is about 40 MB of base64 in MeMo, plus the XML around it. */
export const MEMO_MAX_BYTES = 42 * 1024 * 1024;

const SYNTAX = new Set(['invalid_xml', 'xml_doctype_forbidden', 'xml_pi_forbidden', 'xml_too_deep', 'invalid_utf8']);
const SYNTAX_LIKE = new Set([...SYNTAX, 'xml_encoding_unsupported', 'wrong_namespace', 'invalid_zip']);

/** A format error as the API's problem: syntax → 400, too large → 413, content → 422. */
export function formatProblem(error: unknown, prefix = ''): unknown {
  if (!(error instanceof FormatError)) return error;
  const errors = error.issues.map((i) => ({ path: `${prefix}${i.path}`, code: i.code, message: i.message }));
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ') || error.message;
  const code =
    error.code === 'xml_too_large' || error.code === 'zip_too_large'
      ? 'payload_too_large'
      : SYNTAX_LIKE.has(error.code)
        ? 'malformed_request'
        : 'invalid_letter';
  return new AppError(code, detail, { errors, extra: { formatError: error.code } });
}

/** Lets a route take MeMo XML bodies (as raw bytes: the hardened reader parses them). */
export function acceptMemoBodies(app: FastifyInstance): void {
  app.addContentTypeParser(MEMO_TYPES, { parseAs: 'buffer', bodyLimit: MEMO_MAX_BYTES }, (_req, body, done) =>
    done(null, body),
  );
}

export function isMemoRequest(request: FastifyRequest): boolean {
  const type = String(request.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim()
    .toLowerCase();
  return MEMO_TYPES.includes(type ?? '');
}

/**
 * A message's own sender field must name the organization whose key sent it: the recipient sees
 * the letter as coming from the key's organization, and its MeMo export repeats the message's
 * sender, so another name there would be a letter under a false sender. Identifiers may carry a
 * scheme prefix (`0192:974000008`, `9908:974000008`).
 */
export function checkDeclaredSender(sender: Sender, declared: unknown, path: string): void {
  if (declared === undefined || declared === null) return;
  const id = String(declared).trim().split(':').at(-1)?.trim() ?? '';
  if (id === sender.orgNumber) return;
  throw new AppError(
    'invalid_letter',
    `${path}: the message names sender ${JSON.stringify(id)}, but it was sent with the key of ${sender.orgNumber}`,
    {
      errors: [{ path, code: 'sender_mismatch', message: `must be ${sender.orgNumber}, the organization sending it` }],
    },
  );
}

/** The sender named in an SDP standard business document header, if any (`sender[0].identifier.value`). */
function sbdhSender(header: Record<string, unknown> | undefined): unknown {
  const senders = header?.sender;
  const first = Array.isArray(senders) ? (senders[0] as { identifier?: { value?: unknown } } | undefined) : undefined;
  return first?.identifier?.value;
}

/** A MeMo message as a letter; what the letter model has no field for is kept as extras. */
export function letterFromMemo(body: Buffer, sender: Sender): LetterInput {
  try {
    const { letter, extras } = memoToLetter(parseMemo(body, { maxBytes: MEMO_MAX_BYTES }));
    checkDeclaredSender(sender, extras.sender.senderID, 'MessageHeader.Sender.senderID');
    const text = extras.notification;
    return {
      ...letter,
      notificationOnly: extras.notificationOnly || undefined,
      extras,
      // MeMo's notification text is what the recipient is told (for NEMSMS, the message itself).
      notification: text ? { emailText: text, smsText: text.slice(0, 160) } : undefined,
    };
  } catch (error) {
    throw formatProblem(error);
  }
}

function memoSender(sender: Sender): MemoExportExtras['sender'] {
  return {
    senderID: sender.orgNumber,
    idType: sender.orgNumber.length === 8 ? 'CVR' : 'OrgNr',
    label: sender.name,
  } as MemoExportExtras['sender'];
}

export function formatRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requireSender(app, ctx);

    app.get(
      '/messages/:id/memo',
      {
        schema: {
          tags: ['formats'],
          operationId: 'getMessageMemo',
          summary: 'One of your letters as a MeMo message (application/vnd.memo+xml)',
          description: 'Letters whose documents are no longer kept (rejected, expired, cancelled) answer 422.',
          security: bearerAuth,
          params: MessageIdParams,
          produces: ['application/vnd.memo+xml'],
          response: { 200: Type.String({ description: 'MeMo 1.2 XML' }), ...problems(400, 401, 404, 422) },
        },
      },
      async (request, reply) => {
        const actor = senderOf(request);
        const { letter, documents, extras } = await exportSentLetter(ctx.deps, actor, request.params.id);
        const memo = extras?.format === 'memo' ? (extras as unknown as MemoExtras) : null;
        const mapped: MappedLetter = {
          id: letter.externalId,
          recipient:
            letter.recipientType === 'person' ? { nationalId: letter.recipientId } : { orgNumber: letter.recipientId },
          subject: letter.subject,
          nonSensitiveTitle: letter.nonSensitiveTitle ?? undefined,
          authLevel: letter.authLevel,
          sensitivity: letter.sensitivity,
          openingReceipt: letter.openingReceipt,
          legalNotification: letter.legalNotification,
          mandatory: letter.mandatory,
          senderReference: letter.senderReference ?? undefined,
          deliverAt: letter.deliverAt ?? undefined,
          documents: documents.map((d) => ({
            part: `doc-${d.ordinal + 1}`,
            role: d.role,
            title: d.title ?? undefined,
            filename: d.filename,
            mediaType: d.mediaType,
            language: d.language ?? undefined,
            content: d.content,
          })),
        };
        const xml = serializeMemo(letterToMemo(mapped, memo ?? { sender: memoSender(actor.sender) }));
        return reply.type('application/vnd.memo+xml; charset=utf-8').send(xml);
      },
    );

    app.post(
      '/sdp/messages',
      {
        validatorCompiler: () => () => true,
        schema: {
          tags: ['formats'],
          operationId: 'sendSdpMessage',
          summary: 'Send a letter in the Norwegian SDP/DPI form: the digitalpost JSON and the zip document package',
          description:
            'multipart/form-data with a part `message` (the JSON with `digitalpost`, and a standardBusinessDocumentHeader ' +
            'whose instanceIdentifier is the letter id) and a part `package` (the zip with manifest.xml and the documents).',
          consumes: ['multipart/form-data'],
          security: bearerAuth,
          body: Type.Object({
            message: Type.String({
              contentMediaType: 'application/json',
              description: 'The JSON with `digitalpost` and the standardBusinessDocumentHeader',
            }),
            package: Type.String({ format: 'binary', description: 'The zip: manifest.xml and the documents' }),
          }),
          response: { 201: SentMessage, ...problems(400, 401, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const actor = senderOf(request);
        if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send multipart/form-data');
        let json: string | null = null;
        let zip: Buffer | null = null;
        await eachPart(request, { limits: { fileSize: MEMO_MAX_BYTES } }, async (part) => {
          if (part.fieldname === 'message') {
            json = part.type === 'file' ? (await part.toBuffer()).toString('utf8') : String(part.value);
          } else if (part.fieldname === 'package' && part.type === 'file') {
            zip = await part.toBuffer();
            if (part.file.truncated) throw new AppError('payload_too_large', 'The document package is too large');
          } else {
            throw new AppError('malformed_request', `Unexpected part ${JSON.stringify(part.fieldname)}`);
          }
        });
        if (!json || !zip) {
          throw new AppError('validation_failed', 'Send a "message" part (JSON) and a "package" part (zip)', {
            errors: [{ path: json ? 'package' : 'message', code: 'required', message: 'missing' }],
          });
        }
        let input: LetterInput;
        try {
          const { letter, extras } = sdpToLetter(json, zip);
          refuseNul({ ...letter, extras }, 'message');
          checkDeclaredSender(actor.sender, extras.senderOrganization, 'package.manifest.avsender.organisasjon');
          checkDeclaredSender(
            actor.sender,
            sbdhSender(extras.standardBusinessDocumentHeader),
            'message.standardBusinessDocumentHeader.sender[0].identifier.value',
          );
          const varsler = extras.notification;
          const repetitions = [
            ...new Set([...(varsler?.email?.repetitions ?? []), ...(varsler?.sms?.repetitions ?? [])]),
          ];
          input = {
            ...letter,
            extras,
            notification: varsler
              ? {
                  emailText: varsler.email?.text,
                  smsText: varsler.sms?.text,
                  repetitions: repetitions.length > 0 ? repetitions : undefined,
                }
              : undefined,
          };
        } catch (error) {
          throw formatProblem(error);
        }
        const result = await sendLetter(ctx.deps, actor, input);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        reply.header('location', `/api/v1/messages/${result.letter.externalId}`);
        return reply.code(201).send(await presentSentMessage(ctx, actor.sender, result.letter, result.events));
      },
    );

    app.get(
      '/sdp/messages/:id/receipts',
      {
        schema: {
          tags: ['formats'],
          operationId: 'getSdpReceipts',
          summary: "A letter's receipts in the SDP vocabulary",
          description:
            'mottakskvittering, leveringskvittering, aapningskvittering, varslingfeiletkvittering and feil ' +
            '(KLIENT: do not resend; SERVER: the platform failed).',
          security: bearerAuth,
          params: MessageIdParams,
          response: {
            200: Type.Object({ items: Type.Array(Type.Record(Type.String(), Type.Unknown())) }),
            ...problems(400, 401, 404),
          },
        },
      },
      async (request) => {
        const { letter, events } = await getSentLetter(ctx.deps, senderOf(request), request.params.id);
        const items = events
          .map((e) => receiptToSdp({ type: e.type, at: e.at, data: e.data, letterExternalId: letter.externalId }))
          .filter((r) => r !== null);
        return { items };
      },
    );
  };
}
