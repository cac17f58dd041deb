import { type Kysely, sql } from 'kysely';
import { CHAIN_START, chainHash } from '../audit-chain.js';
import { auditContent, toAuditEntry } from '../repositories/audit.js';
import type { Dialect } from '../schema/index.js';
import { dropAppendOnly, makeAppendOnly } from './append-only.js';

/**
 * The audit log becomes tamper-evident and gets a sibling: each mailbox's entries form a hash chain
 * (`prev_hash`, `hash`; the entries already there are chained in their order), a new
 * `register_log` keeps every change of a person's register record and consents as a chain per
 * person, and both tables refuse UPDATE and DELETE.
 */
export function auditChains(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table audit_log add column prev_hash text not null default ''`.execute(db);
      await sql`alter table audit_log add column hash text not null default ''`.execute(db);
      // Chain what is there, a mailbox at a time in the order it was written.
      const heads = new Map<string, string>();
      const rows = await sql<Parameters<typeof toAuditEntry>[0]>`select seq, id, mailbox_id, actor_national_id,
        actor_role, action, letter_id, details, prev_hash, hash, ${
          dialect === 'postgres' ? sql`to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')` : sql`at`
        } as at from audit_log order by seq`.execute(db);
      for (const row of rows.rows) {
        const entry = toAuditEntry(row);
        const prev = heads.get(entry.mailboxId) ?? CHAIN_START;
        const hash = chainHash(prev, auditContent(entry));
        await sql`update audit_log set prev_hash = ${prev}, hash = ${hash} where seq = ${entry.seq}`.execute(db);
        heads.set(entry.mailboxId, hash);
      }

      let log = db.schema.createTable('register_log');
      log =
        dialect === 'postgres'
          ? log.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
          : log.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
      await log
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('national_id', 'text', (c) => c.notNull())
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('at', sql.raw(ts), (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('register_log_person').on('register_log').columns(['national_id', 'seq']).execute();

      await makeAppendOnly(db, dialect, ['audit_log', 'register_log']);
    },
    async down(db: Kysely<unknown>) {
      await dropAppendOnly(db, dialect, ['audit_log']);
      if (dialect === 'postgres') await sql`drop function append_only cascade`.execute(db);
      await db.schema.dropTable('register_log').execute();
      await sql`alter table audit_log drop column hash`.execute(db);
      await sql`alter table audit_log drop column prev_hash`.execute(db);
    },
  };
}
