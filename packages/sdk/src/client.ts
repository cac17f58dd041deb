/**
 * The typed client every Postkasse program shares (senders, the CLI, the web inbox): openapi-fetch
 * over the generated `schema.ts`, with every error answer (application/problem+json) thrown as a
 * `PostkasseError`. Nothing here needs Node: the browser bundle imports this module alone.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };

export type Json<T> = T extends { content: { 'application/json': infer B } } ? B : never;

export type Problem = components['schemas']['Problem'];

export type PostkasseClient = Client<paths> & { readonly baseUrl: string };

export type FieldError = { path: string; code: string; message: string };

/** An error answer of the API (problem+json), or a request that never got one. */
export class PostkasseError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly correlationId: string | undefined;
  readonly problem: Record<string, unknown> | undefined;
  /** Seconds to wait before trying again, when the server said (Retry-After, as on 429 `rate_limited`). */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    code: string;
    status: number;
    retryable: boolean;
    detail: string;
    errors?: FieldError[] | undefined;
    correlationId?: string | undefined;
    problem?: Record<string, unknown> | undefined;
    retryAfterSeconds?: number | undefined;
    cause?: unknown;
  }) {
    super(`${init.code}: ${init.detail}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'PostkasseError';
    this.code = init.code;
    this.status = init.status;
    this.retryable = init.retryable;
    this.detail = init.detail;
    this.errors = init.errors;
    this.correlationId = init.correlationId;
    this.problem = init.problem;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

export const isPostkasseError = (e: unknown): e is PostkasseError => e instanceof PostkasseError;

/** Turns any error answer into a thrown PostkasseError (problem+json when the server sent one). */
async function problemFrom(response: Response): Promise<PostkasseError> {
  const correlationId = response.headers.get('x-correlation-id') ?? undefined;
  const retryAfter = /^\d{1,6}$/.test(response.headers.get('retry-after') ?? '')
    ? Number(response.headers.get('retry-after'))
    : undefined;
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && typeof (body as Problem).code === 'string') {
    const p = body as Problem & Record<string, unknown>;
    return new PostkasseError({
      code: p.code,
      status: typeof p.status === 'number' ? p.status : response.status,
      retryable: typeof p.retryable === 'boolean' ? p.retryable : response.status >= 500,
      detail: typeof p.detail === 'string' ? p.detail : (p.title ?? response.statusText),
      errors: p.errors,
      correlationId: p.correlationId ?? correlationId,
      problem: p,
      retryAfterSeconds: retryAfter,
    });
  }
  return new PostkasseError({
    code: `http_${response.status}`,
    status: response.status,
    retryable: response.status === 429 || response.status >= 500,
    detail: text.slice(0, 500) || response.statusText || `HTTP ${response.status}`,
    correlationId,
    retryAfterSeconds: retryAfter,
  });
}

const problemMiddleware: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await problemFrom(response);
    return undefined;
  },
  onError({ error }) {
    if (error instanceof PostkasseError) return error;
    if ((error as Error)?.name === 'AbortError') return error as Error;
    const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
    return new PostkasseError({
      code: 'network_error',
      status: 0,
      retryable: true,
      detail: cause?.message ?? cause?.code ?? (error instanceof Error ? error.message : String(error)),
      cause: error,
    });
  },
};

export type ClientOptions = {
  baseUrl: string;
  /** An API key (`pk_…`) or a sender access token. */
  token?: string | undefined;
  fetch?: (input: Request) => Promise<Response>;
  headers?: Record<string, string>;
  /** In a browser with a session cookie: `same-origin`. */
  credentials?: 'omit' | 'same-origin' | 'include';
};

/** A typed client for the whole API; error answers are thrown as PostkasseError. */
export function createPostkasseClient(options: ClientOptions): PostkasseClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const client = createClient<paths>({
    baseUrl,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  client.use(problemMiddleware);
  return Object.assign(client, { baseUrl });
}

/** What the middleware guarantees: a result without `data` only for bodiless answers. */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new PostkasseError({
      code: 'empty_response',
      status: result.response.status,
      retryable: false,
      detail: `the server answered ${result.response.status} without a body`,
    });
  }
  return result.data;
}
