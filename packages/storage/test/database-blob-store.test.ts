import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlobStore, Store } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { databaseBlobStore, openFsBlobStore, openPostgresStore, openSqliteStore } from '../src/index.js';

const dialects = await testDialects();
const INLINE = 64 * 1024;

async function filesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe.each(dialects)('the database blob store (%s)', (dialect) => {
  let dir: string;
  let store: Store;
  let blobs: BlobStore;
  let dropDatabase: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-dbblobs-'));
    if (dialect === 'sqlite') {
      store = await openSqliteStore(join(dir, 'db.sqlite'));
    } else {
      const db = await createTestDatabase();
      dropDatabase = db.drop;
      store = await openPostgresStore(db.url);
    }
    blobs = databaseBlobStore(store, await openFsBlobStore(join(dir, 'blobs')), { inlineMaxBytes: INLINE });
  });
  afterAll(async () => {
    await store.close();
    await dropDatabase?.();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a small blob as a row and a large one as a file, and reads both back exactly', async () => {
    const small = randomBytes(INLINE);
    const large = randomBytes(INLINE + 1);
    const [smallKey, largeKey] = [randomUUID(), randomUUID()];
    await blobs.put(smallKey, small);
    await blobs.put(largeKey, large);

    expect(await store.read.blobContents.get(smallKey)).toEqual(small);
    expect(await store.read.blobContents.get(largeKey)).toBeNull();
    expect(await filesIn(join(dir, 'blobs'))).toEqual([largeKey]);
    expect(Buffer.compare(Buffer.from(await blobs.get(smallKey)), small)).toBe(0);
    expect(Buffer.compare(Buffer.from(await blobs.get(largeKey)), large)).toBe(0);
    // Found where each is, without reading it; a key of neither is not.
    expect([await blobs.has(smallKey), await blobs.has(largeKey), await blobs.has(randomUUID())]).toEqual([
      true,
      true,
      false,
    ]);
    expect(await store.read.blobContents.existing([smallKey, largeKey])).toEqual(new Set([smallKey]));
  });

  it('refuses a key that is taken and keeps the first bytes', async () => {
    const key = randomUUID();
    await blobs.put(key, Buffer.from('first'));
    await expect(blobs.put(key, Buffer.from('second'))).rejects.toThrow(/exists/);
    expect(Buffer.from(await blobs.get(key)).toString()).toBe('first');
  });

  it('fails to read a blob that does not exist, and deletes either kind', async () => {
    await expect(blobs.get(randomUUID())).rejects.toThrow();
    const [smallKey, largeKey] = [randomUUID(), randomUUID()];
    await blobs.put(smallKey, randomBytes(10));
    await blobs.put(largeKey, randomBytes(INLINE * 2));
    await blobs.delete(smallKey);
    await blobs.delete(largeKey);
    await expect(blobs.get(smallKey)).rejects.toThrow();
    await expect(blobs.get(largeKey)).rejects.toThrow();
    await blobs.delete(randomUUID()); // deleting what is not there is fine (the sweep may race)
  });

  it('lists the keys of both kinds written before a time, over more than one page', async () => {
    const before = new Date(Date.now() - 1000);
    const after = new Date(Date.now() + 60_000);
    const listed = async (olderThan: Date) => {
      const keys: string[] = [];
      for await (const key of blobs.listOlderThan(olderThan)) keys.push(key);
      return keys;
    };
    const existing = new Set(await listed(after));
    const fresh = Array.from({ length: 520 }, () => randomUUID());
    await Promise.all(fresh.map((key) => blobs.put(key, Buffer.from(key))));
    const fileKey = randomUUID();
    await blobs.put(fileKey, randomBytes(INLINE + 10));

    const all = await listed(after);
    expect(new Set(all).size).toBe(all.length);
    const added = all.filter((k) => !existing.has(k)).sort();
    expect(added).toEqual([...fresh, fileKey].sort());
    expect((await listed(before)).filter((k) => !existing.has(k))).toEqual([]);
  });
});
