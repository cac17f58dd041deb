import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * A letter's subject, sender reference and print details, and a document's title and file name,
 * sealed for the letter's keyholder (see packages/core/src/letter-meta.ts); the plain columns are
 * then left empty. Rows written before are sealed by the server when it starts (they need the
 * keys, which a migration does not have) and are read as they are until then.
 */
export function sealedMetadata(dialect: Dialect) {
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table letters add column sealed_meta ${sql.raw(bytes)}`.execute(db);
      await sql`alter table documents add column sealed_meta ${sql.raw(bytes)}`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table letters drop column sealed_meta`.execute(db);
      await sql`alter table documents drop column sealed_meta`.execute(db);
    },
  };
}
