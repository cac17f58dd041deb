import type { AuditEntry, ChainCheck, Chained, RegisterLogEntry, Repositories } from '@postkasse/core';
import { type Selectable, sql } from 'kysely';
import { CHAIN_START, type ChainRow, chainHash, firstBreak } from '../audit-chain.js';
import type { AuditRow, RegisterLogRow } from '../schema/audit.js';
import type { RepoContext } from './shared.js';

/** What an entry's hash covers: everything it says (its place in the table is not content). */
export const auditContent = (e: AuditEntry): Record<string, unknown> => ({
  id: e.id,
  mailboxId: e.mailboxId,
  actorNationalId: e.actorNationalId,
  actorRole: e.actorRole,
  action: e.action,
  letterId: e.letterId,
  details: e.details,
  at: e.at,
});
const registerContent = (e: RegisterLogEntry): Record<string, unknown> => ({
  id: e.id,
  nationalId: e.nationalId,
  actorType: e.actorType,
  actorId: e.actorId,
  action: e.action,
  details: e.details,
  at: e.at,
});

/** An audit row as read (the migration that chains existing rows reads them without `tx`). */
export type AuditDbRow = Omit<Selectable<AuditRow>, 'tx'>;
export const toAuditEntry = (r: AuditDbRow): Chained<AuditEntry> => ({
  seq: Number(r.seq),
  id: r.id,
  mailboxId: r.mailbox_id,
  actorNationalId: r.actor_national_id,
  actorRole: r.actor_role,
  action: r.action,
  letterId: r.letter_id,
  details: JSON.parse(r.details) as Record<string, unknown>,
  at: r.at,
  prevHash: r.prev_hash,
  hash: r.hash,
});

type RegisterDbRow = Selectable<RegisterLogRow>;
const toRegisterEntry = (r: RegisterDbRow): Chained<RegisterLogEntry> => ({
  seq: Number(r.seq),
  id: r.id,
  nationalId: r.national_id,
  actorType: r.actor_type as RegisterLogEntry['actorType'],
  actorId: r.actor_id,
  action: r.action,
  details: JSON.parse(r.details) as Record<string, unknown>,
  at: r.at,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * Recomputes chains from a table read in (chain, seq) order a page at a time, so a country's log
 * is checked with one chain in memory.
 */
async function verifyChains(
  page: (after: { chain: string; seq: number } | null, limit: number) => Promise<Array<ChainRow & { chain: string }>>,
): Promise<ChainCheck> {
  const check: ChainCheck = { chains: 0, entries: 0, broken: [] };
  let chain: string | null = null;
  let prev = CHAIN_START;
  let brokenChain: string | null = null;
  let after: { chain: string; seq: number } | null = null;
  for (;;) {
    const rows = await page(after, 1000);
    for (const row of rows) {
      check.entries += 1;
      if (row.chain !== chain) {
        chain = row.chain;
        prev = CHAIN_START;
        check.chains += 1;
      }
      if (brokenChain !== chain) {
        const broken = firstBreak([row], prev);
        if (broken) {
          check.broken.push({ chain, ...broken });
          brokenChain = chain;
        }
      }
      prev = row.hash;
    }
    const last = rows.at(-1);
    if (!last || rows.length < 1000) return check;
    after = { chain: last.chain, seq: last.seq };
  }
}

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
      // The chain's head, read in the unit of work that appends to it. PostgreSQL runs units side
      // by side, so the mailbox's row is locked first: two appends to one mailbox take turns (SQLite
      // writes one unit at a time anyway).
      if (dialect === 'postgres') await sql`select 1 from mailboxes where id = ${e.mailboxId} for update`.execute(db);
      const head = await db
        .selectFrom('audit_log')
        .select('hash')
        .where('mailbox_id', '=', e.mailboxId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const prevHash = head?.hash ?? CHAIN_START;
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
          prev_hash: prevHash,
          hash: chainHash(prevHash, auditContent(e)),
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
    async listByMailbox(mailboxId, limit, beforeSeq) {
      let q = db.selectFrom('audit_log').selectAll().where('mailbox_id', '=', mailboxId);
      if (beforeSeq != null) q = q.where('seq', '<', beforeSeq);
      const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
      return rows.map(toAuditEntry);
    },
    async verify(mailboxId) {
      return verifyChains(async (after, limit) => {
        let q = db.selectFrom('audit_log').selectAll();
        if (mailboxId !== undefined) q = q.where('mailbox_id', '=', mailboxId);
        if (after) {
          q = q.where((eb) =>
            eb.or([
              eb('mailbox_id', '>', after.chain),
              eb.and([eb('mailbox_id', '=', after.chain), eb('seq', '>', after.seq)]),
            ]),
          );
        }
        const rows = await q.orderBy('mailbox_id').orderBy('seq').limit(limit).execute();
        return rows.map((r) => {
          const e = toAuditEntry(r);
          return { chain: e.mailboxId, seq: e.seq, prevHash: e.prevHash, hash: e.hash, content: auditContent(e) };
        });
      });
    },
  };
}

export function registerLogRepository({ db, dialect }: RepoContext): Repositories['registerLog'] {
  return {
    async append(e) {
      if (dialect === 'postgres') {
        await sql`select 1 from persons where national_id = ${e.nationalId} for update`.execute(db);
      }
      const head = await db
        .selectFrom('register_log')
        .select('hash')
        .where('national_id', '=', e.nationalId)
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const prevHash = head?.hash ?? CHAIN_START;
      await db
        .insertInto('register_log')
        .values({
          id: e.id,
          national_id: e.nationalId,
          actor_type: e.actorType,
          actor_id: e.actorId,
          action: e.action,
          details: JSON.stringify(e.details),
          at: e.at,
          prev_hash: prevHash,
          hash: chainHash(prevHash, registerContent(e)),
        })
        .execute();
    },
    async listByPerson(nationalId, limit, beforeSeq) {
      let q = db.selectFrom('register_log').selectAll().where('national_id', '=', nationalId);
      if (beforeSeq != null) q = q.where('seq', '<', beforeSeq);
      const rows = await q.orderBy('seq', 'desc').limit(limit).execute();
      return rows.map(toRegisterEntry);
    },
    async verify(nationalId) {
      return verifyChains(async (after, limit) => {
        let q = db.selectFrom('register_log').selectAll();
        if (nationalId !== undefined) q = q.where('national_id', '=', nationalId);
        if (after) {
          q = q.where((eb) =>
            eb.or([
              eb('national_id', '>', after.chain),
              eb.and([eb('national_id', '=', after.chain), eb('seq', '>', after.seq)]),
            ]),
          );
        }
        const rows = await q.orderBy('national_id').orderBy('seq').limit(limit).execute();
        return rows.map((r) => {
          const e = toRegisterEntry(r);
          return { chain: e.nationalId, seq: e.seq, prevHash: e.prevHash, hash: e.hash, content: registerContent(e) };
        });
      });
    },
  };
}
