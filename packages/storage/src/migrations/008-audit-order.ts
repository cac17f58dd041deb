import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * The mailbox audit log becomes a change feed for live updates: in PostgreSQL each entry records
 * its transaction, so readers see entries in commit order (as the event feed does).
 */
export function auditOrder(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      if (dialect === 'postgres') {
        await sql`alter table audit_log add column tx xid8 not null default pg_current_xact_id()`.execute(db);
        await db.schema.createIndex('audit_log_order').on('audit_log').columns(['tx', 'seq']).execute();
      } else {
        await sql`alter table audit_log add column tx text not null default '0'`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table audit_log drop column tx`.execute(db);
    },
  };
}
