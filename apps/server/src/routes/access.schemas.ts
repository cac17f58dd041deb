import { Type } from '@sinclair/typebox';
import { NullableTimestamp, Timestamp, Uuid } from './common.schemas.js';

export const GrantSchema = Type.Object({
  id: Uuid,
  granteeNationalId: Type.String(),
  scope: Type.Union([Type.Literal('read'), Type.Literal('manage')]),
  validUntil: NullableTimestamp,
  createdAt: Timestamp,
  revokedAt: NullableTimestamp,
  active: Type.Boolean(),
});

export const GrantBody = Type.Object(
  {
    granteeNationalId: Type.String({ pattern: '^[0-9]{10,11}$' }),
    scope: Type.Union([Type.Literal('read'), Type.Literal('manage')], {
      description: 'read: read letters; manage: also move and mark them (never delete or grant onward)',
    }),
    validUntil: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);

export const MemberSchema = Type.Object({
  id: Uuid,
  nationalId: Type.String(),
  role: Type.Union([Type.Literal('admin'), Type.Literal('reader')]),
  createdAt: Timestamp,
});

export const MemberBody = Type.Object(
  {
    nationalId: Type.String({ pattern: '^[0-9]{10,11}$' }),
    role: Type.Union([Type.Literal('admin'), Type.Literal('reader')]),
  },
  { additionalProperties: false },
);

export const ApiKeySchema = Type.Object({
  id: Uuid,
  prefix: Type.String({ description: 'The first characters of the key, to recognise it' }),
  label: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  lastUsedAt: NullableTimestamp,
  revokedAt: NullableTimestamp,
});

export const NewApiKeySchema = Type.Object({
  ...ApiKeySchema.properties,
  apiKey: Type.String({ description: 'The key itself: shown this once, only its hash is kept' }),
});

export const ApiKeyBody = Type.Object(
  { label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })) },
  { additionalProperties: false },
);

export const SenderSchema = Type.Object({
  id: Uuid,
  orgNumber: Type.String(),
  name: Type.String(),
  kind: Type.Union([Type.Literal('public'), Type.Literal('private')]),
});

export const GrantParams = Type.Object({ mailboxId: Uuid, grantId: Uuid });
export const MemberParams = Type.Object({ mailboxId: Uuid, memberId: Uuid });
export const SenderParams = Type.Object({ senderId: Uuid });
export const KeyParams = Type.Object({ senderId: Uuid, keyId: Uuid });

export const ClientKeySchema = Type.Object({
  id: Uuid,
  kid: Type.String(),
  jwk: Type.Record(Type.String(), Type.Unknown(), { description: 'The public key' }),
  createdAt: Timestamp,
  revokedAt: NullableTimestamp,
});

export const ClientKeyBody = Type.Object(
  {
    jwk: Type.Record(Type.String(), Type.Unknown(), {
      description: 'A public JWK (OKP Ed25519, EC P-256/P-384 or RSA ≥ 2048) with a kid; never a private key',
    }),
  },
  { additionalProperties: false },
);
export const ClientKeyParams = Type.Object({ senderId: Uuid, keyId: Uuid });
