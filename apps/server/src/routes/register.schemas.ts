import { Type } from '@sinclair/typebox';
import { NullableTimestamp, Timestamp, Uuid } from './common.schemas.js';
import { PostalAddressSchema } from './messages.schemas.js';

const NationalId = Type.String({ pattern: '^[0-9]{10,11}$', description: 'Norwegian national id or Danish CPR' });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const LookupBody = Type.Object(
  { nationalIds: Type.Array(Type.String({ maxLength: 20 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);

const Contact = Type.Object({
  email: Nullable(Type.String()),
  emailUpdatedAt: NullableTimestamp,
  emailVerifiedAt: NullableTimestamp,
  mobile: Nullable(Type.String()),
  mobileUpdatedAt: NullableTimestamp,
  mobileVerifiedAt: NullableTimestamp,
});

const RegisterStatus = Type.Union([Type.Literal('active'), Type.Literal('not_registered'), Type.Literal('deleted')]);

export const LookupEntrySchema = Type.Object({
  nationalId: Type.String(),
  status: RegisterStatus,
  canReceiveDigitalPost: Type.Boolean({ description: 'An active mailbox, neither reserved nor exempt' }),
  reserved: Type.Boolean(),
  reservedAt: NullableTimestamp,
  exempt: Type.Boolean(),
  canBeNotified: Type.Boolean({ description: 'False when the contact details are older than 18 months' }),
  language: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  contact: Type.Optional(Contact),
});
export const LookupAnswer = Type.Object({ persons: Type.Array(LookupEntrySchema) });

export const OwnRecordSchema = Type.Object({
  nationalId: Type.String(),
  name: Nullable(Type.String()),
  status: RegisterStatus,
  provider: Nullable(Type.String()),
  reserved: Type.Boolean(),
  reservedAt: NullableTimestamp,
  exempt: Type.Boolean(),
  exemptAt: NullableTimestamp,
  language: Nullable(Type.String()),
  canBeNotified: Type.Boolean(),
  contact: Contact,
  postalAddress: Type.Union([PostalAddressSchema, Type.Null()]),
  updatedAt: NullableTimestamp,
});

export const OwnRecordPatch = Type.Object(
  {
    reserved: Type.Optional(Type.Boolean({ description: 'Reserve against digital public mail' })),
    email: Type.Optional(Nullable(Type.String({ maxLength: 254 }))),
    mobile: Type.Optional(Nullable(Type.String({ maxLength: 20 }))),
    language: Type.Optional(
      Type.Union([Type.Literal('nb'), Type.Literal('nn'), Type.Literal('en'), Type.Literal('se'), Type.Literal('da')]),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ConsentSchema = Type.Object({
  sender: Type.Object({ id: Uuid, name: Type.String(), orgNumber: Type.String() }),
  status: Type.Union([Type.Literal('active'), Type.Literal('withdrawn')]),
  source: Type.Union([Type.Literal('person'), Type.Literal('sender')]),
  givenAt: Timestamp,
  withdrawnAt: NullableTimestamp,
});
export const ConsentList = Type.Object({ items: Type.Array(ConsentSchema) });
export const OrgNumberParams = Type.Object({ orgNumber: Type.String({ pattern: '^[0-9]{8,9}$' }) });
export const NationalIdParams = Type.Object({ nationalId: NationalId });

export const CustomerConsentBody = Type.Object(
  {
    nationalId: NationalId,
    evidence: Type.Object(
      {
        reference: Type.String({ minLength: 1, maxLength: 255, description: 'The agreement or form in your records' }),
        givenAt: Type.String({ format: 'date-time' }),
        method: Type.String({ minLength: 1, maxLength: 100, description: 'How it was given: signed form, web, app' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export const CustomerConsentAnswer = Type.Object({
  nationalId: Type.String(),
  status: Type.Literal('active'),
});
