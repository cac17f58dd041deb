import { type Static, Type } from '@sinclair/typebox';
import { AuthLevelSchema, NullableTimestamp, Page, Timestamp, Uuid } from './common.schemas.js';

const Recipient = Type.Union([
  Type.Object({ nationalId: Type.String({ pattern: '^[0-9]{10,11}$' }) }, { additionalProperties: false }),
  Type.Object({ orgNumber: Type.String({ pattern: '^[0-9]{8,9}$' }) }, { additionalProperties: false }),
]);

const DocumentJson = Type.Object(
  {
    part: Type.String({ minLength: 1, maxLength: 100, description: 'Name of the multipart file part' }),
    role: Type.Union([Type.Literal('main'), Type.Literal('attachment'), Type.Literal('technical')]),
    title: Type.Optional(Type.String({ maxLength: 255 })),
    filename: Type.String({ minLength: 1, maxLength: 255 }),
    mediaType: Type.String({ minLength: 3, maxLength: 255 }),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
  },
  { additionalProperties: false },
);

/** The letter's JSON in the `message` part. */
export const LetterJson = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Chosen by the sender; the idempotency key' }),
    recipient: Recipient,
    subject: Type.String({ minLength: 1, maxLength: 255 }),
    nonSensitiveTitle: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    authLevel: Type.Optional(AuthLevelSchema),
    sensitivity: Type.Optional(Type.Union([Type.Literal('normal'), Type.Literal('sensitive')])),
    openingReceipt: Type.Optional(Type.Boolean()),
    legalNotification: Type.Optional(Type.Boolean()),
    mandatory: Type.Optional(Type.Boolean()),
    senderReference: Type.Optional(Type.String({ maxLength: 255 })),
    documents: Type.Array(DocumentJson, { minItems: 1, maxItems: 260 }),
  },
  { additionalProperties: false },
);
export type LetterJsonType = Static<typeof LetterJson>;

export const SendMessageBody = Type.Object(
  {
    message: Type.String({ description: 'The letter as JSON (see LetterJson)', contentMediaType: 'application/json' }),
  },
  {
    additionalProperties: Type.String({ format: 'binary' }),
    description: 'A `message` part with the letter JSON, and one file part per document',
  },
);

export const EventSchema = Type.Object({
  id: Uuid,
  type: Type.String(),
  at: Timestamp,
  data: Type.Record(Type.String(), Type.Unknown()),
});

export const SentMessage = Type.Object(
  {
    id: Uuid,
    status: Type.Union([Type.Literal('DELIVERED'), Type.Literal('REJECTED')]),
    rejectReason: Type.Union([Type.String(), Type.Null()]),
    recipient: Recipient,
    subject: Type.String(),
    senderReference: Type.Union([Type.String(), Type.Null()]),
    createdAt: Timestamp,
    deliveredAt: NullableTimestamp,
    openedAt: Type.Union([Timestamp, Type.Null()], {
      description: 'Only when an opening receipt was asked for or the letter is a legal notification',
    }),
    documentCount: Type.Integer(),
    events: Type.Array(EventSchema),
  },
  { $id: 'SentMessage' },
);

export const FeedEvent = Type.Object({
  id: Uuid,
  messageId: Uuid,
  type: Type.String(),
  at: Timestamp,
  data: Type.Record(Type.String(), Type.Unknown()),
  cursor: Type.String(),
});
export const EventPage = Page(FeedEvent);

export const EventQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 200 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const MessageIdParams = Type.Object({ id: Uuid });
