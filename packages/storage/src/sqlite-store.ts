import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { NewLetterUnit, ReceiptSigner, Repositories, Store } from '@postkasse/core';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { migrateToLatest } from './migrate.js';
import { createRepositories } from './repositories/index.js';
import { blobUnit, type GuardedUnit, letterUnit, runGuarded } from './repositories/units.js';
import type { Database } from './schema/index.js';
import { SqliteThreadReadDialect, startSqliteThread } from './sqlite-thread.js';

type Unit = {
  work: (repos: Repositories) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
};

export type SqliteStoreOptions = {
  /** At most this many units of work share one commit. */
  maxBatch?: number;
  /**
   * Run the reads, and the inserts of new letters and blobs with their commits and fsyncs, on a
   * thread of their own (the default). Without it everything runs on the event loop: the writes
   * on its writer connection, the reads on a read-only connection.
   */
  thread?: boolean;
  /** Signs the receipts of events written without one (see events.append). */
  receipts?: ReceiptSigner;
  /** Told once for each distinct failure of a background checkpoint; Node's warnings by default. */
  onWarning?: (message: string) => void;
};

/**
 * Kysely prepares every statement anew; preparing costs as much as running a small insert. The
 * statements a server runs are few and repeat, so each connection keeps the prepared ones.
 */
function cachePreparedStatements(conn: SQLite.Database, max = 500): void {
  const prepare = conn.prepare.bind(conn);
  const cache = new Map<string, SQLite.Statement>();
  conn.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (!statement) {
      statement = prepare(source);
      if (cache.size >= max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      cache.set(source, statement);
    }
    return statement;
  }) as typeof conn.prepare;
}

function openConnection(file: string, readonly: boolean, autocheckpoint = true): SQLite.Database {
  const conn = new SQLite(file, { readonly, fileMustExist: readonly });
  cachePreparedStatements(conn);
  conn.pragma('busy_timeout = 10000');
  if (!readonly) {
    // 8 KiB pages (a new database only; an existing one keeps its size): a letter's 28 KB PDF
    // is four overflow pages instead of seven, and every page committed costs two writes to the
    // WAL (frame header and page). Measured 10-15 % more letters/s than 4 KiB (bench/ingest).
    conn.pragma('page_size = 8192');
    conn.pragma('journal_mode = WAL');
    // NORMAL: a commit does not fsync on the event loop; the store fsyncs the WAL itself on the
    // thread pool (see walSyncer) and resolves a unit of work only after that. Together that is
    // FULL's guarantee (an acknowledged commit survives power loss) without blocking the server.
    conn.pragma('synchronous = NORMAL');
    conn.pragma('foreign_keys = ON');
    // Savepoint journals (one per unit of work in a batch) stay in memory, not in a temporary file.
    conn.pragma('temp_store = MEMORY');
    // With a writer thread, SQLite's automatic checkpoint (copying megabytes into the database
    // file and fsyncing it inside a commit) runs only there, never on the event loop.
    if (!autocheckpoint) conn.pragma('wal_autocheckpoint = 0');
  }
  return conn;
}

/**
 * Makes committed WAL frames durable with fdatasync on the thread pool. Calls coalesce: a call
 * made while a sync runs waits for the next sync, which covers every commit made before it.
 */
function walSyncer(walFile: string) {
  let handle: Awaited<ReturnType<typeof open>> | null = null;
  let current: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const syncOnce = async () => {
    handle ??= await open(walFile, 'r');
    await handle.datasync();
  };
  function sync(): Promise<void> {
    if (!current) {
      current = syncOnce().finally(() => {
        current = null;
      });
      return current;
    }
    next ??= current
      .catch(() => undefined)
      .then(() => {
        next = null;
        return sync();
      });
    return next;
  }
  return {
    sync,
    async close() {
      await current?.catch(() => undefined);
      await handle?.close();
      handle = null;
    },
  };
}

/**
 * SQLite in WAL mode: a thread with a connection of its own for the reads and for the inserts
 * every letter sent runs (units described as data: see sqlite-thread.ts), and a writer
 * connection on the event loop for every other unit of work. Writes are group-committed on both
 * writers: units of work that arrive while a commit is in progress are run together in the next
 * transaction, each inside its own savepoint, so one failing unit rolls back alone and many
 * letters share one fsync. The two writers take turns (the event loop's asks the thread to pause
 * between batches), so neither ever waits on SQLite's lock.
 */
