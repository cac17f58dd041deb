/**
 * Moving an installation's documents to another blob store: `postkasse admin blobs copy --from
 * <directory>`, run with the configuration the installation moves to (POSTKASSE_BLOB_STORE and
 * its S3 settings), copies every blob of the old directory that the new store does not hold yet,
 * then marks the new store as the installation's. The old directory is listed as a stream and
 * each blob looked for in the new store (a stat, an S3 HEAD), so memory stays bounded whatever
 * the number of documents. Blobs are sealed bytes copied as they are: no key is needed and
 * nothing is decrypted. Run again, it copies only what is new since, so it can run once while the
 * servers still serve and once more, with `--all-processes-stopped`, after they are stopped: only
 * that run marks the new store as the installation's.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AppError, type Store } from '@postkasse/core';
import { type BlobBackend, openFsBlobStore } from '@postkasse/storage';
import type { Config } from './config.js';
import { openBlobBackend, openConfiguredStore } from './context.js';

export type BlobCopyResult = {
  from: string;
  to: string;
  /** Blobs in the old directory. */
  found: number;
  copied: number;
  /** Already in the new store (an earlier run). */
  present: number;
  /** Copied again: the new store held other bytes (copied while the file was being written). */
  replaced: number;
  /** Gone from the old directory since it was listed (swept, purged). */
  vanished: number;
  bytes: number;
  /** Whether the new store is now marked as this installation's (the final run). */
  marked: boolean;
};

const FAR_FUTURE = new Date(Date.now() + 100 * 365 * 86_400_000);
/** Keys held in memory at once: the listing is streamed, so a store of any size copies in bounded memory. */
const CHUNK = 1_000;
const WIDTH = 8;

/**
 * Runs `work` over `items`, `width` at a time. After a failure no new item starts, and it throws
 * only once every item started has ended, so nothing is still writing when the caller cleans up.
 */
async function inParallel<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const outcomes = await Promise.allSettled(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      try {
        while (!failed && next < items.length) await work(items[next++] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }),
  );
  const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failure) throw failure.reason;
}

/** Refuses (before anything is written) a blob store marked as another installation's. */
export async function refuseForeignBlobStore(store: BlobBackend, installationId: string): Promise<void> {
  const mark = await store.readMarker();
  if (mark !== null && mark !== installationId) {
    throw new AppError(
      'invalid_operation',
      `The blob store at ${store.location} belongs to installation ${mark}, not to this database's ${installationId}`,
    );
  }
}

export type CopyTally = { found: number; copied: number; replaced: number; vanished: number; bytes: number };

/**
 * Copies every blob of `source` that `target` lacks or holds with another size (a copy taken
 * while the file was still being written), streaming the listing in chunks, so memory stays
 * bounded; blobs gone from the source since it was listed (swept, purged) are counted, not fatal.
 */
export async function copyEveryBlob(
  source: BlobBackend,
  target: BlobBackend,
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<CopyTally> {
  // Counted first, for the progress; then copied chunk by chunk.
  let total = 0;
  for await (const _ of source.listOlderThan(FAR_FUTURE)) total++;
  const tally: CopyTally = { found: 0, copied: 0, replaced: 0, vanished: 0, bytes: 0 };
  onProgress(0, total);
  const copyOne = async (key: string) => {
    const [there, here] = await Promise.all([target.size(key), source.size(key)]);
    if (here === null) {
      tally.vanished++; // swept, purged or dropped since it was listed
      return;
    }
    if (there === here) return;
    let data: Uint8Array;
    try {
      data = await source.get(key);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
      tally.vanished++;
      return;
    }
    if (there !== null) {
      await target.delete(key);
      tally.replaced++;
    }
    await target.put(key, data);
    tally.copied++;
    tally.bytes += data.byteLength;
  };
  const copyChunk = (keys: string[]) =>
    inParallel(keys, WIDTH, async (key) => {
      await copyOne(key);
      onProgress(++tally.found, Math.max(total, tally.found));
    });
  let chunk: string[] = [];
  for await (const key of source.listOlderThan(FAR_FUTURE)) {
    chunk.push(key);
    if (chunk.length === CHUNK) {
      await copyChunk(chunk);
      chunk = [];
    }
  }
  await copyChunk(chunk);
  return tally;
}

export async function copyBlobs(
  config: Config,
  fromDir: string,
  options: {
    /** Every process is stopped: this run finishes the copy and marks the store as the installation's. */
    final?: boolean;
  } = {},
  onProgress: (done: number, total: number) => void = () => undefined,
): Promise<BlobCopyResult> {
  const from = resolve(fromDir);
  const info = await stat(from).catch(() => null);
  if (!info?.isDirectory()) throw new AppError('invalid_operation', `${from} is not a directory of blobs`);
  let store: Store | null = null;
  let source: BlobBackend | null = null;
  let target: BlobBackend | null = null;
  try {
    store = await openConfiguredStore(config);
    const installation = await store.read.installation.get();
    if (!installation)
      throw new AppError('invalid_operation', 'This database is not set up yet: there is nothing to copy for it');
    source = await openFsBlobStore(from);
    target = await openBlobBackend(config);
    if (config.blobStore.kind === 'files' && resolve(config.blobDir) === from) {
      throw new AppError(
        'invalid_operation',
        `${from} is the blob store configured now: set POSTKASSE_BLOB_STORE to the one to copy to`,
      );
    }
    const sourceMark = await source.readMarker();
    if (sourceMark !== null && sourceMark !== installation.id) {
      throw new AppError(
        'invalid_operation',
        `The blobs at ${from} belong to installation ${sourceMark}, not to this database's ${installation.id}`,
      );
    }
    await refuseForeignBlobStore(target, installation.id);
    const tally = await copyEveryBlob(source, target, onProgress);
    // Marked only by the run made with every process stopped: start-up checks an unmarked store
    // for the newest documents, so a store copied while letters still came is not taken as done.
    if (options.final) await target.writeMarker(installation.id);
    return {
      from,
      to: target.location,
      found: tally.found,
      copied: tally.copied,
      replaced: tally.replaced,
      vanished: tally.vanished,
      present: tally.found - tally.copied - tally.vanished,
      bytes: tally.bytes,
      marked: Boolean(options.final),
    };
  } finally {
    await source?.close();
    await target?.close();
    await store?.close();
  }
}
