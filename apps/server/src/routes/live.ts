/**
 * GET /api/v1/mailboxes/{id}/changes: server-sent events telling an open view what changed in a
 * mailbox (a letter arrived, was read, moved, deleted or restored; folders; access), so every
 * tab, device and display platform shows the same state without reloading. The view then reads
 * what it needs through the API, with its own rights. Access is checked again for every change.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isAppError, requireMailboxAccess } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { personOf, requirePerson } from '../authenticate.js';
import type { AppContext } from '../context.js';
import type { MailboxChange } from '../live.js';
import { bearerAuth, problems, Uuid } from './common.schemas.js';

const HEARTBEAT_MS = 25_000;

export function liveRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);
    // A stream never ends by itself: a server shutting down ends each (the view reconnects, to
    // this process once it is back or to another), or it would wait for every open tab.
    const streams = new Set<() => void>();
    app.addHook('preClose', async () => {
      for (const end of streams) end();
    });
    app.get(
      '/mailboxes/:mailboxId/changes',
      {
        schema: {
          tags: ['recipient'],
          operationId: 'streamMailboxChanges',
          summary: 'Live changes in a mailbox, as server-sent events (text/event-stream)',
          description:
            'Events `change` with `{ kind, letterId }`: letter.arrived, letter.changed, folders.changed, ' +
            'access.changed. A comment line every 25 s keeps the connection open; `end` is sent when access ' +
            'ends. A server shutting down closes the stream without it: connect again (EventSource does, after ' +
            "the stream's `retry`). Read the current state through the other endpoints.",
          security: bearerAuth,
          params: Type.Object({ mailboxId: Uuid }),
          produces: ['text/event-stream'],
          response: { 200: Type.String({ description: 'text/event-stream' }), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const actor = personOf(request);
        const { mailboxId } = request.params;
        await requireMailboxAccess(ctx.deps, actor, mailboxId);
        await ctx.live.ready();
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-correlation-id': request.id,
        });
        res.write('retry: 2000\n\n');
        let open = true;
        const close = () => {
          if (!open) return;
          open = false;
          streams.delete(serverClosing);
          unsubscribe();
          clearInterval(heartbeat);
          res.end();
        };
        // Ended without an `end` event: the client's EventSource connects again by itself.
        const serverClosing = () => close();
        streams.add(serverClosing);
        let checking = Promise.resolve();
        const unsubscribe = ctx.live.subscribe(mailboxId, (change: MailboxChange) => {
          // Every change waits for a fresh look at the access: a revoked grant ends the stream.
          checking = checking.then(async () => {
            if (!open) return;
            try {
              await requireMailboxAccess(ctx.deps, actor, mailboxId);
            } catch (error) {
              if (!isAppError(error)) request.log.warn({ err: error }, 'live updates: access check failed');
              res.write('event: end\ndata: {"reason":"access_ended"}\n\n');
              close();
              return;
            }
            res.write(`event: change\ndata: ${JSON.stringify(change)}\n\n`);
          });
        });
        const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
        heartbeat.unref();
        request.raw.on('close', close);
      },
    );
  };
}