export async function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Promise<Store> {
  // A new database is this user's alone (0600), and so are the log and shared-memory files SQLite
  // makes beside it, which take the database file's permissions: it names who got letters from whom.
  closeSync(openSync(file, 'a', 0o600));
  const maxBatch = options.maxBatch ?? 200;
  const useThread = options.thread ?? true;
  const writerConnection = openConnection(file, false, !useThread);
  const writer = new Kysely<Database>({ dialect: new SqliteDialect({ database: writerConnection }) });
  await migrateToLatest(writer, 'sqlite');
  // The writer's own automatic checkpoint stays as a safety net at 10,000 pages (about 40 MB):
  // under a steady load PASSIVE checkpoints cannot let the log start over, and this one then
  // finds nearly every page copied already.
  const thread = useThread ? startSqliteThread(file, { maxBatch, autocheckpointPages: 10_000 }) : null;
  // A second thread runs PASSIVE checkpoints, so a commit seldom has pages left to copy into the
  // database file. The reads go to the writer thread, between its batches: its page cache stays
  // valid (it made the changes), where a reader's beside it is emptied at every commit, and what
  // one turn of the event loop asks of it (lookups and inserts) goes as one message.
  const checkpointThread = useThread
    ? startSqliteThread(file, {
        maxBatch,
        readonly: true,
        cacheKib: 512,
        checkpointMs: 100,
        onWarning: options.onWarning ?? ((message) => process.emitWarning(message)),
      })
    : null;
  const reader = new Kysely<Database>({
    dialect: thread ? new SqliteThreadReadDialect(thread) : new SqliteDialect({ database: openConnection(file, true) }),
  });
  const readRepos = createRepositories({ db: reader, dialect: 'sqlite' });

  const queue: Unit[] = [];
  let running = false;
  let closed = false;

  // Only the batch loop uses the writer connection after migration, so the transaction can be
  // driven with plain statements. BEGIN IMMEDIATE takes the write lock up front: another process
  // on the same file (an admin command) then waits for it instead of failing with SQLITE_BUSY.
  const writeRepos = createRepositories({ db: writer, dialect: 'sqlite', receipts: options.receipts });

  const wal = walSyncer(`${file}-wal`);
  const writeCtx = { db: writer, dialect: 'sqlite' as const };

  // The transaction's own statements go straight to the connection (prepared once): they run
  // for every unit of work, and only this loop uses the writer between its awaits.
  const tx = {
    begin: writerConnection.prepare('begin immediate'),
    savepoint: writerConnection.prepare('savepoint unit'),
    release: writerConnection.prepare('release savepoint unit'),
    rollbackUnit: writerConnection.prepare('rollback to savepoint unit'),
    commit: writerConnection.prepare('commit'),
    rollback: writerConnection.prepare('rollback'),
  };

  async function runBatch(units: Unit[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    await thread?.pause();
    try {
      tx.begin.run();
      for (const unit of units) {
        tx.savepoint.run();
        try {
          const value = await unit.work(writeRepos);
          tx.release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          tx.rollbackUnit.run();
          tx.release.run();
          outcomes.push({ ok: false, error });
        }
      }
      tx.commit.run();
    } catch (error) {
      try {
        if (writerConnection.inTransaction) tx.rollback.run();
      } catch {
        // the transaction is gone already
      }
      for (const unit of units) unit.reject(error);
      return;
    } finally {
      thread?.resume();
    }
    // The next batch may run while this one's WAL frames are being synced.
    void wal.sync().then(
      () => settle(units, outcomes),
      (error: unknown) => {
        for (const unit of units) unit.reject(error);
      },
    );
  }

  function settle(units: Unit[], outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>) {
    units.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) unit.resolve(outcome.value);
      else unit.reject(outcome?.error);
    });
  }

  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, maxBatch));
    } finally {
      running = false;
    }
  }

  function write<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new Error('the store is closed'));
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // Let the requests already in flight join this commit before it starts.
      if (!running) setImmediate(() => void drain());
    });
  }

  /** A guarded unit: on the writer thread, or as an ordinary unit of work without one. */
  function runUnit(unit: GuardedUnit): Promise<boolean> {
    if (closed) return Promise.reject(new Error('the store is closed'));
    return thread ? thread.run(unit) : write(() => runGuarded(writer, unit));
  }

  return {
    dialect: 'sqlite',
    read: readRepos,
    write,
    insert: {
      letter: (unit: NewLetterUnit) => runUnit(letterUnit(writeCtx, unit, { checkParents: thread !== null })),
      blob: (key: string, data: Uint8Array, createdAt: string) => runUnit(blobUnit(writeCtx, key, data, createdAt)),
    },
    async ping() {
      await sql`select 1`.execute(reader);
    },
    // SQLite reads this machine's clock: nothing to compare.
    serverTime: async () => null,
    async close() {
      closed = true;
      while (running || queue.length > 0) await new Promise((r) => setTimeout(r, 5));
      await thread?.close();
      await checkpointThread?.close();
      await wal.sync();
      await wal.close();
      await reader.destroy();
      await writer.destroy();
    },
  };
}
