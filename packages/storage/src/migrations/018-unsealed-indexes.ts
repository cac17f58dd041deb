import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * What the server seals when it starts (packages/core/src/letter-meta.ts, sealPlainMetadata) is
 * found through partial indexes, so a start reads only such rows, not every letter and document.
 * Rows written now are sealed as they are written and never enter them; after the first start of
 * a version that seals them, the indexes are empty.
 */
export function unsealedIndexes(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`create index letters_unsealed on letters (id) where sealed_meta is null`.execute(db);
      await sql`create index documents_unsealed on documents (id) where sealed_meta is null`.execute(db);
      await sql`create index letters_platform_sealed on letters (id) where actions is not null or extras is not null`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      for (const index of ['letters_unsealed', 'documents_unsealed', 'letters_platform_sealed']) {
        await sql`drop index ${sql.raw(index)}`.execute(db);
      }
    },
  };
}
