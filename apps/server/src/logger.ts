import { maskNationalIdsInText } from '@postkasse/core';
import type { FastifyServerOptions } from 'fastify';
import { stdSerializers } from 'pino';

/** One-time credentials in query strings (authorization codes, state) never reach a log. */
export function redactQuery(url: string): string {
  return url.replace(/([?&](?:code|state|nonce|session_state|client_assertion|id_token_hint)=)[^&#]*/g, '$1[redacted]');
}

/**
 * Query parameters whose values say nothing about a person: paging, flags, dates, folder ids. The
 * value of any other (search words, a sender searched for, a return address, one-time codes) is
 * left out of the log; its name stays, so the line still shows what was asked.
 */
const LOGGABLE_QUERY = new Set(['limit', 'cursor', 'after', 'folder', 'unread', 'from', 'to', 'download', 'acr']);

/**
 * A request's URL as it may be logged: the path decoded (so `%30` cannot hide a digit from the
 * masking), query values outside LOGGABLE_QUERY redacted, national ids, e-mail addresses and phone
 * numbers masked.
 */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?');
  const rawPath = at === -1 ? url : url.slice(0, at);
  let path = rawPath;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    // not valid percent-encoding: the raw path, masked below as it is
  }
  const query =
    at === -1
      ? ''
      : `?${url
          .slice(at + 1)
          .split('&')
          .map((pair) => {
            const eq = pair.indexOf('=');
            const name = eq === -1 ? pair : pair.slice(0, eq);
            return eq === -1 || LOGGABLE_QUERY.has(name) ? pair : `${name}=[redacted]`;
          })
          .join('&')}`;
  return maskText(path + query);
}

/** `kari.nordmann@example.org` → `k***@example.org`; `+4791234567` → `+47********`. */
function maskContactsInText(text: string): string {
  return text
    .replace(/([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/g, '$1***@$2')
    .replace(/\+(\d{2})\d{6,13}(?!\d)/g, (m, cc: string) => `+${cc}${'*'.repeat(m.length - 3)}`);
}

function maskText(text: string): string {
  return maskNationalIdsInText(maskContactsInText(redactQuery(text)));
}

function maskDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskText(value);
  // An error (a failed job, a 500) is serialized here, so that its message and the properties a
  // library adds (an SMTP server's answer, the rejected addresses) are masked like the rest.
  if (value instanceof Error) return maskDeep(stdSerializers.err(value), depth);
  if (depth === 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth - 1)]));
}

/**
 * pino options: JSON lines, credentials redacted, national ids, e-mail addresses and phone numbers
 * masked in every message, error and URL.
 * Document content never reaches a log: no route logs bodies.
 */
export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.token'], censor: '[redacted]' },
    serializers: {
      // Errors reach here already serialized and masked by the formatter below; pino's own
      // serializer would take that object for an error again and call it an "Object".
      err: (err) => (err instanceof Error ? maskDeep(err, 6) : err) as ReturnType<typeof stdSerializers.err>,
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: loggableUrl(req.url),
        correlationId: req.id,
      }),
    },
    formatters: { log: (object) => maskDeep(object, 6) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskText(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}
