/**
 * A backup of an installation on the embedded SQLite database, made while it serves:
 * `postkasse admin backup --to <dir>`. The database first, as one consistent snapshot
 * (`VACUUM INTO`, a single read transaction, so writers go on), then every blob of the blob
 * store: each blob the snapshot points at was durable before its letter committed, so it is there
 * to copy; blobs written since are copied too and swept as orphans after a restore. Then the
 * snapshot's documents are looked for in the copy (`verifyDocumentBlobs`), so the backup says
 * whether it is whole. The directory is laid out as a data dir without `keys/` (which belongs in
 * a backup of its own, apart from the data it opens), with a `backup.json` manifest.
 * Everything copied is sealed bytes: nothing is decrypted and no key is read.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { AppError, verifyDocumentBlobs } from '@postkasse/core';
import {
  databaseBlobStore,
  describeSqliteSnapshot,
  openFsBlobStore,
  openSqliteStore,
  snapshotSqliteDatabase,
} from '@postkasse/storage';
import { copyEveryBlob } from './blob-copy.js';
import type { Config } from './config.js';
import { openBlobBackend } from './context.js';

export const DATABASE_FILE = 'postkasse.sqlite';
export const MANIFEST_FILE = 'backup.json';

export type BackupResult = {
  to: string;
  /** When the database's snapshot was taken: the backup holds what was committed by then. */
  at: string;
  installation: string;
  database: { bytes: number; letters: number; documents: number; newestLetterAt: string | null };
  blobs: { from: string; found: number; copied: number; vanished: number; bytes: number };
  /** Documents of the snapshot whose blob is not in the backup (their letters, at most 100 named). */
  missing: { count: number; letters: string[] };
  seconds: number;
};

const isInside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return r === '' || (!r.startsWith('..') && !r.startsWith(sep) && r !== '..');
};

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The target: a new or empty directory outside the data dir (refused before anything is written). */
async function prepareTarget(config: Config, toDir: string): Promise<string> {
  const to = resolve(toDir);
  const data = resolve(config.dataDir);
  if (isInside(to, data) || isInside(data, to)) {
    throw new AppError(
      'invalid_operation',
      `${to} is inside the data dir ${data} or holds it: back up to a place apart`,
    );
  }
  const info = await stat(to).catch(() => null);
  if (info && !info.isDirectory()) throw new AppError('invalid_operation', `${to} exists and is not a directory`);
  if (info && (await readdir(to)).length > 0) {
    throw new AppError('invalid_operation', `${to} is not empty: back up into a new directory, one for each backup`);
  }
  await mkdir(to, { recursive: true, mode: 0o700 });
  await chmod(to, 0o700);
  return to;
}

export async function backupInstallation(
  config: Config,
  toDir: string,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<BackupResult> {
  if (config.databaseUrl) {
    throw new AppError(
      'invalid_operation',
      'admin backup backs up the embedded SQLite database; with PostgreSQL back up the database with pg_dump ' +
        "(or your provider's backups), then the blob store, and keep keys/ apart (README: Backups)",
    );
  }
  const started = performance.now();
  const source = join(config.dataDir, DATABASE_FILE);
  if (!(await stat(source).catch(() => null))) {
    throw new AppError('invalid_operation', `No database at ${source}: nothing to back up`);
  }
  const to = await prepareTarget(config, toDir);
  const databaseFile = join(to, DATABASE_FILE);
  const partial = join(to, `.${DATABASE_FILE}.${randomBytes(4).toString('hex')}.partial`);
  try {
    // 1. The database, as of one moment, written to a temporary name, synced, then renamed, so a
    // run cut short leaves no database that looks whole. An empty file of this user's alone first: SQLite writes
    // into it and keeps its mode (it names who got letters from whom).
    await (await open(partial, 'wx', 0o600)).close();
    const at = new Date();
    snapshotSqliteDatabase(source, partial);
    await syncPath(partial);
    const described = describeSqliteSnapshot(partial);
    if (!described.installation) {
      throw new AppError('invalid_operation', 'This database is not set up yet: start the server once first');
    }
    const installation = described.installation;
    await rename(partial, databaseFile);
    await syncPath(to);

    // 2. The blobs, from the store configured now (a directory or a bucket) into <to>/blobs.
    const from = await openBlobBackend(config);
    const fromLocation = from.location;
    const into = await openFsBlobStore(join(to, 'blobs'));
    let tally: Awaited<ReturnType<typeof copyEveryBlob>>;
    try {
      const mark = await from.readMarker();
      if (mark !== null && mark !== installation) {
        throw new AppError(
          'invalid_operation',
          `The blob store at ${from.location} belongs to installation ${mark}, not to this database's ${installation}`,
        );
      }
      tally = await copyEveryBlob(from, into, onProgress);
      await into.writeMarker(installation);
    } finally {
      await from.close();
    }

    // 3. Is the backup whole: every document of the snapshot, its blob in the snapshot or the copy.
    const snapshot = await openSqliteStore(databaseFile, { thread: false });
    let missing: BackupResult['missing'];
    try {
      const blobs = databaseBlobStore(snapshot, into, { inlineMaxBytes: config.blobInlineMaxBytes });
      const check = await verifyDocumentBlobs({ store: snapshot, blobs });
      const letters = new Set<string>();
      for (const m of check.missing) for (const d of m.documents) if (d.letterId) letters.add(d.letterId);
      missing = { count: check.missingCount, letters: [...letters] };
    } finally {
      await snapshot.close();
      await into.close();
    }
    // Opening the snapshot as a store left its log beside it for a moment; the file is whole again.
    await rm(`${databaseFile}-wal`, { force: true });
    await rm(`${databaseFile}-shm`, { force: true });

    const result: BackupResult = {
      to,
      at: at.toISOString(),
      installation,
      database: {
        bytes: (await stat(databaseFile)).size,
        letters: described.letters,
        documents: described.documents,
        newestLetterAt: described.newestLetterAt,
      },
      blobs: {
        from: fromLocation,
        found: tally.found,
        copied: tally.copied,
        vanished: tally.vanished,
        bytes: tally.bytes,
      },
      missing,
      seconds: (performance.now() - started) / 1000,
    };
    // 4. The manifest last: a backup without one was cut short.
    const manifest = join(to, MANIFEST_FILE);
    const handle = await open(manifest, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(result, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await syncPath(to);
    return result;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
