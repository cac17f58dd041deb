import { Type } from '@sinclair/typebox';
import { Page, Timestamp, Uuid } from './common.schemas.js';

const Link = {
  seq: Type.Integer({ description: "The entry's place in the log" }),
  prevHash: Type.String({ description: 'SHA-256 (hex) of the entry before it in this chain; 64 zeros for the first' }),
  hash: Type.String({
    description:
      'SHA-256 (hex) of prevHash, a newline and the canonical JSON of the entry (keys sorted, no seq or hashes)',
  }),
};

export const AuditEntrySchema = Type.Object({
  id: Uuid,
  mailboxId: Uuid,
  actorNationalId: Type.String({ description: 'Who did it' }),
  actorRole: Type.String({ description: 'owner, delegate-read, delegate-manage, org-admin or org-reader' }),
  action: Type.String({
    description:
      'letter.view (someone other than the owner looked at a letter), document.read, action.calendar, ' +
      'letter.update, letter.trash, letter.restore, folder.*, grant.*, member.*',
  }),
  letterId: Type.Union([Uuid, Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: Timestamp,
  ...Link,
});

export const RegisterLogEntrySchema = Type.Object({
  id: Uuid,
  nationalId: Type.String(),
  actorType: Type.Union([
    Type.Literal('person'),
    Type.Literal('operator'),
    Type.Literal('sender'),
    Type.Literal('system'),
  ]),
  actorId: Type.Union([Type.String(), Type.Null()], { description: "The person's national id or the sender's id" }),
  action: Type.String({
    description:
      'register.create, register.update, register.confirm, register.exempt, register.address, mailbox.open, ' +
      'consent.give, consent.withdraw',
  }),
  details: Type.Record(Type.String(), Type.Unknown()),
  at: Timestamp,
  ...Link,
});

export const AuditPageSchema = Page(AuditEntrySchema);
export const RegisterLogPageSchema = Page(RegisterLogEntrySchema);

export const LogQuery = Type.Object({
  cursor: Type.Optional(Type.String({ maxLength: 20 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
