import type { BlobStore, Store } from '@postkasse/core';

export type DatabaseBlobStoreOptions = {
  /** Blobs up to this many bytes are kept in the database; larger ones go to `files`. */
  inlineMaxBytes: number;
};

/**
 * Blobs in two tiers: small ones (a typical letter: a sealed PDF of tens of KB) as rows in the
 * database, larger ones in the file store. A small blob is written as a unit of work of its own
 * and so shares its commit, and the one sync of the log, with every letter written at the same
 * time; as a file it would cost a file creation and a journal commit of its own (on ext4 about a
 * millisecond of kernel time each, which capped ingest below the rate the rest of the server
 * reaches). The promise of `put` still resolves only once the bytes are durable, before the row
 * that points at them commits, so a crash leaves at most an unreferenced blob for the sweep.
 */
export function databaseBlobStore(store: Store, files: BlobStore, options: DatabaseBlobStoreOptions): BlobStore {
  return {
    rowMaxBytes: options.inlineMaxBytes,
    async put(key, data) {
      if (data.byteLength > options.inlineMaxBytes) return files.put(key, data);
      const inserted = await store.insert.blob(key, data, new Date().toISOString());
      if (!inserted) throw new Error(`blob ${key} exists already`);
    },
    async get(key) {
      return (await store.read.blobContents.get(key)) ?? files.get(key);
    },
    async has(key) {
      return (await store.read.blobContents.existing([key])).has(key) || files.has(key);
    },
    async delete(key) {
      await store.write((repos) => repos.blobContents.delete(key));
      await files.delete(key);
    },
    async *listOlderThan(olderThan) {
      const cutoff = olderThan.toISOString();
      let after: string | null = null;
      for (;;) {
        const keys = await store.read.blobContents.listOlderThan(cutoff, after, 500);
        yield* keys;
        if (keys.length < 500) break;
        after = keys[keys.length - 1] ?? null;
      }
      yield* files.listOlderThan(olderThan);
    },
  };
}
