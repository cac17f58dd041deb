import { Type } from '@sinclair/typebox';
import { AuthLevelSchema, NullableTimestamp, Page, Timestamp, Uuid } from './common.schemas.js';
import { ActionFields } from './messages.schemas.js';

export const MailboxSchema = Type.Object({
  id: Uuid,
  ownerType: Type.Union([Type.Literal('person'), Type.Literal('organization')]),
  name: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union(
    [
      Type.Literal('owner'),
      Type.Literal('delegate-read'),
      Type.Literal('delegate-manage'),
      Type.Literal('org-admin'),
      Type.Literal('org-reader'),
    ],
    { description: 'owner; a delegate with read or manage access; a member of the organization' },
  ),
  ownerId: Type.String({
    description: "The owner's national id (masked unless it is the caller) or organization number",
  }),
});

export const FolderSchema = Type.Object({
  id: Uuid,
  kind: Type.Union([Type.Literal('inbox'), Type.Literal('archive'), Type.Literal('trash'), Type.Literal('custom')]),
  name: Type.String(),
  total: Type.Integer(),
  unread: Type.Integer(),
});

const SenderRef = Type.Union([Type.Object({ id: Uuid, name: Type.String(), orgNumber: Type.String() }), Type.Null()]);

const DocumentSchema = Type.Object({
  id: Uuid,
  role: Type.Union([Type.Literal('main'), Type.Literal('attachment'), Type.Literal('technical')]),
  title: Type.Union([Type.String(), Type.Null()]),
  filename: Type.String(),
  mediaType: Type.String(),
  language: Type.Union([Type.String(), Type.Null()]),
  size: Type.Integer(),
});

/** An action as the reader sees it: its position, and the document it belongs to by id. */
export const ReaderActionSchema = Type.Object(
  {
    index: Type.Integer({
      minimum: 0,
      description: 'Its position; an appointment is offered at …/actions/{index}/calendar',
    }),
    ...ActionFields,
    documentId: Type.Optional(Type.String({ format: 'uuid', description: 'The document it belongs to' })),
  },
  { additionalProperties: false },
);

const letterFields = {
  id: Uuid,
  sender: SenderRef,
  subject: Type.Union([Type.String(), Type.Null()], { description: 'null when the login level is too low' }),
  nonSensitiveTitle: Type.Union([Type.String(), Type.Null()]),
  receivedAt: Timestamp,
  read: Type.Boolean(),
  folderId: Uuid,
  authLevel: AuthLevelSchema,
  sensitivity: Type.Union([Type.Literal('normal'), Type.Literal('sensitive')]),
  restricted: Type.Boolean({ description: 'true: log in at `authLevel` to see the content' }),
  legalNotification: Type.Boolean(),
  mandatory: Type.Boolean(),
  documentCount: Type.Integer(),
  trashedAt: NullableTimestamp,
  replyBy: Type.Union([Timestamp, Type.Null()], { description: 'The sender wants an answer by then' }),
};

export const LetterSummary = Type.Object(letterFields);
export const LetterDetail = Type.Object({
  ...letterFields,
  loginUrl: Type.Optional(
    Type.String({
      description: 'When restricted: log in here at the level the letter needs; it returns to the letter',
    }),
  ),
  openedAt: NullableTimestamp,
  documents: Type.Array(DocumentSchema),
  actions: Type.Array(ReaderActionSchema, {
    description: 'What the letter asks of its reader; empty when restricted (they are content)',
  }),
});
export const LetterPage = Page(LetterSummary);

export const MailboxParams = Type.Object({ mailboxId: Uuid });
export const LetterParams = Type.Object({ mailboxId: Uuid, messageId: Uuid });
export const DocumentParams = Type.Object({ mailboxId: Uuid, messageId: Uuid, documentId: Uuid });
export const ActionParams = Type.Object({
  mailboxId: Uuid,
  messageId: Uuid,
  index: Type.Integer({ minimum: 0, maximum: 999, description: "The action's position in `actions`" }),
});
export const FolderParams = Type.Object({ mailboxId: Uuid, folderId: Uuid });

export const ListQuery = Type.Object({
  folder: Type.Optional(
    Type.String({ maxLength: 36, description: 'A folder id, or inbox | archive | trash (default inbox)' }),
  ),
  cursor: Type.Optional(Type.String({ maxLength: 300 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  q: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'Search the subject (when your login level shows it) and the non-sensitive title',
    }),
  ),
  sender: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: "A sender's organization number or part of its name" }),
  ),
  from: Type.Optional(Type.String({ maxLength: 30, description: 'Delivered on or after (YYYY-MM-DD or date-time)' })),
  to: Type.Optional(Type.String({ maxLength: 30, description: 'Delivered on or before (YYYY-MM-DD or date-time)' })),
  unread: Type.Optional(
    Type.Boolean({ description: 'true: only letters not yet read; false: only letters already read' }),
  ),
});

export const LetterPatchBody = Type.Object(
  { read: Type.Optional(Type.Boolean()), folderId: Type.Optional(Type.String({ maxLength: 36 })) },
  { additionalProperties: false, minProperties: 1 },
);

export const FolderBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const ContentQuery = Type.Object({
  download: Type.Optional(Type.Boolean({ description: 'true: Content-Disposition attachment' })),
});
