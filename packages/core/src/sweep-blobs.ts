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
