import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * The checkpointer's body, run in a worker thread of its own (plain JavaScript, so it needs no
 * TypeScript loader): a connection of its own that copies committed WAL frames into the database
 * file with PASSIVE checkpoints, which never wait for or block the writer or the readers.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -512');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export type Checkpointer = { close(): Promise<void> };

/**
 * Checkpoints off the event loop. SQLite's own automatic checkpoint runs inside the commit that
 * crosses its threshold, on the writer's thread: it copies megabytes into the database file and
 * fsyncs it while every request waits. With this running, the writer's automatic checkpoint
 * stays, at a much higher threshold (see openSqliteStore), to let the log start over: it then
 * finds nearly every page copied already.
 */
export function startCheckpointer(
  file: string,
  options: { intervalMs?: number; onError?: (message: string) => void } = {},
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { file, driver, intervalMs: options.intervalMs ?? 100 },
    // It holds a few objects: a small heap keeps the thread's memory small too.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  let lastError: string | null = null;
  worker.on('message', (m: { error?: string }) => {
    // Say each distinct failure once (a busy database is retried on the next tick anyway).
    if (m.error && m.error !== lastError) options.onError?.(m.error);
    lastError = m.error ?? null;
  });
  worker.on('error', (error) => options.onError?.(error.message));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async close() {
      // Unreferenced while it runs (it must not keep a process alive); waited for when closing.
      worker.ref();
      worker.postMessage('close');
      await exited;
    },
  };
}
