import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import type { AppContext } from '../context.js';

const Status = Type.Object({ status: Type.String() });

export function healthRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      { schema: { tags: ['operations'], summary: 'The process is up', response: { 200: Status } } },
      async () => ({ status: 'ok' }),
    );
    app.get(
      '/readyz',
      { schema: { tags: ['operations'], summary: 'The database answers', response: { 200: Status } } },
      async () => {
        try {
          await ctx.deps.store.ping();
        } catch (error) {
          throw new AppError('service_unavailable', 'The database does not answer', { cause: error });
        }
        return { status: 'ready' };
      },
    );
  };
}
