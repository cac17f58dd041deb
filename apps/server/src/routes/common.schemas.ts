import { type TSchema, Type } from '@sinclair/typebox';

export const Uuid = Type.String({ format: 'uuid', description: 'A UUID' });
export const Timestamp = Type.String({ format: 'date-time' });
export const NullableTimestamp = Type.Union([Timestamp, Type.Null()]);
export const AuthLevelSchema = Type.Union([Type.Literal('substantial'), Type.Literal('high')], {
  description: 'substantial = idporten-loa-substantial, high = idporten-loa-high',
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String({ description: 'Stable error code' }),
    retryable: Type.Boolean({ description: 'Whether sending the same request again can succeed' }),
    correlationId: Type.String(),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), code: Type.String(), message: Type.String() })),
    ),
  },
  { additionalProperties: true, $id: 'Problem', description: 'RFC 9457 problem details' },
);

/** Error answers for the OpenAPI document: application/problem+json for every listed status. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((s) => [s, { ...Type.Ref('Problem'), description: 'application/problem+json' }]),
  );
}

export const Page = <T extends TSchema>(
  item: T,
  cursorDescription = 'Pass as `cursor` to get the next page; null on the last page',
) =>
  Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: cursorDescription }),
  });

export const bearerAuth = [{ bearerAuth: [] }];
