import type { Repositories } from '@postkasse/core';
import { sql } from 'kysely';
import type { RepoContext } from './shared.js';

export function auditRepository({ db, dialect }: RepoContext): Repositories['audit'] {
  const txText = dialect === 'postgres' ? sql<string>`tx::text` : sql<string>`tx`;
  /** Commit order, as for the event feed: in PostgreSQL only transactions older than every running one. */
  const ordered = (desc: boolean) => {
    let q = db
      .selectFrom('audit_log')
      .select(['seq', 'mailbox_id', 'action', 'letter_id'])
      .select(txText.as('tx_text'));
    if (dialect === 'postgres') {
      q = q
        .where(sql<boolean>`tx < pg_snapshot_xmin(pg_current_snapshot())`)
        .orderBy('tx', desc ? 'desc' : 'asc')
        .orderBy('seq', desc ? 'desc' : 'asc');
    } else {
      q = q.orderBy('seq', desc ? 'desc' : 'asc');
    }
    return q;
  };
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
    async changesAfter(after, limit) {
      let q = ordered(false);
      if (after) {
        q =
          dialect === 'postgres'
            ? q.where(sql<boolean>`(tx, seq) > (${after.tx}::xid8, ${after.seq})`)
            : q.where('seq', '>', after.seq);
      }
      const rows = await q.limit(limit).execute();
      return rows.map((r) => ({
        mailboxId: r.mailbox_id,
        action: r.action,
        letterId: r.letter_id,
        cursor: { tx: r.tx_text, seq: Number(r.seq) },
      }));
    },
    async latestCursor() {
      const row = await ordered(true).limit(1).executeTakeFirst();
      return row ? { tx: row.tx_text, seq: Number(row.seq) } : null;
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
