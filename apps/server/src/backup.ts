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
import { chmod, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppError, verifyDocumentBlobs } from '@postkasse/core';
import { syncDirectory, writeKeyFile } from '@postkasse/crypto';
import {
  type BlobBackend,
  describeSqliteSnapshot,
  openFsBlobStore,
  openSqliteSnapshot,
  snapshotSqliteDatabase,
  sqliteInstallationId,
} from '@postkasse/storage';
import { copyEveryBlob, refuseForeignBlobStore } from './blob-copy.js';
import type { Config } from './config.js';
import { openBlobBackend, SQLITE_FILE } from './context.js';

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

/** Whether `child` is `parent` or lies below it (`..bak` below it is below it). */
const isInside = (child: string, parent: string) => {
  const r = relative(parent, child);
  return !(r === '..' || r.startsWith(`..${sep}`) || isAbsolute(r));
};

/** A path with its links resolved as far as it exists (a new directory's parent may be a link). */
async function realPathOf(path: string): Promise<string> {
  const rest: string[] = [];
  let at = resolve(path);
  for (;;) {
    try {
      return join(await realpath(at), ...rest.reverse());
    } catch {
      const parent = dirname(at);
      if (parent === at) return resolve(path);
      rest.push(basename(at));
      at = parent;
    }
  }
}

/** Checks the target: a new or empty directory outside the data dir. Writes nothing. */
async function checkTarget(config: Config, toDir: string): Promise<{ to: string; exists: boolean }> {
  const to = resolve(toDir);
  const [real, data] = await Promise.all([realPathOf(to), realPathOf(config.dataDir)]);
  if (isInside(real, data) || isInside(data, real)) {
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
  return { to, exists: info !== null };
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
  const source = join(config.dataDir, SQLITE_FILE);
  if (!(await stat(source).catch(() => null))) {
    throw new AppError('invalid_operation', `No database at ${source}: nothing to back up`);
  }
  const installation = sqliteInstallationId(source);
  if (!installation)
    throw new AppError('invalid_operation', 'This database is not set up yet: start the server once first');
  const target = await checkTarget(config, toDir);
  const to = target.to;

  const from = await openBlobBackend(config);
  let into: BlobBackend | null = null;
  let snapshot: ReturnType<typeof openSqliteSnapshot> | null = null;
  let made = false;
  try {
    // Every refusal comes before anything is written: the blob store must be this installation's.
    await refuseForeignBlobStore(from, installation);
    await mkdir(to, { recursive: true, mode: 0o700 });
    await chmod(to, 0o700);
    made = true;

    // 1. The database, as of one moment, under a temporary name, synced, then renamed. An empty
    // file of this user's alone first: SQLite writes into it and keeps its mode (it names who got
    // letters from whom).
    const databaseFile = join(to, SQLITE_FILE);
    const partial = join(to, `.${SQLITE_FILE}.partial`);
    await (await open(partial, 'wx', 0o600)).close();
    const at = new Date();
    snapshotSqliteDatabase(source, partial);
    const handle = await open(partial, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    const described = describeSqliteSnapshot(partial);
    await rename(partial, databaseFile);
    await syncDirectory(databaseFile);

    // 2. The blobs, from the store configured now (a directory or a bucket) into <to>/blobs.
    const copy = await openFsBlobStore(join(to, 'blobs'));
    into = copy;
    const tally = await copyEveryBlob(from, copy, onProgress);
    await copy.writeMarker(installation);

    // 3. Is it whole: every document of the snapshot, its blob in the snapshot or in the copy.
    // Read-only: the snapshot stays as it was made (no migration, its journal mode).
    const opened = openSqliteSnapshot(databaseFile);
    snapshot = opened;
    const check = await verifyDocumentBlobs({
      store: opened,
      blobs: { has: async (key) => (await opened.read.blobContents.existing([key])).has(key) || copy.has(key) },
    });
    const letters = new Set<string>();
    for (const m of check.missing) for (const d of m.documents) if (d.letterId) letters.add(d.letterId);

    const result: BackupResult = {
      to,
      at: at.toISOString(),
      installation,
      database: { bytes: (await stat(databaseFile)).size, ...described },
      blobs: {
        from: from.location,
        found: tally.found,
        copied: tally.copied,
        vanished: tally.vanished,
        bytes: tally.bytes,
      },
      missing: { count: check.missingCount, letters: [...letters] },
      seconds: (performance.now() - started) / 1000,
    };
    // 4. The manifest last (a directory without one is not a backup), written as durably as a key
    // file: 0600, the file and then its directory synced.
    await writeKeyFile(join(to, MANIFEST_FILE), `${JSON.stringify(result, null, 2)}\n`, { exclusive: true });
    return result;
  } catch (error) {
    // Nothing half-made stays behind: the directory was new or empty. (The copy has ended: it
    // waits for every blob it started before it throws.)
    if (made && target.exists) {
      for (const name of await readdir(to)) await rm(join(to, name), { recursive: true, force: true });
    } else if (made) {
      await rm(to, { recursive: true, force: true });
    }
    throw error;
  } finally {
    await snapshot?.close();
    await into?.close();
    await from.close();
  }
}
