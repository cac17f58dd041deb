import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

/**
 * A SQLite thread's body (plain JavaScript, so it needs no TypeScript loader), with a connection
 * of its own. The store starts two: the writer thread, which runs guarded units and answers the
 * reads between its batches, and a checkpoint thread, which only runs PASSIVE checkpoints
 * (`checkpointMs`).
 *
 * The writer runs guarded units (see repositories/units.ts) with group commit:
 * the units that arrived while the last commit ran share the next transaction (one failing
 * unit rolls back alone: see runAll). `synchronous = NORMAL`: the commit
 * writes the log without syncing it, then the thread fdatasyncs the log on the thread pool,
 * coalescing syncs, and answers a unit only once its commit is on disk (FULL's guarantee) while
 * the next batch already runs. SQLite's automatic checkpoint also runs here, inside the commit
 * that crosses its threshold (NORMAL syncs the log before a checkpoint copies from it).
 *
 * The event loop's own writer connection takes its turn through `control` (shared memory):
 * [0] the main thread wants the write lock, [1] this thread is inside a transaction. This
 * thread sets [1] and then reads [0]; the main thread sets [0] and then reads [1]; so at most
 * one of them goes on. While the main thread has its turn, this thread starts no batch but
 * still answers reads (a unit of work on the event loop may read through the store).
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('synchronous = NORMAL');
// The units run here keep their integrity themselves (see runAll), so the connection runs
// without foreign keys except when a batch runs again unit by unit.
db.pragma('foreign_keys = OFF');
db.pragma('cache_size = -' + workerData.cacheKib);
db.pragma('wal_autocheckpoint = ' + workerData.autocheckpointPages);
// A unit that runs in a savepoint journals the pages it changes, which would spill to a
// temporary file past 64 KiB: two system calls a page. It stays in memory.
db.pragma('temp_store = MEMORY');
const control = new Int32Array(workerData.control);
// PASSIVE checkpoints copy committed pages into the database file without waiting for or
// blocking any writer, so the writer's own checkpoint (inside a commit) finds little left to do.
const checkpoints = workerData.checkpointMs
  ? setInterval(() => {
      try {
        db.pragma('wal_checkpoint(PASSIVE)');
      } catch (error) {
        parentPort.postMessage({ type: 'warning', message: 'SQLite checkpoint failed: ' + problem(error).message });
      }
    }, workerData.checkpointMs)
  : null;
const WANTS = 0;
const IN_TX = 1;
// Prepared statements, by their text: a unit's apart from the reads', as a unit's inserts run
// as INSERT OR FAIL (see runAll).
const statements = { read: new Map(), unit: new Map() };
function prepare(source, unit = false) {
  const cache = unit ? statements.unit : statements.read;
  let statement = cache.get(source);
  if (!statement) {
    statement = db.prepare(unit && source.startsWith('insert into ') ? 'insert or fail' + source.slice(6) : source);
    if (cache.size >= 200) cache.delete(cache.keys().next().value);
    cache.set(source, statement);
  }
  return statement;
}
const tx = {
  begin: db.prepare('begin immediate'),
  savepoint: db.prepare('savepoint unit'),
  release: db.prepare('release savepoint unit'),
  rollbackUnit: db.prepare('rollback to savepoint unit'),
  commit: db.prepare('commit'),
  rollback: db.prepare('rollback'),
};
const problem = (e) => ({ message: String((e && e.message) || e), code: e && typeof e.code === 'string' ? e.code : undefined });
// True: this thread may start a transaction. False: the main thread has its turn; batches wait
// for it to end (reads go on meanwhile).
function enter() {
  Atomics.store(control, IN_TX, 1);
  if (Atomics.load(control, WANTS) === 0) return true;
  Atomics.store(control, IN_TX, 0);
  Atomics.notify(control, IN_TX);
  return false;
}
function leave() {
  Atomics.store(control, IN_TX, 0);
  Atomics.notify(control, IN_TX);
}
// Parameters come as JSON text (cheaper to pass than many values) with the bytes in one buffer
// of their own: {"$": [offset, length]} marks where a byte value goes.
function decode(unit) {
  if (!unit.json) return unit.parameters.map((values) => values.map(asBuffer));
  const bytes = Buffer.from(unit.bytes);
  return JSON.parse(unit.json).map((values) =>
    values.map((v) => (v !== null && typeof v === 'object' ? bytes.subarray(v.$[0], v.$[0] + v.$[1]) : v)),
  );
}
function runUnit(unit) {
  const parameters = decode(unit);
  for (let i = 0; i < unit.sql.length; i++) {
    const statement = prepare(unit.sql[i], true);
    const values = parameters[i];
    const changed = statement.reader ? statement.all(values).length : statement.run(values).changes;
    if (i === 0 && changed === 0) return false;
    if (changed === 0 && statement.readonly) {
      throw Object.assign(new Error('a check of the unit of work found no row: ' + unit.sql[i]), { code: 'UNIT_CHECK_FAILED' });
    }
  }
  return true;
}
// A batch's units run one after another in one transaction, without savepoints, foreign keys
// or statement journals: a unit's atomicity comes from its batch instead. A savepoint journals a
// copy of every page its unit changes, and so does a statement journal for each statement that
// could fail halfway (any insert that checks a foreign key or a unique index), which is why
// inserts run as INSERT OR FAIL. What the foreign keys guarded the units check themselves: a
// letter's sender, mailbox and folder by a check statement (units.ts), its documents and events
// by being inserted right after it. Should a unit fail, the transaction is rolled back and the
// batch runs again with foreign keys on and each unit in a savepoint of its own, so that the
// failing one is lost alone and with the database's own error. Units are data without effects
// outside the database, so running them again is safe; a unit whose guard finds its key taken
// has written nothing and is no failure.
function runAll(units) {
  const results = [];
  for (const unit of units) {
    try {
      results.push({ id: unit.id, ok: true, value: runUnit(unit) });
    } catch {
      return null;
    }
  }
  return results;
}
function runEach(units) {
  const results = [];
  for (const unit of units) {
    tx.savepoint.run();
    try {
      const value = runUnit(unit);
      tx.release.run();
      results.push({ id: unit.id, ok: true, value });
    } catch (error) {
      tx.rollbackUnit.run();
      tx.release.run();
      results.push({ id: unit.id, ok: false, error: problem(error) });
    }
  }
  return results;
}
function rollbackQuietly() {
  try {
    if (db.inTransaction) tx.rollback.run();
  } catch {}
}
// Runs \`run\` in a transaction and commits what it answers; null, a throw or a failed commit
// roll it back, so the connection is outside a transaction when this returns.
function transaction(run) {
  tx.begin.run();
  let results;
  try {
    results = run();
    if (results !== null) tx.commit.run();
  } catch (error) {
    rollbackQuietly();
    throw error;
  }
  if (results === null) rollbackQuietly();
  return results;
}
// Outside a transaction only (inside one SQLite ignores it). Failing, the connection keeps its
// foreign keys: slower batches, still correct ones.
function foreignKeys(on) {
  try {
    db.pragma('foreign_keys = ' + (on ? 'ON' : 'OFF'));
  } catch (error) {
    parentPort.postMessage({ type: 'warning', message: 'SQLite foreign_keys pragma failed: ' + problem(error).message });
  }
}
function runBatch(units) {
  let results;
  try {
    results = transaction(() => runAll(units));
    if (results === null) {
      foreignKeys(true);
      try {
        results = transaction(() => runEach(units));
      } finally {
        foreignKeys(false);
      }
    }
  } catch (error) {
    rollbackQuietly();
    const failure = problem(error);
    results = units.map((unit) => ({ id: unit.id, ok: false, error: failure }));
  } finally {
    leave();
  }
  afterSync(results);
}
// Answers wait for the fdatasync that started after their commit. Syncs coalesce: batches that
// commit while one runs wait together for the next.
let wal = null;
let syncing = false;
let waiting = [];
function afterSync(results) {
  waiting.push(...results);
  if (!syncing) sync();
}
function sync() {
  const answers = waiting;
  waiting = [];
  syncing = true;
  wal ??= fs.openSync(workerData.file + '-wal', 'r');
  fs.fdatasync(wal, (error) => {
    syncing = false;
    const failure = error && problem(error);
    parentPort.postMessage({
      type: 'done',
      results: failure ? answers.map((a) => ({ id: a.id, ok: false, error: failure })) : answers,
    });
    if (waiting.length > 0) sync();
    else if (closing && queue.length === 0) finish();
  });
}
function finish() {
  if (checkpoints) clearInterval(checkpoints);
  if (wal !== null) fs.closeSync(wal);
  db.close();
  parentPort.close();
}
// Reads run at once, outside any transaction (a batch runs to its end before the next message
// is taken), on a page cache that the writer's own commits leave valid.
function asBuffer(v) {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}
function read(request) {
  try {
    const statement = prepare(request.sql);
    if (!statement.readonly) throw new Error('only statements that read run outside a unit of work');
    if (!statement.reader) return { id: request.id, columns: [], rows: [] };
    // Rows as arrays, the column names once: cheaper to build here and to pass than objects.
    statement.columnNames ??= statement.columns().map((c) => c.name);
    return { id: request.id, columns: statement.columnNames, rows: statement.raw(true).all(request.parameters.map(asBuffer)) };
  } catch (error) {
    return { id: request.id, error: problem(error) };
  }
}
let queue = [];
let scheduled = false;
let waitingForMain = false;
let closing = false;
function schedule() {
  if (scheduled || waitingForMain) return;
  scheduled = true;
  setImmediate(drain);
}
function waitForMain() {
  waitingForMain = true;
  const resume = () => {
    waitingForMain = false;
    schedule();
  };
  const wait = Atomics.waitAsync(control, WANTS, 1);
  if (wait.async) wait.value.then(resume);
  else resume();
}
function drain() {
  scheduled = false;
  while (queue.length > 0) {
    if (!enter()) return waitForMain();
    runBatch(queue.splice(0, workerData.maxBatch));
  }
  if (closing && !syncing) finish();
}
parentPort.on('message', (message) => {
  if (message.type === 'close') closing = true;
  else {
    if (message.units.length > 0) queue.push(...message.units);
    if (message.reads.length > 0) parentPort.postMessage({ type: 'rows', answers: message.reads.map(read) });
  }
  schedule();
});
`;

type WorkerProblem = { message: string; code?: string };
type WorkerMessage =
  | {
      type: 'done';
      results: Array<{ id: number; ok: true; value: boolean } | { id: number; ok: false; error: WorkerProblem }>;
    }
  | {
      type: 'rows';
      answers: Array<
        { id: number; columns: string[]; rows: unknown[][]; error?: undefined } | { id: number; error: WorkerProblem }
      >;
    }
  | { type: 'warning'; message: string };

export type SqliteThread = {
  /** Runs a guarded unit (see repositories/units.ts); resolves once it is committed and on disk. */
  run(unit: CompiledQuery[]): Promise<boolean>;
  /** Runs a statement that only reads, outside any transaction; byte values come back as Buffers. */
  read(sql: string, parameters: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
  /** Waits until the thread is outside a transaction and keeps it there: the event loop's turn to write. */
  pause(): Promise<void>;
  /** Ends the event loop's turn. */
  resume(): void;
  /** Runs what is queued, then stops. */
  close(): Promise<void>;
};

