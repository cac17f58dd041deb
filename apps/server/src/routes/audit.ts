import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listMailboxAudit, listOwnRegisterHistory } from '@postkasse/core';
import { personOf, requirePerson } from '../authenticate.js';
import type { AppContext } from '../context.js';
import { AuditPageSchema, LogQuery, RegisterLogPageSchema } from './audit.schemas.js';
import { bearerAuth, problems } from './common.schemas.js';
import { MailboxParams } from './mailboxes.schemas.js';

/**
 * The logs kept for people: a mailbox's audit log (who read, moved, deleted or granted what) for
 * its owner or an organization's administrators, and a person's own register history. Both are
 * hash chains; each entry carries its link (`prevHash`, `hash`), so a copy can be checked later.
 */
export function auditRoutes(ctx: AppContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    requirePerson(app, ctx);

    app.get(
      '/mailboxes/:mailboxId/audit',
      {
        schema: {
          tags: ['access'],
          operationId: 'listMailboxAudit',
          summary: "Who did what in my mailbox, newest first (the owner or an organization's administrators)",
          description:
            'Every opened document, change and grant, and every look at a letter by someone other than the ' +
            'owner. Delegates and members who are not administrators are refused (403).',
          security: bearerAuth,
          params: MailboxParams,
          querystring: LogQuery,
          response: { 200: AuditPageSchema, ...problems(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { cursor, limit = 50 } = request.query;
        return listMailboxAudit(ctx.deps, personOf(request), request.params.mailboxId, { cursor, limit });
      },
    );

    app.get(
      '/me/register/history',
      {
        schema: {
          tags: ['register'],
          operationId: 'listMyRegisterHistory',
          summary: 'Every change of my register record and consents, newest first',
          description:
            'Who changed what and when (you, the operator, a sender recording your consent). Contact details ' +
            'themselves are not in the history, only which of them changed.',
          security: bearerAuth,
          querystring: LogQuery,
          response: { 200: RegisterLogPageSchema, ...problems(400, 401, 403) },
        },
      },
      async (request) => {
        const { cursor, limit = 50 } = request.query;
        return listOwnRegisterHistory(ctx.deps, personOf(request), { cursor, limit });
      },
    );
  };
}
