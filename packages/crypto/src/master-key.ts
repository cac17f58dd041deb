import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { KEY_BYTES } from './envelope.js';
import { writeKeyFile } from './key-file.js';

/** Where the master key comes from: a key file, an environment variable, later a KMS. */
export type KeyProvider = { masterKey(): Promise<Uint8Array>; describe(): string };

/** A 32-byte key written as base64 or hex (a key file, POSTKASSE_MASTER_KEY); `origin` names it in the refusal. */
export function decodeKey(text: string, origin: string): Uint8Array {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.byteLength !== KEY_BYTES) {
    throw new Error(`${origin} must hold a 32-byte key, base64 or hex encoded`);
  }
  return key;
}

/** The key from an environment variable (POSTKASSE_MASTER_KEY), base64 or hex. */
export function envKeyProvider(value: string): KeyProvider {
  const key = decodeKey(value, 'POSTKASSE_MASTER_KEY');
  return { masterKey: async () => key, describe: () => 'environment variable POSTKASSE_MASTER_KEY' };
}

/**
 * The key from a file, created with mode 0600 on first start. A file that others can read is
 * refused rather than used: the master key protects every letter.
 */
export function fileKeyProvider(path: string): KeyProvider {
  let cached: Uint8Array | undefined;
  return {
    describe: () => `key file ${path}`,
    async masterKey() {
      if (cached) return cached;
      try {
        const info = await stat(path);
        if ((info.mode & 0o077) !== 0) {
          throw new Error(`${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
        }
        cached = decodeKey(await readFile(path, 'utf8'), path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        const key = randomBytes(KEY_BYTES);
        // 'wx' fails if another process created the file meanwhile; then read theirs.
        try {
          await writeKeyFile(path, `${key.toString('base64')}\n`, { exclusive: true });
          await chmod(path, 0o600);
          cached = key;
        } catch (raced) {
          if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
          cached = decodeKey(await readFile(path, 'utf8'), path);
        }
      }
      return cached;
    },
  };
}
