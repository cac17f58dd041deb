import type { Deps } from './ports.js';

/** Blobs younger than this may belong to a letter whose transaction has not committed yet. */
export const orphanGraceMs = 60 * 60 * 1000;

/**
 * Deletes blobs that no document points at: ciphertext left by a crash between writing the blob
 * and committing its letter, or by a lost idempotency race. Only blobs older than the grace
 * period are considered, so letters being accepted right now are never touched.
 */
export async function sweepOrphanBlobs(
  deps: Pick<Deps, 'store' | 'blobs' | 'clock'>,
  graceMs = orphanGraceMs,
): Promise<{ examined: number; deleted: number }> {
  const cutoff = new Date(deps.clock.now().getTime() - graceMs);
  let examined = 0;
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    const referenced = await deps.store.read.documents.referencedBlobKeys(batch);
    for (const key of batch) {
      if (!referenced.has(key)) {
        await deps.blobs.delete(key);
        deleted++;
      }
    }
    batch = [];
  };
  for await (const key of deps.blobs.listOlderThan(cutoff)) {
    examined++;
    batch.push(key);
    if (batch.length === 500) await flush();
  }
  await flush();
  return { examined, deleted };
}

export type BlobCheck = {
  /** Blobs documents point at, and the documents pointing at them. */
  blobs: number;
  documents: number;
  /** Blobs not in the store (a row in the database or the blob backend), with their documents; at most `reportAtMost`. */
  missing: Array<{ blobKey: string; documents: Array<{ documentId: string; letterId: string | null }> }>;
  missingCount: number;
};

/**
 * Looks for the blob of every document (letters' and batches' shared ones) in the blob store,
 * without reading them: after a move to another store, a restore from backup, or to find what
 * `content_unavailable` answers would meet before a reader does. Pages of keys in key order, so
 * memory stays bounded.
 */
export async function verifyDocumentBlobs(
  deps: { store: Pick<Deps['store'], 'read'>; blobs: Pick<Deps['blobs'], 'has'> },
  options: { reportAtMost?: number; onProgress?: (blobs: number) => void } = {},
): Promise<BlobCheck> {
  const reportAtMost = options.reportAtMost ?? 100;
  const result: BlobCheck = { blobs: 0, documents: 0, missing: [], missingCount: 0 };
  let after: string | null = null;
  for (;;) {
    const page = await deps.store.read.documents.blobKeyPage(after, 500);
    if (page.length === 0) break;
    const byKey = new Map<string, Array<{ documentId: string; letterId: string | null }>>();
    for (const row of page) {
      const list = byKey.get(row.blobKey) ?? [];
      list.push({ documentId: row.documentId, letterId: row.letterId });
      byKey.set(row.blobKey, list);
    }
    const keys = [...byKey.keys()];
    const present = await Promise.all(keys.map((key) => deps.blobs.has(key)));
    keys.forEach((key, i) => {
      result.blobs++;
      result.documents += byKey.get(key)?.length ?? 0;
      if (present[i]) return;
      result.missingCount++;
      if (result.missing.length < reportAtMost) result.missing.push({ blobKey: key, documents: byKey.get(key) ?? [] });
    });
    options.onProgress?.(result.blobs);
    after = keys[keys.length - 1] ?? null;
  }
  return result;
}
