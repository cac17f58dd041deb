import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Two indexes of letters kept only for the letters they serve. Held letters are found by their
 * recipient (`listHeld`), letters of a batch by the batch (`commitBatch`, cancelling, counts);
 * indexing every letter by recipient and status put one more page of random writes into every
 * commit for each letter delivered at once, which nothing ever looked up.
 */
export function partialLetterIndexes(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`drop index letters_recipient_status`.execute(db);
      await sql`create index letters_held on letters (recipient_type, recipient_id, created_at) where status = 'HELD'`.execute(
        db,
      );
      await sql`drop index letters_batch`.execute(db);
      await sql`create index letters_batch on letters (batch_id, status) where batch_id is not null`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop index letters_held`.execute(db);
      await sql`create index letters_recipient_status on letters (recipient_type, recipient_id, status)`.execute(db);
      await sql`drop index letters_batch`.execute(db);
      await sql`create index letters_batch on letters (batch_id, status)`.execute(db);
    },
  };
}