export type SqliteThreadOptions = {
  maxBatch: number;
  /** A thread for reads only (and checkpoints): statements that write are refused. */
  readonly?: boolean;
  /** Run a PASSIVE checkpoint this often (milliseconds); off when absent. */
  checkpointMs?: number;
  /** Said once for each distinct failure of a checkpoint. */
  onWarning?: (message: string) => void;
  /** The thread's page cache, in KiB. */
  cacheKib?: number;
  /** SQLite's automatic checkpoint threshold for the thread's commits, in pages. */
  autocheckpointPages?: number;
};

type EncodedUnit = { id: number; sql: string[] } & (
  | { json: string; bytes: ArrayBuffer }
  | { json?: undefined; parameters: unknown[][] }
);

type WorkMessage = {
  type: 'work';
  reads: Array<{ id: number; sql: string; parameters: readonly unknown[] }>;
  units: EncodedUnit[];
};

/**
 * A unit as the thread takes it. Cloning a message of many small values costs the event loop
 * more than writing them as one JSON string; byte values go in one buffer that is handed over,
 * not copied. Values JSON cannot carry exactly (bigints, NaN, infinities) go as they are.
 */
function encodeUnit(id: number, unit: CompiledQuery[]): { message: EncodedUnit; transfer: ArrayBuffer[] } {
  const sql = unit.map((s) => s.sql);
  let size = 0;
  let plain = true;
  for (const s of unit) {
    for (const v of s.parameters) {
      if (v instanceof Uint8Array) size += v.byteLength;
      else if (typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v))) plain = false;
    }
  }
  if (!plain) return { message: { id, sql, parameters: unit.map((s) => [...s.parameters]) }, transfer: [] };
  const bytes = new Uint8Array(size);
  let offset = 0;
  const json = JSON.stringify(
    unit.map((s) =>
      s.parameters.map((v) => {
        if (!(v instanceof Uint8Array)) return v;
        bytes.set(v, offset);
        offset += v.byteLength;
        return { $: [offset - v.byteLength, v.byteLength] };
      }),
    ),
  );
  return { message: { id, sql, json, bytes: bytes.buffer }, transfer: [bytes.buffer] };
}

