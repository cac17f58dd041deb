import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BlobStore } from '@postkasse/core';

const KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function fsyncDir(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Blobs as files under `root/<first two hex digits>/<key>`. Keys are UUIDs chosen by the
 * platform, never by a client; anything else is refused, so no path can escape the root. A put
 * returns only after the file and its directory entry are on disk.
 */
export async function openFsBlobStore(root: string): Promise<BlobStore> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const shardsReady = new Set<string>();

  function pathOf(key: string): { dir: string; file: string } {
    if (!KEY.test(key)) throw new Error('invalid blob key');
    const dir = join(root, key.slice(0, 2));
    return { dir, file: join(dir, key) };
  }

  return {
    async put(key, data) {
      const { dir, file } = pathOf(key);
      if (!shardsReady.has(dir)) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await fsyncDir(root);
        shardsReady.add(dir);
      }
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.writeFile(data);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fsyncDir(dir);
    },
    async get(key) {
      return readFile(pathOf(key).file);
    },
    async delete(key) {
      await rm(pathOf(key).file, { force: true });
    },
    async *listOlderThan(olderThan) {
      for (const shard of await readdir(root)) {
        if (!/^[0-9a-f]{2}$/.test(shard)) continue;
        for (const name of await readdir(join(root, shard))) {
          if (!KEY.test(name)) continue;
          const info = await stat(join(root, shard, name)).catch(() => null);
          if (info && info.mtime < olderThan) yield name;
        }
      }
    },
  };
}
