import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Each event keeps the receipt signed when it was written. Receipts used to be signed whenever an
 * event was read, from its row: a changed row then got a new, valid receipt. Events from before
 * keep none and are signed when read, as before.
 */
export function storedReceipts(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table events add column receipt text`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table events drop column receipt`.execute(db);
    },
  };
}
