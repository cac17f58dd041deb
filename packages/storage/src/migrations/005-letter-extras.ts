import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * What a standard format carried that the letter model has no field for (MeMo actions, reply
 * data, SDP notification texts …), sealed by the platform key, so a letter can be exported in
 * its format again.
 */
export function letterExtras(dialect: Dialect) {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table letters add column extras ${sql.raw(bytes)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table letters drop column extras`.execute(db);
    },
  };
}
