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

type Described = {
  paths?: Record<
    string,
    Record<
      string,
      {
        operationId?: string;
        requestBody?: { content?: object };
        responses?: Record<string, { content?: object } & Record<string, unknown>>;
      }
    >
  >;
};

/**
 * Error answers are sent as application/problem+json; the generator describes every answer in the
 * route's own media types, so the error answers' media type is set right in the document it serves.
 */
export function errorsAsProblems<T>(document: T): T {
  for (const operations of Object.values((document as Described).paths ?? {})) {
    // A route that answers GET and HEAD is one schema, so both carry the GET's operationId (and
    // may be one object); a code generator needs each to be unique (getDocumentContent,
    // headDocumentContent).
    const head = operations.head;
    if (head?.operationId?.startsWith('get')) {
      operations.head = { ...head, operationId: `head${head.operationId.slice(3)}` };
    }
    for (const operation of Object.values(operations)) {
      // A MeMo body is the XML itself, not the multipart form the same route also takes.
      const bodies = (operation.requestBody?.content ?? {}) as Record<string, unknown>;
      for (const type of Object.keys(bodies)) {
        if (type.endsWith('xml')) bodies[type] = { schema: { type: 'string', description: 'A MeMo message (XML)' } };
      }
      for (const [status, answer] of Object.entries(operation.responses ?? {})) {
        // (A route that produces e.g. text/calendar has its errors listed under that type too.)
        const described = Object.values((answer.content ?? {}) as Record<string, unknown>)[0];
        if (Number(status) >= 400 && described) answer.content = { 'application/problem+json': described };
      }
      // Every operation that can be refused for want of credentials is counted by the rate limits
      // (rate-limits.ts), so each says how that refusal looks.
      const responses = operation.responses ?? {};
      const unauthorized = responses['401'];
      if (unauthorized && !responses['429']) {
        responses['429'] = {
          description:
            'Too many requests from this sender, person or address in a minute (POSTKASSE_RATE_LIMITS); ' +
            'retryable after Retry-After seconds',
          headers: { 'Retry-After': { schema: { type: 'integer', minimum: 0 } } },
          ...(unauthorized.content ? { content: unauthorized.content } : {}),
        };
      }
    }
  }
  return document;
}
