import type { ReceiptSigner, Repositories, Store } from '@postkasse/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type pg from 'pg';
import { migrateToLatest } from './migrate.js';
import { nameRepeatedStatements } from './pg-statements.js';
import { createRepositories } from './repositories/index.js';
import { LETTER_ID_TAKEN } from './repositories/letters.js';
import { blobUnit, letterStatement, runGuarded } from './repositories/units.js';
import type { Database } from './schema/index.js';

const TIMESTAMPTZ = 1184;
const INT8 = 20;

/** Timestamps come back as ISO-8601 text, as in SQLite; bigints as numbers (ids stay < 2^53). */
const typesOf = (driver: typeof pg) => ({
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ) return (v: string) => new Date(v).toISOString();
    if (oid === INT8) return (v: string) => Number(v);
    return driver.types.getTypeParser(oid, format);
  },
});

const isUniqueViolation = (error: unknown, constraint: string) =>
  typeof error === 'object' &&
  error !== null &&
  (error as { code?: unknown }).code === '23505' &&
  (error as { constraint?: unknown }).constraint === constraint;

/** PostgreSQL: a connection pool; every unit of work is its own transaction. */
export async function openPostgresStore(
  connectionString: string,
  options: {
    poolSize?: number;
    /** How long to wait for a connection before a query fails; default 10 s. */
    connectTimeoutMs?: number;
    onConnectionError?: (error: Error) => void;
    /** Repeated statements as named prepared statements (see pg-statements.ts); default on. */
    preparedStatements?: boolean;
    /** Signs the receipts of events written without one (see events.append). */
    receipts?: ReceiptSigner;
  } = {},
): Promise<Store> {
  // The driver loads only when PostgreSQL is used: the embedded default never needs it.
  const { default: driver } = await import('pg');
  const pool = new driver.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    types: typesOf(driver),
    // A server that takes the connection but never answers (a firewall dropping packets, a
    // failover half done) fails the request after this, instead of holding it, and the start, for ever.
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle connection the server closes (a restart, a failover, an administrator) must not take
  // the process down: pg drops that client and the next query opens a fresh one.
  pool.on('error', (error) => options.onConnectionError?.(error));
  if (options.preparedStatements ?? true) nameRepeatedStatements(pool, { max: 200 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db, 'postgres');
  const readRepos = createRepositories({ db, dialect: 'postgres' });
  return {
    dialect: 'postgres',
    read: readRepos,
    write<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
      return db
        .transaction()
        .execute((trx) => work(createRepositories({ db: trx, dialect: 'postgres', receipts: options.receipts })));
    },
    insert: {
      // One statement, one round trip (not BEGIN, an insert a table and COMMIT): see letterStatement.
      async letter(unit) {
        try {
          await db.executeQuery(letterStatement({ db, dialect: 'postgres' }, unit));
          return true;
        } catch (error) {
          if (isUniqueViolation(error, LETTER_ID_TAKEN)) return false;
          throw error;
        }
      },
      blob: (key, data, createdAt) => runGuarded(db, blobUnit({ db, dialect: 'postgres' }, key, data, createdAt)),
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async serverTime() {
      // clock_timestamp(), not now(): the time of this call, not of a transaction's start.
      const { rows } = await sql<{
        ms: string;
      }>`select (extract(epoch from clock_timestamp()) * 1000)::text as ms`.execute(db);
      return new Date(Number(rows[0]?.ms));
    },
    async close() {
      await db.destroy();
    },
  };
}
