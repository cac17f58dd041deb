import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * A letter's reply-by time (not content: shown before the reader logs in at the letter's level)
 * and its actions (pay, appointment, links …), which are content and kept sealed by the platform
 * key like the extras.
 */
export function letterActions(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table letters add column reply_by ${sql.raw(ts)}`.execute(db);
      await sql`alter table letters add column actions ${sql.raw(bytes)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table letters drop column actions`.execute(db);
      await sql`alter table letters drop column reply_by`.execute(db);
    },
  };
}
