import { maskNationalIdsInText } from '@postkasse/core';
import type { FastifyServerOptions } from 'fastify';

/** One-time credentials in query strings (authorization codes, state) never reach a log. */
export function redactQuery(url: string): string {
  return url.replace(/([?&](?:code|state|nonce|session_state|client_assertion|id_token_hint)=)[^&#]*/g, '$1[redacted]');
}

function maskDeep(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return maskNationalIdsInText(redactQuery(value));
  if (depth === 0 || value === null || typeof value !== 'object' || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth - 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth - 1)]));
}

/**
 * pino options: JSON lines, credentials redacted, national ids masked in every message and URL.
 * Document content never reaches a log: no route logs bodies.
 */
export function loggerOptions(level: string, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.token'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: maskNationalIdsInText(redactQuery(req.url)),
        correlationId: req.id,
      }),
    },
    formatters: { log: (object) => maskDeep(object, 3) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskNationalIdsInText(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}
