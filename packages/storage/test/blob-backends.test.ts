/**
 * What every blob store an installation can use promises (files under the data dir, objects in
 * an S3 bucket): durable puts, reads, idempotent deletes, ENOENT for a missing blob, keys spread
 * over shards, the listing the orphan sweep uses, the installation's mark and the readiness probe.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Credentials, startTestS3, type TestS3 } from '../../../test/s3.js';
import { type BlobBackend, openFsBlobStore, openS3BlobStore } from '../src/index.js';

let s3: TestS3;
const dirs: string[] = [];
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  await s3?.close();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const openS3 = (prefix: string, bucket = s3.bucket) =>
  openS3BlobStore({ bucket, prefix, endpoint: s3.endpoint, forcePathStyle: true, credentials: s3Credentials });

type Backend = {
  name: string;
  open(): Promise<BlobBackend>;
  /** The names the store holds besides its blobs' (for "the probe leaves nothing"). */
  names(store: BlobBackend): Promise<string[]>;
};

/** Keys as the platform makes them (UUIDv7): made in the same millisecond, they share their first 13 digits. */
function timeOrderedKey(): string {
  const hex = randomBytes(10).toString('hex');
  return `019ae4c1-7a2b-7${hex.slice(0, 3)}-a${hex.slice(3, 6)}-${hex.slice(6, 18)}`;
}

const backends: Backend[] = [
  {
    name: 'files',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'pk-blobs-'));
      dirs.push(dir);
      return openFsBlobStore(dir);
    },
    names: async (store) => (await readdir(store.location, { recursive: true })).map(String),
  },
  {
    name: 's3',
    open: () => openS3(`installation-${randomUUID().slice(0, 8)}/`),
    async names(store) {
      const prefix = store.location.slice(`s3://${s3.bucket}/`.length);
      return (await s3.objects()).filter((o) => o.name.startsWith(prefix)).map((o) => o.name.slice(prefix.length));
    },
  },
];

