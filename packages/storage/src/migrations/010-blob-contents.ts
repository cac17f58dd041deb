import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Small blobs in the database: a letter's sealed PDF commits with the group of letters it arrived
 * with (one sync of the log for all of them) instead of as a file of its own, which costs a file
 * creation and a journal commit per letter. Larger blobs stay files.
 */
export function blobContents(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await sql`create table blob_contents (key text primary key, created_at ${sql.raw(ts)} not null, data ${sql.raw(bytes)} not null)`.execute(
        db,
      );
      await sql`create index blob_contents_created on blob_contents (created_at)`.execute(db);
      // Sealed bytes do not compress: PostgreSQL need not try (TOAST without compression).
      if (dialect === 'postgres')
        await sql`alter table blob_contents alter column data set storage external`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table blob_contents`.execute(db);
    },
  };
}
