import {
  allowedMediaTypes,
  LETTER_EVENT_TYPES,
  type LetterEventType,
  letterLimits,
  mainMediaTypes,
  REJECT_REASONS,
  type RejectReason,
} from '@postkasse/core';
import { type Static, Type } from '@sinclair/typebox';
import { AuthLevelSchema, NullableTimestamp, Page, Timestamp, Uuid } from './common.schemas.js';

const Recipient = Type.Union([
  Type.Object({ nationalId: Type.String({ pattern: '^[0-9]{10,11}$' }) }, { additionalProperties: false }),
  Type.Object({ orgNumber: Type.String({ pattern: '^[0-9]{8,9}$' }) }, { additionalProperties: false }),
]);

const DocumentJson = Type.Object(
  {
    part: Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        "The name of the multipart file part that holds this document's bytes; every file part is named by " +
        'exactly one document',
    }),
    role: Type.Union([Type.Literal('main'), Type.Literal('attachment'), Type.Literal('technical')], {
      description:
        'main: the letter itself, exactly one per letter; ' +
        `attachment: up to ${letterLimits.maxAttachments}; ` +
        `technical: data for the recipient's systems, never printed, up to ${letterLimits.maxTechnicalDocuments}`,
    }),
    title: Type.Optional(Type.String({ maxLength: 255 })),
    filename: Type.String({
      minLength: 1,
      maxLength: 255,
      description:
        'The name the reader downloads it as: a bare file name without path separators (/ or \\), ' +
        '<>:"|?*, control characters, or a leading or trailing blank or dot',
    }),
    mediaType: Type.String({
      minLength: 3,
      maxLength: 255,
      description:
        `One of ${[...allowedMediaTypes].join(', ')}; the main document one of ${[...mainMediaTypes].join(', ')}. ` +
        'Case-insensitive; the content must be of that type',
    }),
    language: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' })),
  },
  { additionalProperties: false },
);

const AddressLine = Type.String({ minLength: 1, maxLength: 100 });
export const PostalAddressSchema = Type.Union(
  [
    Type.Object(
      {
        type: Type.Literal('norwegian'),
        addressLines: Type.Array(AddressLine, { minItems: 1, maxItems: 3 }),
        postalCode: Type.String({ pattern: '^[0-9]{4}$' }),
        city: Type.String({ minLength: 1, maxLength: 100 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('foreign'),
        addressLines: Type.Array(AddressLine, { minItems: 1, maxItems: 4 }),
        country: Type.String({ minLength: 2, maxLength: 100, description: 'Country name or ISO 3166 code' }),
      },
      { additionalProperties: false },
    ),
  ],
  { description: 'A Norwegian address (postal code and city) or a foreign one (lines and a country)' },
);
const NamedAddress = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 130 }), address: PostalAddressSchema },
  { additionalProperties: false },
);
export const PrintDetailsSchema = Type.Object(
  {
    recipient: NamedAddress,
    returnAddress: Type.Optional(NamedAddress),
    colour: Type.Optional(Type.Union([Type.Literal('monochrome'), Type.Literal('colour')], { default: 'monochrome' })),
    undeliverable: Type.Optional(
      Type.Union([Type.Literal('shred'), Type.Literal('return')], {
        default: 'shred',
        description: 'What the postal service does with a letter it cannot deliver; return needs a returnAddress',
      }),
    ),
  },
  { additionalProperties: false, description: 'Lets the letter go on paper when it cannot be delivered digitally' },
);

export const ActionTypeSchema = Type.Union(
  [
    Type.Literal('pay'),
    Type.Literal('appointment'),
    Type.Literal('selfService'),
    Type.Literal('sign'),
    Type.Literal('confirm'),
    Type.Literal('register'),
    Type.Literal('prepare'),
    Type.Literal('information'),
  ],
  { description: 'pay: amount, currency, dueDate; appointment: start, end (offered as a calendar file)' },
);

