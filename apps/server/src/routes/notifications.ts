/**
 * Members' choice to be notified, and the dev outbox page where notifications can be seen (never
 * in production). The letter links they carry (/inbox/...) are the web inbox's pages (web.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { escapeHtml, setMemberNotify } from '@postkasse/core';
import { Type } from '@sinclair/typebox';
import { personOf, requirePerson } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { bearerAuth, problems, Uuid } from './common.schemas.js';

/** A member of an organization's mailbox chooses whether to be notified of its new letters. */
export function memberNotificationRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);
    app.put(
      '/mailboxes/:mailboxId/notifications',
      {
        schema: {
          tags: ['recipient'],
          operationId: 'setMailboxNotifications',
          summary: "Be notified (or not) of new letters in an organization's mailbox you are a member of",
          description: 'The owner of a personal mailbox is always notified at the addresses in the register.',
          security: bearerAuth,
          params: Type.Object({ mailboxId: Uuid }),
          body: Type.Object({ notify: Type.Boolean() }, { additionalProperties: false }),
          response: { 200: Type.Object({ notify: Type.Boolean() }), ...problems(400, 401, 403, 404, 422) },
        },
      },
      async (request) => {
        await setMemberNotify(ctx.deps, personOf(request), request.params.mailboxId, request.body.notify);
        return { notify: request.body.notify };
      },
    );
  };
}

/** The dev outbox: what the embedded notifier "sent", so a newcomer sees what a citizen gets. */
export function devOutboxRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/dev/outbox.json', { schema: { hide: true } }, async () => ({
      items: await ctx.deps.store.read.outbox.list(200),
    }));
    app.get('/dev/outbox', { schema: { hide: true } }, async (_request, reply) => {
      const items = await ctx.deps.store.read.outbox.list(200);
      const rows = items
        .map(
          (m) => `<article>
  <h2>${m.channel === 'email' ? 'E-mail' : 'SMS'} to ${escapeHtml(m.recipient)} <small>${escapeHtml(m.at)}</small></h2>
  ${m.subject ? `<p><strong>${escapeHtml(m.subject)}</strong></p>` : ''}
  <pre>${escapeHtml(m.text)}</pre>
  ${m.html ? `<details><summary>HTML</summary><iframe sandbox title="HTML version" srcdoc="${escapeHtml(m.html)}"></iframe></details>` : ''}
</article>`,
        )
        .join('\n');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'")
        .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Dev outbox – Postkasse</title>
<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{white-space:pre-wrap;background:#f4f4f4;padding:1rem}iframe{width:100%;height:24rem;border:1px solid #ccc}article{border-bottom:1px solid #ddd;padding:1rem 0}</style>
</head><body><h1>Dev outbox</h1><p>E-mails and SMS this server would send (development only; newest first).</p>
${rows || '<p>Nothing sent yet.</p>'}</body></html>`);
    });
  };
}
