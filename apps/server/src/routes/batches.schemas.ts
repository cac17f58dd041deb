import { Type } from '@sinclair/typebox';
import { NullableTimestamp, Timestamp, Uuid } from './common.schemas.js';
import { LetterFields, LetterStatusSchema } from './messages.schemas.js';

export const BatchParams = Type.Object({ id: Uuid });

export const CreateBatchBody = Type.Object(
  { reference: Type.Optional(Type.String({ maxLength: 255, description: 'Your own name for the batch' })) },
  { additionalProperties: false },
);

export const BatchSchema = Type.Object(
  {
    id: Uuid,
    reference: Type.Union([Type.String(), Type.Null()]),
    status: Type.Union([Type.Literal('open'), Type.Literal('committed'), Type.Literal('cancelled')]),
    createdAt: Timestamp,
    committedAt: NullableTimestamp,
    cancelledAt: NullableTimestamp,
    counts: Type.Record(Type.String(), Type.Integer(), { description: 'Letters per status' }),
  },
  { $id: 'Batch' },
);

export const BatchDocumentSchema = Type.Object({
  id: Uuid,
  filename: Type.String(),
  mediaType: Type.String(),
  size: Type.Integer(),
  sha256: Type.String(),
});

/** A letter in a batch: its documents are the batch's shared documents, named by id. */
export const SharedLetterJson = Type.Object(
  {
    ...LetterFields,
    documents: Type.Array(
      Type.Object(
        {
          documentId: Type.String({ format: 'uuid', description: 'A document uploaded to this batch' }),
          role: Type.Union([Type.Literal('main'), Type.Literal('attachment'), Type.Literal('technical')]),
          title: Type.Optional(Type.String({ maxLength: 255 })),
          filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
          language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 260 },
    ),
  },
  { additionalProperties: false },
);

export const AddLettersBody = Type.Object(
  { messages: Type.Array(SharedLetterJson, { minItems: 1, maxItems: 1000 }) },
  {
    additionalProperties: false,
    description:
      'application/json: up to 1,000 letters using the batch documents. multipart/form-data: one letter with ' +
      'its own files, as for POST /api/v1/messages.',
  },
);

export const AddLettersAnswer = Type.Object({
  accepted: Type.Integer(),
  failed: Type.Integer(),
  results: Type.Array(
    Type.Object({
      id: Type.String(),
      status: Type.Optional(LetterStatusSchema),
      replayed: Type.Optional(Type.Boolean()),
      error: Type.Optional(
        Type.Object({
          code: Type.String(),
          detail: Type.String(),
          retryable: Type.Boolean(),
          errors: Type.Optional(
            Type.Array(Type.Object({ path: Type.String(), code: Type.String(), message: Type.String() })),
          ),
        }),
      ),
    }),
  ),
});

/** The multipart form of a batch document (read part by part; described for the OpenAPI document). */
export const BatchDocumentUpload = Type.Object({
  file: Type.String({ format: 'binary', description: 'The document, with its file name and media type' }),
});
