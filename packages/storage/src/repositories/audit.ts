import type { Repositories } from '@postkasse/core';
import type { RepoContext } from './shared.js';

export function auditRepository({ db }: RepoContext): Repositories['audit'] {
  return {
    async append(e) {
      await db
        .insertInto('audit_log')
        .values({
          id: e.id,
          mailbox_id: e.mailboxId,
          actor_national_id: e.actorNationalId,
          actor_role: e.actorRole,
          action: e.action,
          letter_id: e.letterId,
          details: JSON.stringify(e.details),
          at: e.at,
        })
        .execute();
    },
    async listByMailbox(mailboxId, limit) {
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .orderBy('seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        mailboxId: r.mailbox_id,
        actorNationalId: r.actor_national_id,
        actorRole: r.actor_role,
        action: r.action,
        letterId: r.letter_id,
        details: JSON.parse(r.details) as Record<string, unknown>,
        at: r.at,
      }));
    },
  };
}
