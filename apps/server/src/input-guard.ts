import { AppError } from '@postkasse/core';
import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

/** The first path (`body.name`, `query.q`) at which a string or key holds a NUL, or null. */
function nulAt(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 64 || ArrayBuffer.isView(value)) return null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = nulAt(item, `${path}[${i}]`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return path;
    const found = nulAt(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/**
 * Refuses text holding a NUL character: no field of ours has a use for it, PostgreSQL cannot store
 * it in text, and SQLite would store it where later readers (logs, e-mail, C strings) cut it short.
 */
export function refuseNul(value: unknown, path: string): void {
  const at = nulAt(value, path);
  if (at) {
    throw new AppError('validation_failed', `${at}: may not contain a NUL character`, {
      errors: [{ path: at, code: 'nul_character', message: 'may not contain a NUL character (\\u0000)' }],
    });
  }
}

/** A UUID as ids are given in paths (any case; RFC 9562 §4). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Every route's query string, path parameters and JSON body pass `refuseNul` before validation,
 * and ids in the path are taken in lower case, as they are issued and stored (a UUID is the same
 * in capitals, RFC 9562 §4).
 */
export function registerInputGuard(app: FastifyInstance): void {
  // JSON bodies are read as Fastify reads them (prototype keys refused), but the problem says what
  // is wrong: where the syntax breaks, or which key is refused, instead of one fixed sentence.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') {
      done(new AppError('malformed_request', 'The body is empty: send a JSON object'), undefined);
      return;
    }
    try {
      done(null, secureJson.parse(body as string, { protoAction: 'error', constructorAction: 'error' }));
    } catch (error) {
      const message = (error as Error).message;
      const detail = message.startsWith('Object contains forbidden prototype property')
        ? 'The body holds a key that is not accepted: "__proto__", or "prototype" inside "constructor"'
        : `The body is not valid JSON: ${message}`;
      done(new AppError('malformed_request', detail), undefined);
    }
  });
  app.addHook('preValidation', async (request) => {
    refuseNul(request.params, 'params');
    refuseNul(request.query, 'query');
    refuseNul(request.body, 'body');
    const params = (request.params ?? {}) as Record<string, unknown>;
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && UUID.test(value)) params[name] = value.toLowerCase();
    }
  });
}
