import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks, type Webhook } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { requireSender, senderOf } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { assertPublicDestination } from '../webhook-guard.js';
import { bearerAuth, NullableTimestamp, problems, Timestamp, Uuid } from './common.schemas.js';

const WebhookSchema = Type.Object({
  id: Uuid,
  url: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('disabled')]),
  createdAt: Timestamp,
  lastDeliveredAt: NullableTimestamp,
  failingSince: NullableTimestamp,
  lastError: Type.Union([Type.String(), Type.Null()]),
  nextAttemptAt: NullableTimestamp,
});
const WebhookDetail = Type.Object({
  ...WebhookSchema.properties,
  failures: Type.Array(Type.Object({ eventId: Uuid, failedAt: Timestamp, error: Type.String() }), {
    description: 'Events given up after 24 hours of failed attempts; they are still in the feed',
  }),
});
const WebhookBody = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: 2048,
      description:
        'https to a public address (http to localhost and private addresses only where the operator allows them)',
    }),
    secret: Type.String({
      minLength: 16,
      maxLength: 256,
      description: 'Signs each post: header postkasse-signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">',
    }),
  },
  { additionalProperties: false },
);
const WebhookParams = Type.Object({ id: Uuid });

const present = (h: Webhook) => ({
  id: h.id,
  url: h.url,
  status: h.status,
  createdAt: h.createdAt,
  lastDeliveredAt: h.lastDeliveredAt,
  failingSince: h.failingSince,
  lastError: h.lastError,
  nextAttemptAt: h.nextAttemptAt,
});

/** Webhooks: the sender's events POSTed to its URL as they happen, signed, in feed order. */
export function webhookRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requireSender(app, ctx);
    app.post(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'createWebhook',
          summary: 'Register a webhook; events from now on are POSTed to it',
          description:
            'Each POST holds `{ webhookId, events: [...] }` (each event as in the feed, with its receipt), in feed ' +
            'order. A non-2xx answer is retried with backoff; an event still failing after 24 hours is given up ' +
            '(listed under failures) and remains in the feed.',
          security: bearerAuth,
          body: WebhookBody,
          response: { 201: WebhookSchema, ...problems(400, 401, 422) },
        },
      },
      async (request, reply) => {
        if (!ctx.config.delivery.allowLocalHttpWebhooks) await assertPublicDestination(request.body.url);
        const hook = await createWebhook(ctx.deps, senderOf(request), request.body, {
          allowLocalHttp: ctx.config.delivery.allowLocalHttpWebhooks,
        });
        reply.header('location', `/api/v1/webhooks/${hook.id}`);
        return reply.code(201).send(present(hook));
      },
    );
    app.get(
      '/webhooks',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'listWebhooks',
          summary: 'My webhooks',
          security: bearerAuth,
          response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }), ...problems(401) },
        },
      },
      async (request) => ({ items: (await listWebhooks(ctx.deps, senderOf(request))).map(present) }),
    );
    app.get(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'getWebhook',
          summary: 'A webhook, its delivery state and the events it gave up',
          security: bearerAuth,
          params: WebhookParams,
          response: { 200: WebhookDetail, ...problems(400, 401, 404) },
        },
      },
      async (request) => {
        const hook = await getWebhook(ctx.deps, senderOf(request), request.params.id);
        return { ...present(hook), failures: hook.failures };
      },
    );
    app.delete(
      '/webhooks/:id',
      {
        schema: {
          tags: ['webhooks'],
          operationId: 'deleteWebhook',
          summary: 'Remove a webhook',
          security: bearerAuth,
          params: WebhookParams,
          response: { 204: Type.Null({ description: 'Removed' }), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await deleteWebhook(ctx.deps, senderOf(request), request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
}