describe.each(backends)('blob store: $name', (backend) => {
  it('stores, reads and deletes blobs; a missing one is ENOENT and deleting it again is no error', async () => {
    const store = await backend.open();
    const key = randomUUID();
    const bytes = randomBytes(70_000);
    expect(await store.has(key)).toBe(false);
    await store.put(key, bytes);
    expect(await store.has(key)).toBe(true);
    expect(await store.size(key)).toBe(bytes.byteLength);
    expect(Buffer.from(await store.get(key)).equals(bytes)).toBe(true);
    await store.delete(key);
    expect(await store.has(key)).toBe(false);
    await expect(store.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    await store.delete(key);
    await expect(store.get(randomUUID())).rejects.toMatchObject({ code: 'ENOENT' });
    await store.close();
  });

  it('refuses keys that are not platform UUIDs, so no name can leave its place', async () => {
    const store = await backend.open();
    for (const bad of [
      '../../etc/passwd',
      '/etc/passwd',
      'a/b',
      '',
      `${randomUUID()}/..`,
      randomUUID().toUpperCase(),
    ]) {
      await expect(store.put(bad, Buffer.from('x')), bad).rejects.toThrow(/invalid blob key/);
      await expect(store.get(bad), bad).rejects.toThrow(/invalid blob key/);
      await expect(store.delete(bad), bad).rejects.toThrow(/invalid blob key/);
      await expect(store.has(bad), bad).rejects.toThrow(/invalid blob key/);
    }
    await store.close();
  });

  it('spreads time-ordered keys over shards by their random digits', async () => {
    const store = await backend.open();
    const keys = Array.from({ length: 40 }, timeOrderedKey);
    expect(new Set(keys.map((k) => k.slice(0, 2))).size).toBe(1);
    await Promise.all(keys.map((k) => store.put(k, Buffer.from(k))));
    const shards = new Set((await backend.names(store)).filter((n) => n.includes('/')).map((n) => n.split('/')[0]));
    expect(shards.size).toBeGreaterThan(20);
    for (const k of keys) expect(Buffer.from(await store.get(k)).toString()).toBe(k);
    await store.close();
  });

  it('lists the blobs written before a moment, for the orphan sweep', async () => {
    const store = await backend.open();
    const keys = [randomUUID(), randomUUID(), randomUUID()];
    for (const k of keys) await store.put(k, Buffer.from('a'));
    const listed = async (olderThan: Date) => {
      const out: string[] = [];
      for await (const k of store.listOlderThan(olderThan)) out.push(k);
      return out.sort();
    };
    expect(await listed(new Date(Date.now() + 60_000))).toEqual([...keys].sort());
    expect(await listed(new Date(Date.now() - 3_600_000))).toEqual([]);
    await store.writeMarker(randomUUID());
    // The installation's mark is not a blob, so the sweep never offers it.
    expect(await listed(new Date(Date.now() + 60_000))).toEqual([...keys].sort());
    await store.close();
  });

  it("keeps the installation's mark, and probes writes without leaving anything behind", async () => {
    const store = await backend.open();
    expect(await store.readMarker()).toBeNull();
    const id = randomUUID();
    await store.writeMarker(id);
    expect(await store.readMarker()).toBe(id);
    await store.probe();
    expect((await backend.names(store)).filter((n) => n.includes('ready'))).toEqual([]);
    await store.close();
  });
});

describe('blob store: s3, its own failures', () => {
  it('keeps installations that share a bucket apart by their prefixes', async () => {
    const a = await openS3('a/');
    const b = await openS3('b/nested/');
    const key = randomUUID();
    await a.put(key, Buffer.from('a'));
    await a.writeMarker('installation-a');
    await expect(b.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await b.readMarker()).toBeNull();
    const inB: string[] = [];
    for await (const k of b.listOlderThan(new Date(Date.now() + 60_000))) inB.push(k);
    expect(inB).toEqual([]);
    expect((await s3.objects()).map((o) => o.name)).toContain(`a/${key.slice(-2)}/${key}`);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a prefix that is not a plain path', async () => {
    for (const prefix of ['no-slash', '../x/', '/abs/', 'a//', 'sp ace/']) {
      await expect(openS3(prefix), prefix).rejects.toThrow(/S3 prefix/);
    }
  });

  it('says the store is unavailable (not that a blob is missing) when the service is down or the bucket gone', async () => {
    const store = await openS3('down/');
    const key = randomUUID();
    await store.put(key, Buffer.from('kept'));
    await s3.stop();
    try {
      await expect(store.get(key)).rejects.toMatchObject({ code: 'BLOB_STORE_UNAVAILABLE' });
      await expect(store.put(randomUUID(), Buffer.from('x'))).rejects.toMatchObject({
        code: 'BLOB_STORE_UNAVAILABLE',
        message: expect.stringMatching(/s3:\/\/postkasse-test\/down\/ could not store .*ECONNREFUSED/),
      });
      await expect(store.probe()).rejects.toMatchObject({ code: 'BLOB_STORE_UNAVAILABLE' });
    } finally {
      await s3.start();
    }
    expect(Buffer.from(await store.get(key)).toString()).toBe('kept');
    const gone = await openS3('', 'no-such-bucket');
    await expect(gone.get(key)).rejects.toMatchObject({
      code: 'BLOB_STORE_UNAVAILABLE',
      message: expect.stringContaining('NoSuchBucket'),
    });
    // A HEAD's 404 has no body: the bucket is asked for, so this is not "missing" either.
    await expect(gone.has(key)).rejects.toMatchObject({ code: 'BLOB_STORE_UNAVAILABLE' });
    await Promise.all([store.close(), gone.close()]);
  });

  it('says the store is unavailable when it refuses the credentials', async () => {
    // A service answering every request as S3 does for a wrong or expired key.
    const refusing = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      );
    });
    await new Promise<void>((done) => refusing.listen(0, '127.0.0.1', done));
    const port = (refusing.address() as AddressInfo).port;
    const store = await openS3BlobStore({
      bucket: 'b-denied',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: s3Credentials,
    });
    try {
      await expect(store.put(randomUUID(), Buffer.from('x'))).rejects.toMatchObject({
        code: 'BLOB_STORE_UNAVAILABLE',
        message: expect.stringContaining('AccessDenied (HTTP 403)'),
      });
      await expect(store.get(randomUUID())).rejects.toMatchObject({ code: 'BLOB_STORE_UNAVAILABLE' });
    } finally {
      await store.close();
      await new Promise((done) => refusing.close(done));
    }
  });
});
