import { AppError, type ErrorCode, errorCatalog, type FieldError, maskNationalIdsInText } from '@postkasse/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import Router from 'find-my-way';

/** RFC 9457 problem details with our stable `code`, `retryable` and the correlation id. */
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  retryable: boolean;
  correlationId: string;
  errors?: FieldError[];
  [extra: string]: unknown;
};

const statusToCode: Record<number, ErrorCode> = {
  400: 'malformed_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'unsupported_media_type',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** Fastify's and its plugins' own errors, by their codes. */
const frameworkCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_REQ_FILE_TOO_LARGE: 'payload_too_large',
  FST_PARTS_LIMIT: 'payload_too_large',
  FST_FILES_LIMIT: 'payload_too_large',
  FST_FIELDS_LIMIT: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_request',
};

type SchemaError = {
  instancePath: string;
  keyword: string;
  message?: string | undefined;
  params: Record<string, unknown>;
};

/**
 * Turns JSON-schema errors into field errors with readable paths (`message.documents[0].role`).
 * A choice of constants (a union of literals: `anyOf` of `const`) is one error naming the values
 * allowed, not one "must be equal to constant" per value.
 */
export function fieldErrors(prefix: string, errors: readonly SchemaError[]): FieldError[] {
  const choices = new Map<string, unknown[]>();
  for (const v of errors) {
    if (v.keyword === 'const' && errors.some((o) => o.keyword === 'anyOf' && o.instancePath === v.instancePath)) {
      choices.set(v.instancePath, [...(choices.get(v.instancePath) ?? []), v.params.allowedValue]);
    }
  }
  return errors.flatMap((v) => {
    const values = choices.get(v.instancePath);
    if (values && v.keyword === 'const') return [];
    if (values && v.keyword === 'anyOf') v = { ...v, keyword: 'enum', params: { allowedValues: values } };
    return [fieldError(prefix, v)];
  });
}

function fieldError(prefix: string, v: SchemaError): FieldError {
  let path = prefix + v.instancePath.replace(/\/(\d+)/g, '[$1]').replace(/\//g, '.');
  const param = v.params.missingProperty ?? v.params.additionalProperty;
  if (typeof param === 'string') path += `.${param}`;
  let message = v.message ?? 'invalid';
  if (v.keyword === 'additionalProperties') message = 'is not a known field';
  if (v.keyword === 'enum' && Array.isArray(v.params.allowedValues)) {
    message = `must be one of ${v.params.allowedValues.join(', ')}`;
  }
  return { path, code: v.keyword, message };
}

/** System errors of a resource the server needs (the disk, the database's connection, the object store), not of the request. */
const UNAVAILABLE_SYSTEM_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EIO',
  'EMFILE',
  'ENFILE',
  'SQLITE_BUSY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  // The object store (S3) does not answer, throttles or refuses the platform's credentials.
  'BLOB_STORE_UNAVAILABLE',
]);

/**
 * Whether an error (or one it was caused by) says the database or the disk cannot be used now: a
 * lost or refused connection, PostgreSQL shutting down or out of resources (SQLSTATE classes 08,
 * 53, 57P), a full or read-only disk. Such a request was not the problem: 503, try again.
 */
function isUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (UNAVAILABLE_SYSTEM_CODES.has(code) || code.startsWith('SQLITE_IOERR')) return true;
    if (/^(08|53)[0-9A-Z]{3}$/.test(code) || /^57P0[1-3]$/.test(code)) return true;
    const message = e instanceof Error ? e.message : '';
    if (/timeout exceeded when trying to connect|Connection terminated/.test(message)) return true;
  }
  return false;
}

export function problemFrom(error: unknown, correlationId: string): Problem {
  if (error instanceof AppError) {
    // Extra members never override the standard ones (a letter's `status` is not an HTTP status).
    return {
      ...(error.extra ?? {}),
      type: `urn:postkasse:problem:${error.code}`,
      title: errorCatalog[error.code].title,
      status: error.status,
      detail: error.message,
      code: error.code,
      retryable: error.retryable,
      correlationId,
      ...(error.errors ? { errors: error.errors } : {}),
    };
  }
  const fe = error as FastifyError;
  // PostgreSQL refusing text it cannot store (a byte sequence invalid in UTF-8, or one its encoding
  // lacks) is the request's content, not a failure a retry gets past; the input guard refuses NUL first.
  if (fe?.code === '22021' || fe?.code === '22P05') {
    return problemFrom(
      new AppError('malformed_request', 'The request holds characters that cannot be stored'),
      correlationId,
    );
  }
  if (fe?.validation) {
    // One name for the query string in every path: `query.limit`, as the handlers' own checks say.
    const context = fe.validationContext === 'querystring' ? 'query' : (fe.validationContext ?? 'request');
    const errors = fieldErrors(context, fe.validation);
    return problemFrom(
      new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors }),
      correlationId,
    );
  }
  if (fe?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return problemFrom(
      new AppError('unsupported_media_type', 'This route does not take a body of that Content-Type'),
      correlationId,
    );
  }
  const mapped = (fe?.code && frameworkCodes[fe.code]) || (fe?.statusCode && statusToCode[fe.statusCode]);
  if (mapped && fe.statusCode !== undefined && fe.statusCode < 500) {
    return problemFrom(new AppError(mapped, fe.message), correlationId);
  }
  if (mapped === 'payload_too_large' || mapped === 'unsupported_media_type') {
    return problemFrom(new AppError(mapped, fe.message), correlationId);
  }
  if (isUnavailable(error)) {
    return problemFrom(
      new AppError('service_unavailable', 'The service cannot reach or write its data just now; try again shortly'),
      correlationId,
    );
  }
  return problemFrom(new AppError('internal_error', 'Something went wrong on our side; try again'), correlationId);
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request: FastifyRequest, reply) => {
    const problem = problemFrom(error, request.id);
    if (problem.status >= 500) {
      request.log.error({ err: error, code: problem.code }, maskNationalIdsInText(String((error as Error)?.message)));
    } else {
      request.log.info({ code: problem.code, status: problem.status }, 'request refused');
    }
    // RFC 6750 §3.1: no error code when the request carried no credentials at all.
    if (problem.code === 'unauthenticated') reply.header('www-authenticate', 'Bearer realm="postkasse"');
    if (problem.code === 'invalid_token') {
      reply.header('www-authenticate', 'Bearer realm="postkasse", error="invalid_token"');
    }
    return sendProblem(reply, problem);
  });
  // The API's routes again, by path, to tell "no such resource" (404) from "not with this method"
  // (405 with Allow), which Fastify's router does not.
  const routes = Router();
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/')) return;
    for (const given of ([] as HTTPMethods[]).concat(route.method)) {
      const method = given.toUpperCase() as (typeof METHODS)[number];
      if (METHODS.includes(method) && !routes.hasRoute(method, route.url)) {
        routes.on(method, route.url, () => undefined);
      }
    }
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = path.startsWith('/api/')
      ? METHODS.filter((m) => m !== request.method && routes.find(m, path) !== null)
      : [];
    if (allowed.length > 0) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        problemFrom(
          new AppError('method_not_allowed', `${request.method} is not allowed here; use ${allowed.join(', ')}`),
          request.id,
        ),
      );
    }
    return sendProblem(reply, problemFrom(new AppError('not_found', 'No such resource'), request.id));
  });
}

const METHODS: Array<'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'> = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
];
