import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database, Dialect } from './schema/index.js';

/** Brings the schema up to date; fails loudly with the failing step's name. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
