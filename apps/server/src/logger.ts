import { maskNationalIdsInText } from '@postkasse/core';
import type { FastifyServerOptions } from 'fastify';

/**
 * pino options: JSON lines, credentials redacted, national ids masked in every message and URL.
 * Document content never reaches a log: no route logs bodies.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.token'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({
        method: req.method,
        url: maskNationalIdsInText(req.url),
        correlationId: req.id,
      }),
    },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskNationalIdsInText(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
  };
}