function toError(problem: WorkerProblem): Error {
  return Object.assign(new Error(problem.message), problem.code ? { code: problem.code } : {});
}

/**
 * Rows as the event loop's own connection gives them: objects by column name (a later column of
 * the same name wins, as there), byte values as Buffers rather than bare Uint8Arrays. The thread
 * sends arrays and the names once: building and passing objects cost it more than this costs here
 * (bench/ingest, A/B within one run: 1.029 ±0.014 and 1.039 ±0.012).
 */
function asObjects(columns: string[], rows: unknown[][]): Array<Record<string, unknown>> {
  const out = new Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r] as unknown[];
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) {
      const v = values[i];
      row[columns[i] as string] =
        v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
    }
    out[r] = row;
  }
  return out;
}

/**
 * Starts the SQLite thread. It runs, off the event loop, the inserts every letter sent runs (its
 * row, its blob, its documents and events) with their commit and fsync, and the store's reads
 * (on a connection whose page cache stays valid: a read-only connection beside a busy writer
 * must drop its cache at every commit). Only units described as data are written there; every
 * other unit of work runs on the event loop's own writer connection, which takes its turn with
 * `pause` and `resume`.
 */
export function startSqliteThread(file: string, options: SqliteThreadOptions): SqliteThread {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      file,
      driver,
      control: control.buffer,
      readonly: options.readonly ?? false,
      checkpointMs: options.checkpointMs ?? 0,
      maxBatch: options.maxBatch,
      cacheKib: options.cacheKib ?? 4096,
      autocheckpointPages: options.autocheckpointPages ?? 1000,
    },
    // It keeps statements and what is in flight (whose bytes live outside the heap).
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
  });
  type Waiter = { resolve: (value: never) => void; reject: (error: Error) => void };
  const pending = new Map<number, Waiter>();
  let nextId = 1;
  let failure: Error | null = null;
  // Referenced only while something is in flight: an idle thread must not keep a process alive.
  worker.unref();
  const settled = (id: number) => {
    const waiter = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return waiter;
  };
  let lastWarning: string | null = null;
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'warning') {
      if (message.message !== lastWarning) options.onWarning?.(message.message);
      lastWarning = message.message;
      return;
    }
    if (message.type === 'rows') {
      for (const answer of message.answers) {
        const waiter = settled(answer.id);
        if (answer.error) waiter?.reject(toError(answer.error));
        else waiter?.resolve(asObjects(answer.columns, answer.rows) as never);
      }
      return;
    }
    for (const result of message.results) {
      const waiter = settled(result.id);
      if (result.ok) waiter?.resolve(result.value as never);
      else waiter?.reject(toError(result.error));
    }
  });
  const failAll = (error: Error) => {
    failure ??= error;
    for (const id of [...pending.keys()]) settled(id)?.reject(error);
  };
  worker.on('error', failAll);
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      failAll(new Error(`the SQLite thread stopped (exit ${code})`));
      resolve();
    }),
  );
  // What is asked in one turn of the event loop (the lookups and inserts of every request it
  // handled) goes as one message, sent when the turn's I/O is done (setImmediate): each message
  // costs the event loop a serialization, and waking a sleeping thread costs about 20 µs of
  // system calls on a virtual machine. Flushing once a turn instead of once a tick took the
  // server's CPU per letter from 1.8 to 1.25 ms (bench/ingest).
  let outbox: WorkMessage = { type: 'work', reads: [], units: [] };
  let transfers: ArrayBuffer[] = [];
  const flush = () => {
    if (outbox.reads.length === 0 && outbox.units.length === 0) return;
    const message = outbox;
    const transfer = transfers;
    outbox = { type: 'work', reads: [], units: [] };
    transfers = [];
    worker.postMessage(message, transfer);
  };
  function request<T>(send: (id: number) => void): Promise<T> {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve: resolve as (value: never) => void, reject });
      if (outbox.reads.length === 0 && outbox.units.length === 0) setImmediate(flush);
      send(id);
    });
  }

  return {
    run(unit) {
      return request<boolean>((id) => {
        const { message, transfer } = encodeUnit(id, unit);
        outbox.units.push(message);
        transfers.push(...transfer);
      });
    },
    read(sql, parameters) {
      return request((id) => {
        outbox.reads.push({ id, sql, parameters });
      });
    },
    async pause() {
      Atomics.store(control, 0, 1);
      // A thread that died inside a transaction never says it left: stop waiting for it then
      // (its connection is gone; SQLite's own lock decides).
      while (Atomics.load(control, 1) === 1 && !failure) {
        const wait = Atomics.waitAsync(control, 1, 1, 1000);
        if (wait.async) await wait.value;
      }
    },
    resume() {
      Atomics.store(control, 0, 0);
      Atomics.notify(control, 0);
    },
    async close() {
      // Referenced even when the thread has failed: an unreferenced worker's exit is not waited
      // for, and a process with nothing else to do would end inside this await, saying nothing.
      worker.ref();
      if (!failure) {
        flush();
        worker.postMessage({ type: 'close' });
      }
      await exited;
    },
  };
}

/** A Kysely dialect whose queries are the thread's reads (no transactions: those are the writers'). */
export class SqliteThreadReadDialect implements Dialect {
  constructor(private readonly thread: Pick<SqliteThread, 'read'>) {}
  createAdapter() {
    return new SqliteAdapter();
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
  createDriver(): Driver {
    const refuse = async (): Promise<never> => {
      throw new Error('transactions run on the writers (Store.write), not on the read connection');
    };
    const connection: DatabaseConnection = {
      executeQuery: async <R>(query: CompiledQuery) => ({
        rows: (await this.thread.read(query.sql, query.parameters)) as R[],
      }),
      streamQuery: () => {
        throw new Error('streaming is not supported on the read connection');
      },
    };
    return {
      init: async () => undefined,
      acquireConnection: async () => connection,
      beginTransaction: refuse,
      commitTransaction: refuse,
      rollbackTransaction: refuse,
      releaseConnection: async () => undefined,
      destroy: async () => undefined,
    };
  }
}
