import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { open, seal } from './envelope.js';
import { envKeyProvider, fileKeyProvider } from './master-key.js';
import { createVault } from './vault.js';

const made: string[] = [];
async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

const master = envKeyProvider(randomBytes(32).toString('base64'));

describe('envelope', () => {
  it('round-trips and binds the ciphertext to its purpose', () => {
    const key = randomBytes(32);
    const sealed = seal(key, Buffer.from('hemmelig'), 'doc:1');
    expect(open(key, sealed, 'doc:1').toString()).toBe('hemmelig');
    expect(() => open(key, sealed, 'doc:2')).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[20] = (tampered[20] ?? 0) ^ 1;
    expect(() => open(key, tampered, 'doc:1')).toThrow();
    expect(() => open(randomBytes(32), sealed, 'doc:1')).toThrow();
  });
});

describe('vault', () => {
  it('encrypts a document for its mailbox only', async () => {
    const vault = createVault(master);
    const mailbox = { id: 'mb-1', wrappedKey: await vault.newMailboxKey('mb-1') };
    const other = { id: 'mb-2', wrappedKey: await vault.newMailboxKey('mb-2') };
    const plaintext = Buffer.from('%PDF-1.4 brev med personopplysninger');
    const { ciphertext, wrappedKey } = await vault.seal(mailbox, 'doc-1', plaintext);
    expect(Buffer.from(ciphertext).includes(Buffer.from('personopplysninger'))).toBe(false);
    expect(Buffer.from(await vault.open(mailbox, 'doc-1', wrappedKey, ciphertext))).toEqual(plaintext);
    await expect(vault.open(other, 'doc-1', wrappedKey, ciphertext)).rejects.toThrow();
    await expect(vault.open(mailbox, 'doc-2', wrappedKey, ciphertext)).rejects.toThrow();
  });

  it('cannot open anything without the master key that wrapped the mailbox key', async () => {
    const vault = createVault(master);
    const mailbox = { id: 'mb', wrappedKey: await vault.newMailboxKey('mb') };
    const sealed = await vault.seal(mailbox, 'd', Buffer.from('x'));
    const stranger = createVault(envKeyProvider(randomBytes(32).toString('hex')));
    await expect(stranger.open(mailbox, 'd', sealed.wrappedKey, sealed.ciphertext)).rejects.toThrow();
  });
});

describe('master key file', () => {
  it('is created with mode 0600 and read back the same', async () => {
    const dir = await tempDir('pk-key-');
    const path = join(dir, 'keys', 'master.key');
    const first = await fileKeyProvider(path).masterKey();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await fileKeyProvider(path).masterKey();
    expect(Buffer.from(again)).toEqual(Buffer.from(first));
    expect(first.byteLength).toBe(32);
  });

  it('refuses a key file others can read, and a key of the wrong size', async () => {
    const dir = await tempDir('pk-key-');
    const loose = join(dir, 'loose.key');
    await writeFile(loose, randomBytes(32).toString('base64'), { mode: 0o644 });
    await expect(fileKeyProvider(loose).masterKey()).rejects.toThrow(/readable by others/);
    const short = join(dir, 'short.key');
    await writeFile(short, randomBytes(16).toString('base64'), { mode: 0o600 });
    await expect(fileKeyProvider(short).masterKey()).rejects.toThrow(/32-byte/);
    expect(() => envKeyProvider('too-short')).toThrow(/32-byte/);
    expect((await readFile(short, 'utf8')).length).toBeGreaterThan(0);
  });
});

describe('encryption off the event loop', () => {
  it('writes the same format that open reads', async () => {
    const { sealOffThread } = await import('./envelope.js');
    const key = randomBytes(32);
    const data = randomBytes(100_000);
    const sealed = await sealOffThread(key, data, 'doc:9');
    expect(open(key, sealed, 'doc:9').equals(data)).toBe(true);
    expect(() => open(key, sealed, 'doc:8')).toThrow();
    expect(sealed.byteLength).toBe(1 + 12 + data.byteLength + 16);
  });
});