/** Fields every action has, and those of pay and appointment actions, as senders send them. */
export const ActionFields = {
  type: ActionTypeSchema,
  label: Type.String({ minLength: 1, maxLength: 100, description: 'What the reader sees, e.g. "Betal"' }),
  url: Type.Optional(
    Type.String({
      maxLength: 2000,
      pattern: '^https://',
      description: 'An absolute https link; required for selfService, sign and register',
    }),
  ),
  amount: Type.Optional(
    Type.String({
      pattern: '^[0-9]{1,15}(\\.[0-9]{1,2})?$',
      description: 'pay: a decimal with at most two decimals, more than 0, e.g. "1250.00"',
    }),
  ),
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$', description: 'pay: ISO 4217, e.g. NOK' })),
  dueDate: Type.Optional(Type.String({ format: 'date', description: 'pay: YYYY-MM-DD' })),
  creditorAccount: Type.Optional(Type.String({ minLength: 1, maxLength: 34, description: 'pay: account to pay to' })),
  paymentReference: Type.Optional(Type.String({ minLength: 1, maxLength: 35, description: 'pay: e.g. a KID number' })),
  start: Type.Optional(Type.String({ format: 'date-time', description: 'appointment: when it starts' })),
  end: Type.Optional(Type.String({ format: 'date-time', description: 'appointment: when it ends (after start)' })),
  place: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'appointment: where' })),
};

