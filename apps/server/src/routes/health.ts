import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../context.js';
import { problems } from './common.schemas.js';

const Status = Type.Object({ status: Type.String() });

export function healthRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getHealth',
          summary: 'The process is up',
          response: { 200: Status },
        },
      },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      {
        schema: {
          tags: ['operations'],
          operationId: 'getReadiness',
          summary: 'The database answers and the blob store takes a write',
          description:
            '503 `service_unavailable` while either cannot be used: take the process out of the load balancer.',
          response: { 200: Status, ...problems(503) },
        },
      },
      async () => {
        try {
          await ctx.deps.store.ping();
        } catch (error) {
          throw new AppError('service_unavailable', 'The database does not answer', { cause: error });
        }
        // A full disk, a read-only or missing mount, an object store that does not answer or
        // refuses our credentials: every letter would be refused, so the process is not ready.
        try {
          await ctx.blobBackend.probe();
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'an error';
          throw new AppError('service_unavailable', `The blob store cannot be written (${code})`, { cause: error });
        }
        return { status: 'ready' };
      },
    );
  };
}
