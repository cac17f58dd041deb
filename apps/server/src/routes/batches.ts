import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AppError,
  addBatchDocument,
  addSharedLetters,
  type Batch,
  type BulkOutcome,
  cancelBatch,
  commitBatch,
  createBatch,
  getBatch,
  requireBatch,
  type SharedLetterInput,
  sendLetter,
} from '@postkasse/core';
import { type Static, Type } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyRequest } from 'fastify';
import { requireSender, senderOf } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { fieldErrors } from '../problem.js';
import {
  AddLettersAnswer,
  AddLettersBody,
  BatchDocumentSchema,
  BatchDocumentUpload,
  BatchParams,
  BatchSchema,
  CreateBatchBody,
  SharedLetterJson,
} from './batches.schemas.js';
import { bearerAuth, problems } from './common.schemas.js';
import {
  eachPart,
  letterJsonValidator,
  letterMeta,
  readLetterUpload,
  sniffMismatch,
  withPathPrefix,
} from './letter-upload.js';
import { presentSentMessage } from './messages.js';
import { SentMessage } from './messages.schemas.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
/** The body around the letters: each letter is then checked on its own (a bad one fails alone). */
const LettersEnvelope = Type.Object(
  { messages: Type.Array(Type.Unknown(), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
type SharedLetterJsonType = Static<typeof AddLettersBody>['messages'][number];
let validators:
  | { envelope: ValidateFunction<Static<typeof LettersEnvelope>>; letter: ValidateFunction<SharedLetterJsonType> }
  | undefined;
/** Compiled when the routes are registered, not when the module loads (see letterJsonValidator). */
function bulkValidators() {
  const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));
  validators ??= {
    envelope: ajv.compile<Static<typeof LettersEnvelope>>(LettersEnvelope),
    letter: ajv.compile<SharedLetterJsonType>(SharedLetterJson),
  };
  return validators;
}

const schemaErrors = (errors: Parameters<typeof fieldErrors>[1] | null | undefined) =>
  fieldErrors('', errors ?? []).map((e) => ({ ...e, path: e.path.replace(/^\./, '') }));

const presentBatch = (b: Batch & { counts: Record<string, number> }) => ({
  id: b.id,
  reference: b.reference,
  status: b.status,
  createdAt: b.createdAt,
  committedAt: b.committedAt,
  cancelledAt: b.cancelledAt,
  counts: b.counts,
});

function toShared(m: SharedLetterJsonType): SharedLetterInput {
  return {
    ...letterMeta(m),
    documents: m.documents.map((d) => ({ ...d, documentId: d.documentId.toLowerCase() })),
  };
}

async function readOneFile(request: FastifyRequest, maxBytes: number) {
  if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the document as multipart/form-data');
  let file: { filename: string; mediaType: string; content: Buffer } | null = null;
  await eachPart(request, { limits: { fileSize: maxBytes } }, async (part) => {
    if (part.type !== 'file' || part.fieldname !== 'file' || file) {
      throw new AppError('malformed_request', 'Send exactly one file part named "file"');
    }
    const content = await part.toBuffer();
    if (part.file.truncated) throw new AppError('payload_too_large', `A document may hold at most ${maxBytes} bytes`);
    file = { filename: part.filename, mediaType: part.mimetype, content };
  });
  if (!file) {
    throw new AppError('validation_failed', 'No file part named "file"', {
      errors: [{ path: 'file', code: 'required', message: 'missing' }],
    });
  }
  const { mediaType, content } = file;
  const actual = await sniffMismatch(content, mediaType);
  if (actual) {
    throw new AppError('invalid_letter', `The file is declared ${mediaType} but its content is ${actual}`, {
      errors: [{ path: 'file', code: 'media_type_mismatch', message: `the content is ${actual}` }],
    });
  }
  return file;
}

/** Batches: open, upload shared documents, add letters, commit or cancel, and follow the counts. */
export function batchRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requireSender(app, ctx);
    bulkValidators();
    letterJsonValidator();
    app.post(
      '/batches',
      {
        schema: {
          tags: ['batches'],
          operationId: 'openBatch',
          summary: 'Open a batch',
          security: bearerAuth,
          body: CreateBatchBody,
          response: { 201: BatchSchema, ...problems(400, 401) },
        },
      },
      async (request, reply) => {
        const batch = await createBatch(ctx.deps, senderOf(request), request.body?.reference ?? null);
        reply.header('location', `/api/v1/batches/${batch.id}`);
        return reply.code(201).send(presentBatch({ ...batch, counts: {} }));
      },
    );
    app.get(
      '/batches/:id',
      {
        schema: {
          tags: ['batches'],
          operationId: 'getBatch',
          summary: 'A batch and its letters counted per status',
          security: bearerAuth,
          params: BatchParams,
          response: { 200: BatchSchema, ...problems(400, 401, 404) },
        },
      },
      async (request) => presentBatch(await getBatch(ctx.deps, senderOf(request), request.params.id)),
    );
    app.post(
      '/batches/:id/documents',
      {
        validatorCompiler: () => () => true,
        schema: {
          tags: ['batches'],
          operationId: 'uploadBatchDocument',
          summary: 'Upload a document the letters of this batch share (multipart, one part named "file")',
          description: 'Stored once, encrypted; each letter gets the key wrapped for its own mailbox.',
          consumes: ['multipart/form-data'],
          security: bearerAuth,
          params: BatchParams,
          // Read part by part in the handler; the schema is for the OpenAPI document.
          body: BatchDocumentUpload,
          response: { 201: BatchDocumentSchema, ...problems(400, 401, 404, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const actor = senderOf(request);
        const id = (request.params as { id: string }).id;
        await requireBatch(ctx.deps, actor, id, true);
        const file = await readOneFile(request, ctx.config.maxLetterBytes);
        const doc = await addBatchDocument(ctx.deps, actor, id, file);
        return reply.code(201).send({
          id: doc.id,
          filename: doc.filename,
          mediaType: doc.mediaType,
          size: doc.size,
          sha256: doc.sha256,
        });
      },
    );
    app.post(
      '/batches/:id/messages',
      {
        bodyLimit: 16 * 1024 * 1024,
        validatorCompiler: () => () => true,
        schema: {
          tags: ['batches'],
          operationId: 'addBatchMessages',
          summary: 'Add letters to an open batch',
          description:
            'JSON: up to 1,000 letters using the batch documents; each succeeds or fails on its own. ' +
            'Multipart: one letter with its own files, answered like POST /api/v1/messages.',
          consumes: ['application/json', 'multipart/form-data'],
          security: bearerAuth,
          params: BatchParams,
          body: AddLettersBody,
          response: { 200: AddLettersAnswer, 201: SentMessage, ...problems(400, 401, 404, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const actor = senderOf(request);
        const batchId = (request.params as { id: string }).id;
        if (!/^[0-9a-f-]{36}$/.test(batchId)) throw new AppError('not_found', 'No such batch');
        if (request.isMultipart()) {
          const batch = await requireBatch(ctx.deps, actor, batchId, true);
          const input = await readLetterUpload(request, ctx.config.maxLetterBytes);
          const result = await sendLetter(ctx.deps, actor, input, { batch }).catch((error: unknown) => {
            throw withPathPrefix(error, 'message.');
          });
          if (result.replayed) reply.header('idempotent-replayed', 'true');
          return reply.code(201).send(await presentSentMessage(ctx, actor.sender, result.letter, result.events));
        }
        const body = request.body;
        const { envelope, letter } = bulkValidators();
        if (!envelope(body)) {
          const errors = schemaErrors(envelope.errors);
          throw new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
        }
        await requireBatch(ctx.deps, actor, batchId, true);
        // Each letter is checked on its own: one that does not fit the schema fails alone, as one
        // the domain refuses does, and the others are added.
        const valid: Array<{ index: number; input: SharedLetterInput }> = [];
        const refused: BulkOutcome[] = [];
        body.messages.forEach((m, index) => {
          if (letter(m)) {
            valid.push({ index, input: toShared(m) });
            return;
          }
          const errors = schemaErrors(letter.errors);
          const id = typeof (m as { id?: unknown })?.id === 'string' ? (m as { id: string }).id : '';
          const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
          refused.push({ id, index, error: new AppError('validation_failed', detail, { errors }) });
        });
        const added =
          valid.length > 0
            ? await addSharedLetters(
                ctx.deps,
                actor,
                batchId,
                valid.map((v) => v.input),
              )
            : [];
        const outcomes = [...added.map((o) => ({ ...o, index: valid[o.index]?.index ?? o.index })), ...refused].sort(
          (a, b) => a.index - b.index,
        );
        const results = outcomes.map((o) =>
          'error' in o
            ? {
                id: o.id,
                error: {
                  code: o.error.code,
                  detail: o.error.message,
                  retryable: o.error.retryable,
                  ...(o.error.errors
                    ? { errors: o.error.errors.map((e) => ({ ...e, path: `messages[${o.index}].${e.path}` })) }
                    : {}),
                },
              }
            : { id: o.id, status: o.letter.status, replayed: o.replayed },
        );
        const failed = results.filter((r) => 'error' in r).length;
        return reply.code(200).send({ accepted: results.length - failed, failed, results });
      },
    );
    app.post(
      '/batches/:id/commit',
      {
        schema: {
          tags: ['batches'],
          operationId: 'commitBatch',
          summary: 'Commit: every letter of the batch takes its outcome at once',
          security: bearerAuth,
          params: BatchParams,
          response: { 200: BatchSchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) => presentBatch(await commitBatch(ctx.deps, senderOf(request), request.params.id)),
    );
    app.delete(
      '/batches/:id',
      {
        schema: {
          tags: ['batches'],
          operationId: 'cancelBatch',
          summary: 'Cancel an open batch: none of its letters is ever seen',
          security: bearerAuth,
          params: BatchParams,
          response: { 200: BatchSchema, ...problems(400, 401, 404, 422) },
        },
      },
      async (request) => presentBatch(await cancelBatch(ctx.deps, senderOf(request), request.params.id)),
    );
  };
}
