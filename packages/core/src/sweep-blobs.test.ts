import { describe, expect, it } from 'vitest';
import type { BlobStore, Deps, Repositories } from './ports.js';
import { sweepOrphanBlobs } from './sweep-blobs.js';

describe('orphan blob sweep', () => {
  it('deletes only old blobs that no document references', async () => {
    const now = new Date('2026-11-22T12:00:00Z');
    const old = new Date(now.getTime() - 2 * 3600_000);
    const young = new Date(now.getTime() - 60_000);
    const blobs = new Map<string, Date>([
      ['referenced-old', old],
      ['orphan-old', old],
      ['orphan-young', young],
    ]);
    const store: BlobStore = {
      put: async () => undefined,
      get: async () => new Uint8Array(),
      has: async (key) => blobs.has(key),
      delete: async (key) => {
        blobs.delete(key);
      },
      async *listOlderThan(cutoff) {
        for (const [key, at] of [...blobs]) if (at < cutoff) yield key;
      },
    };
    const documents = {
      referencedBlobKeys: async (keys: string[]) => new Set(keys.filter((k) => k.startsWith('referenced'))),
    } as unknown as Repositories['documents'];
    const deps = {
      store: { read: { documents } } as unknown as Deps['store'],
      blobs: store,
      clock: { now: () => now },
    };
    expect(await sweepOrphanBlobs(deps)).toEqual({ examined: 2, deleted: 1 });
    expect([...blobs.keys()].sort()).toEqual(['orphan-young', 'referenced-old']);
  });
});
