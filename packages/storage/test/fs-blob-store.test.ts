import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFsBlobStore } from '../src/index.js';

const made: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('filesystem blob store', () => {
  it('stores, reads and deletes blobs as private files', async () => {
    const root = await tempDir('pk-blobs-');
    const blobs = await openFsBlobStore(root);
    const key = randomUUID();
    await blobs.put(key, Buffer.from('ciphertext'));
    expect(Buffer.from(await blobs.get(key)).toString()).toBe('ciphertext');
    expect((await stat(join(root, key.slice(-2), key))).mode & 0o777).toBe(0o600);
    await expect(blobs.put(key, Buffer.from('again'))).rejects.toThrow();
    await blobs.delete(key);
    await expect(blobs.get(key)).rejects.toThrow();
  });

  it('reads and deletes blobs where versions before kept them (sharded by their first digits)', async () => {
    const root = await tempDir('pk-blobs-');
    const blobs = await openFsBlobStore(root);
    // Not a key whose first and last digits agree: then both places are one.
    let key = randomUUID();
    while (key.slice(0, 2) === key.slice(-2)) key = randomUUID();
    await mkdir(join(root, key.slice(0, 2)), { recursive: true });
    await writeFile(join(root, key.slice(0, 2), key), 'written by an earlier version', { mode: 0o600 });
    expect(Buffer.from(await blobs.get(key)).toString()).toBe('written by an earlier version');
    expect(await blobs.has(key)).toBe(true);
    const listed: string[] = [];
    for await (const k of blobs.listOlderThan(new Date(Date.now() + 60_000))) listed.push(k);
    expect(listed).toEqual([key]);
    await blobs.delete(key);
    await expect(blobs.get(key)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(join(root, key.slice(0, 2)))).toEqual([]);
  });

  it('lists blobs older than a moment for the orphan sweep', async () => {
    const root = await tempDir('pk-blobs-');
    const blobs = await openFsBlobStore(root);
    const old = randomUUID();
    const fresh = randomUUID();
    await blobs.put(old, Buffer.from('a'));
    await blobs.put(fresh, Buffer.from('b'));
    const past = new Date(Date.now() - 3 * 3600_000);
    await utimes(join(root, old.slice(-2), old), past, past);
    const listed: string[] = [];
    for await (const key of blobs.listOlderThan(new Date(Date.now() - 3600_000))) listed.push(key);
    expect(listed).toEqual([old]);
    expect((await readdir(root)).length).toBeGreaterThan(0);
  });
});
