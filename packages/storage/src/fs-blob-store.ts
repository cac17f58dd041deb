import { close, constants, fdatasync, open as openFd, write } from 'node:fs';
import { mkdir, open, opendir, readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BLOB_KEY, type BlobBackend, checkBlobKey, shardOf } from './blob-backend.js';

const MARKER = '.installation';

/**
 * fsync of a directory, shared: a call made while one runs waits for the next, which covers every
 * entry created before it started. Directory handles stay open (at most 256 shards).
 */
function directorySyncer() {
  const handles = new Map<string, Promise<Awaited<ReturnType<typeof open>>>>();
  const running = new Map<string, Promise<void>>();
  const queued = new Map<string, Promise<void>>();
  const syncOnce = async (dir: string) => {
    let handle = handles.get(dir);
    if (!handle) {
      handle = open(dir, 'r');
      handles.set(dir, handle);
    }
    await (await handle).sync();
  };
  function sync(dir: string): Promise<void> {
    const current = running.get(dir);
    if (!current) {
      const started = syncOnce(dir).finally(() => running.delete(dir));
      running.set(dir, started);
      return started;
    }
    let next = queued.get(dir);
    if (!next) {
      next = current
        .catch(() => undefined)
        .then(() => {
          queued.delete(dir);
          return sync(dir);
        });
      queued.set(dir, next);
    }
    return next;
  }
  async function closeAll(): Promise<void> {
    const open = [...handles.values()];
    handles.clear();
    await Promise.all(open.map(async (h) => (await h.catch(() => null))?.close()));
  }
  return { sync, closeAll };
}

const openFile = promisify(openFd);
const writeBytes = promisify(write);
const syncData = promisify(fdatasync);
const closeFile = promisify(close);
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/**
 * Writes a new file and makes its bytes durable. Plain descriptors rather than a FileHandle: a
 * server writes a blob for every letter, and a FileHandle costs several times more main-thread
 * time per file than the four system calls it wraps.
 */
async function writeNewFile(file: string, data: Uint8Array): Promise<void> {
  const fd = await openFile(file, CREATE_NEW, 0o600);
  try {
    let offset = 0;
    while (offset < data.byteLength) {
      offset += (await writeBytes(fd, data, offset, data.byteLength - offset, null)).bytesWritten;
    }
    // fdatasync: the size changed, so the metadata needed to read the bytes back is synced too.
    await syncData(fd);
  } finally {
    await closeFile(fd);
  }
}

/**
 * Blobs as files under `root/<last two hex digits>/<key>`. Keys are UUIDs chosen by the
 * platform, never by a client; anything else is refused, so no path can escape the root. A put
 * returns only after the file and its directory entry are on disk. Blobs written by versions that
 * sharded by the first two digits (`root/<first two>/<key>`) are read and deleted where they are.
 */
export async function openFsBlobStore(root: string): Promise<BlobBackend> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const shardsReady = new Set<string>();
  const dirs = directorySyncer();

  const fileOf = (key: string, shard: string) => join(root, shard, key);
  const legacyShard = (key: string) => key.slice(0, 2);

  async function sizeOf(key: string): Promise<number | null> {
    const sizeIn = (shard: string) =>
      stat(fileOf(key, shard)).then(
        (info) => info.size,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return null;
          throw error;
        },
      );
    return (await sizeIn(shardOf(checkBlobKey(key)))) ?? (await sizeIn(legacyShard(key)));
  }

  return {
    location: root,
    async put(key, data) {
      const dir = join(root, shardOf(checkBlobKey(key)));
      if (!shardsReady.has(dir)) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await dirs.sync(root);
        shardsReady.add(dir);
      }
      // O_EXCL: a key is never reused; the bytes are on disk before the promise resolves.
      await writeNewFile(fileOf(key, shardOf(key)), data);
      await dirs.sync(dir);
    },
    async get(key) {
      try {
        return await readFile(fileOf(checkBlobKey(key), shardOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || legacyShard(key) === shardOf(key)) throw error;
        return readFile(fileOf(key, legacyShard(key)));
      }
    },
    async delete(key) {
      await rm(fileOf(checkBlobKey(key), shardOf(key)), { force: true });
      await rm(fileOf(key, legacyShard(key)), { force: true });
    },
    async has(key) {
      return (await sizeOf(key)) !== null;
    },
    size: sizeOf,
    async *listOlderThan(olderThan) {
      for (const shard of await readdir(root)) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        // Streamed: a shard of an earlier version's layout may hold every blob of years.
        for await (const entry of await opendir(join(root, shard))) {
          const name = entry.name;
          if (!BLOB_KEY.test(name)) continue;
          const info = await stat(join(root, shard, name)).catch(() => null);
          if (info && info.mtime < olderThan) yield name;
        }
      }
    },
    async readMarker() {
      try {
        return (await readFile(join(root, MARKER), 'utf8')).trim();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async writeMarker(installationId) {
      await writeFile(join(root, MARKER), `${installationId}\n`, { mode: 0o600 });
    },
    async probe() {
      // A full disk, a read-only or missing mount refuses every letter.
      const probe = join(root, `.ready-${process.pid}`);
      await writeFile(probe, 'ok', { mode: 0o600 });
      await unlink(probe);
    },
    async close() {
      await dirs.closeAll();
    },
  };
}
