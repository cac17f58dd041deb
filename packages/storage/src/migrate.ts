import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database, Dialect } from './schema/index.js';

/** Brings the schema up to date; fails loudly with the failing step's name. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(dialect) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (failed) throw new Error(`migration ${failed.migrationName} failed: ${String(error)}`, { cause: error });
  if (error) {
    const newer = /previously executed migration (\S+) is missing/.exec(String(error));
    if (newer) {
      throw new Error(
        `the database was brought up to date by a newer version of Postkasse (it has migration ${newer[1]}, ` +
          'which this version does not know): run that version or a later one',
        { cause: error },
      );
    }
    throw new Error(`could not bring the database's schema up to date: ${String(error)}`, { cause: error });
  }
}