const ActionJson = Type.Object(
  {
    ...ActionFields,
    document: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'The document the action belongs to: its `part` (multipart), or its `documentId` (a batch letter in JSON)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** Options every letter may carry, whatever format brought it (the multipart JSON, a batch). */
export const LetterOptions = {
  deliverAt: Type.Optional(
    Type.String({ format: 'date-time', description: 'The letter becomes visible then (in the future, within a year)' }),
  ),
  registrationDeadline: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'Private senders: the letter is held this long for a recipient without mailbox or consent',
    }),
  ),
  printDetails: Type.Optional(PrintDetailsSchema),
  replyBy: Type.Optional(
    Type.String({ format: 'date-time', description: 'The sender wants an answer by then (in the future)' }),
  ),
  actions: Type.Optional(
    Type.Array(ActionJson, {
      maxItems: 20,
      description: 'What the reader is asked to do: pay, book an appointment, follow a link, sign …',
    }),
  ),
  printIfUnreadAfter: Type.Optional(
    Type.String({ format: 'date-time', description: 'Print a delivered letter nobody opened by then' }),
  ),
  notification: Type.Optional(
    Type.Object(
      {
        emailText: Type.Optional(
          Type.String({ minLength: 1, maxLength: 500, description: "Replaces the e-mail's opening line" }),
        ),
        smsText: Type.Optional(Type.String({ minLength: 1, maxLength: 160, description: 'Replaces the SMS text' })),
        repetitions: Type.Optional(
          Type.Array(Type.Integer({ minimum: 0, maximum: 25 }), {
            minItems: 1,
            maxItems: 10,
            uniqueItems: true,
            description: 'Days after delivery to notify on (default [0]); stop once the letter is opened',
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
};

/** What every letter's JSON holds besides its documents, whichever way it is sent. */
export const LetterFields = {
  id: Type.String({ format: 'uuid', description: 'Chosen by the sender; the idempotency key' }),
  recipient: Recipient,
  subject: Type.String({ minLength: 1, maxLength: 255 }),
  nonSensitiveTitle: Type.Optional(
    Type.Union([Type.String({ minLength: 1, maxLength: 255 }), Type.Null()], {
      description:
        'What a reader logged in below `authLevel` and the notifications show instead of the subject. ' +
        'Recommended: without it such a reader sees the letter as untitled. null is the same as leaving it out',
    }),
  ),
  authLevel: Type.Optional(
    Type.Union(AuthLevelSchema.anyOf, {
      description:
        'The login level needed to read the letter (substantial = idporten-loa-substantial, high = ' +
        'idporten-loa-high); default high. A reader logged in below it sees only the nonSensitiveTitle, and ' +
        'without one the letter as untitled, so a nonSensitiveTitle is recommended',
    }),
  ),
  sensitivity: Type.Optional(
    Type.Union([Type.Literal('normal'), Type.Literal('sensitive')], {
      description:
        "sensitive: the sender's name is left out of notifications and hidden from readers below `authLevel`; " +
        'default normal',
    }),
  ),
  openingReceipt: Type.Optional(
    Type.Boolean({ description: 'Tell the sender (an OPENED event) when the letter is first opened; default false' }),
  ),
  legalNotification: Type.Optional(
    Type.Boolean({
      description: 'A legal notification (public senders only), with an OPENED event when opened; default false',
    }),
  ),
  mandatory: Type.Optional(
    Type.Boolean({ description: 'Shown to the reader as mandatory (public senders only); default false' }),
  ),
  senderReference: Type.Optional(
    Type.Union([Type.String({ maxLength: 255 }), Type.Null()], {
      description: "The sender's own reference, answered back as it is; null is the same as leaving it out",
    }),
  ),
  ...LetterOptions,
};
const LetterFieldsObject = Type.Object(LetterFields);
export type LetterFieldsType = Static<typeof LetterFieldsObject>;

/** The letter's JSON in the `message` part. */
export const LetterJson = Type.Object(
  { ...LetterFields, documents: Type.Array(DocumentJson, { minItems: 1, maxItems: 260 }) },
  { additionalProperties: false },
);
export type LetterJsonType = Static<typeof LetterJson>;

export const SendMessageBody = Type.Object(
  {
    // The document describes this part as LetterJson (describeLetterUpload); the route reads it by hand.
    message: Type.String({ description: 'The letter as JSON (LetterJson)', contentMediaType: 'application/json' }),
  },
  {
    additionalProperties: Type.String({ format: 'binary' }),
    description: 'A `message` part with the letter JSON, and one file part per document',
  },
);

const Receipt = Type.String({
  description:
    "The event, the letter's parties (sender organization number, recipient) and its documents' SHA-256 " +
    '(letter.documents, in order) as a compact JWS (EdDSA), ' +
    'signed by the platform when the event happened; verify with /.well-known/jwks.json',
});
const EventType = Type.Unsafe<LetterEventType>({ type: 'string', enum: [...LETTER_EVENT_TYPES] });
const EventData = Type.Record(Type.String(), Type.Unknown(), {
  description:
    'What the event carries, by type: ACCEPTED {deliverAt?, batchId?}; DELIVERED {releasedFromHold?: true}; ' +
    'REJECTED {reason: a rejectReason}; OPENED {by: "recipient" | "delegate"}; HELD {until: date-time}; ' +
    'PRINT_QUEUED {reason: a rejectReason, or "unread" (printIfUnreadAfter)}; ' +
    'PRINTED {reference: the printing house\'s}; PRINT_FAILED {reason: "print_failed"}; ' +
    'NOTIFIED {channel: "email" | "sms"}; NOTIFICATION_FAILED {channel: "email" | "sms" | null, ' +
    'reason: "no_contact_details" | "contact_details_stale" | "delivery_failed"}; HELD_EXPIRED, REPLIED and ' +
    'CANCELLED carry nothing ({})',
});
export const EventSchema = Type.Object({
  id: Uuid,
  type: EventType,
  at: Timestamp,
  data: EventData,
  receipt: Receipt,
});

export const LetterStatusSchema = Type.Union(
  [
    Type.Literal('PENDING'),
    Type.Literal('SCHEDULED'),
    Type.Literal('DELIVERED'),
    Type.Literal('HELD'),
    Type.Literal('HELD_EXPIRED'),
    Type.Literal('PRINT_QUEUED'),
    Type.Literal('PRINTED'),
    Type.Literal('PRINT_FAILED'),
    Type.Literal('REJECTED'),
    Type.Literal('CANCELLED'),
  ],
  { description: 'PENDING: in an uncommitted batch; SCHEDULED: waiting for deliverAt' },
);

export const SentMessage = Type.Object(
  {
    id: Uuid,
    status: LetterStatusSchema,
    rejectReason: Type.Union([Type.Unsafe<RejectReason>({ type: 'string', enum: [...REJECT_REASONS] }), Type.Null()], {
      description:
        'Why the letter was not delivered to a digital mailbox: on REJECTED why it was refused, on ' +
        'PRINT_QUEUED, PRINTED and PRINT_FAILED why it went to paper instead; null when it was delivered digitally',
    }),
    recipient: Recipient,
    subject: Type.String(),
    nonSensitiveTitle: Type.Union([Type.String(), Type.Null()]),
    senderReference: Type.Union([Type.String(), Type.Null()]),
    authLevel: AuthLevelSchema,
    sensitivity: Type.Union([Type.Literal('normal'), Type.Literal('sensitive')]),
    openingReceipt: Type.Boolean(),
    legalNotification: Type.Boolean(),
    mandatory: Type.Boolean(),
    replyBy: NullableTimestamp,
    createdAt: Timestamp,
    deliveredAt: NullableTimestamp,
    deliverAt: NullableTimestamp,
    holdUntil: NullableTimestamp,
    batchId: Type.Union([Uuid, Type.Null()]),
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
  type: EventType,
  at: Timestamp,
  data: EventData,
  receipt: Receipt,
  cursor: Type.String(),
});
export const EventPage = Page(
  FeedEvent,
  'Pass as `after` to read on. A feed has no last page: an empty page answers the cursor it was ' +
    'asked with (null only while there has never been an event), so keep polling with it',
);

export const EventQuery = Type.Object({
  after: Type.Optional(Type.String({ maxLength: 200, description: 'The `nextCursor` of the page before' })),
  cursor: Type.Optional(
    Type.String({ maxLength: 200, description: 'Another name for `after`, as the other lists call it' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const MessageIdParams = Type.Object({ id: Uuid });

type FormBody = { schema?: { properties?: Record<string, unknown> }; encoding?: Record<string, object> };
type Described = {
  components?: { schemas?: Record<string, unknown> };
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, FormBody> } }>>;
};

/** A letter as an authority sends it: the example the API description shows. */
export const LETTER_EXAMPLE = {
  id: '0b0e3c5a-2f4e-4b8a-9a55-1f1f0b0e3c5a',
  recipient: { nationalId: '12858510129' },
  subject: 'Vedtak om bostøtte',
  nonSensitiveTitle: 'Brev fra Husbanken',
  authLevel: 'high',
  sensitivity: 'normal',
  openingReceipt: true,
  senderReference: 'SAK-2026-0042',
  documents: [
    {
      part: 'doc1',
      role: 'main',
      title: 'Vedtak',
      filename: 'vedtak.pdf',
      mediaType: 'application/pdf',
      language: 'nb',
    },
    {
      part: 'doc2',
      role: 'attachment',
      title: 'Slik klager du',
      filename: 'klagerett.pdf',
      mediaType: 'application/pdf',
      language: 'nb',
    },
  ],
} as const;

/** The letter JSON as plain JSON Schema, without TypeBox's own markers, with an example. */
export function letterJsonSchema(): Record<string, unknown> {
  return { ...JSON.parse(JSON.stringify(LetterJson)), examples: [LETTER_EXAMPLE] };
}

/**
 * The route reads the letter's multipart body by hand, so its schema can only call the `message`
 * part a string. The document publishes the letter JSON as `components.schemas.LetterJson` and
 * describes the part as that JSON, sent as application/json.
 */
export function describeLetterUpload<T>(document: T): T {
  const described = document as Described;
  const form = described.paths?.['/api/v1/messages']?.post?.requestBody?.content?.['multipart/form-data'];
  if (!form?.schema?.properties) return document;
  described.components = {
    ...described.components,
    schemas: { ...described.components?.schemas, LetterJson: letterJsonSchema() },
  };
  form.schema.properties.message = { $ref: '#/components/schemas/LetterJson' };
  form.encoding = { message: { contentType: 'application/json' } };
  return document;
}
