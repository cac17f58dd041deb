/**
 * What a backup of the embedded database needs of SQLite (used by `postkasse admin backup`,
 * apps/server/src/backup.ts): a consistent snapshot taken beside live writers, and a look at it.
 */
import type { Repositories } from '@postkasse/core';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { createRepositories } from './repositories/index.js';
import type { Database } from './schema/index.js';

/**
 * Writes the database at `source` as of one moment into `target` (which must be absent or an
 * empty file): `VACUUM INTO` runs in a single read transaction, so in WAL mode the server's
 * writers go on meanwhile, and the copy is compact and whole.
 */
export function snapshotSqliteDatabase(source: string, target: string): void {
  const db = new SQLite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(target);
  } finally {
    db.close();
  }
}

export type SqliteSnapshotFacts = {
  letters: number;
  documents: number;
  newestLetterAt: string | null;
};

/** What a snapshot holds, read without changing it. */
export function describeSqliteSnapshot(file: string): SqliteSnapshotFacts {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const letters = db.prepare('select count(*) as n, max(created_at) as newest from letters').get() as {
      n: number;
      newest: string | null;
    };
    const documents = db.prepare('select count(*) as n from documents').get() as { n: number };
    return {
      letters: letters.n,
      documents: documents.n,
      newestLetterAt: letters.newest,
    };
  } finally {
    db.close();
  }
}

/** The installation a database belongs to (null before its first start), read without changing it. */
export function sqliteInstallationId(file: string): string | null {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const row = db.prepare('select id from installation where slot = 1').get() as { id: string } | undefined;
    return row?.id ?? null;
  } finally {
    db.close();
  }
}

/**
 * A snapshot's repositories over a read-only connection: no migration runs and its journal mode
 * stays as it is, so checking a backup leaves it byte for byte as it was made.
 */
export function openSqliteSnapshot(file: string): { read: Repositories; close(): Promise<void> } {
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new SQLite(file, { readonly: true, fileMustExist: true }) }),
  });
  return { read: createRepositories({ db, dialect: 'sqlite' }), close: () => db.destroy() };
}
