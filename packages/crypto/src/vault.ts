import { createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { type Hasher, platformKeyholder, type Vault } from '@postkasse/core';
import { KEY_BYTES, open, seal, sealOffThread } from './envelope.js';
import type { KeyProvider } from './master-key.js';
import { secureRandomBytes } from './random-pool.js';

const mailboxAad = (mailboxId: string) => `postkasse:mailbox-key:${mailboxId}`;
const contentKeyAad = (documentId: string) => `postkasse:content-key:${documentId}`;
const documentAad = (documentId: string) => `postkasse:document:${documentId}`;
const secretAad = (purpose: string) => `postkasse:secret:${purpose}`;
const metaAad = (purpose: string) => `postkasse:meta:${purpose}`;
const PLATFORM_KEY_AAD = 'postkasse:platform-keyholder-key';

/**
 * The platform keyholder's key: derived from the master key until the master key is first
 * rotated, then kept sealed under the current master key (the installation's `platformKey`), so
 * that it stays the same key across rotations.
 */
export function platformKeyholderKey(masterKey: Uint8Array, sealed: Uint8Array | null): Buffer {
  return sealed
    ? open(masterKey, sealed, PLATFORM_KEY_AAD)
    : Buffer.from(hkdfSync('sha256', masterKey, '', 'postkasse:platform-keyholder', 32));
}

/**
 * A master key's rotation, key by key: each mailbox key unwrapped with the old master key and
 * wrapped with the new one, and the platform keyholder's key sealed under the new one. A mailbox
 * key the new master key opens already (a rotation that was cut short and is run again) is left.
 */
export function masterKeyRotation(oldKey: Uint8Array, newKey: Uint8Array, sealedPlatformKey: Uint8Array | null) {
  return {
    rewrapMailboxKey(mailboxId: string, wrappedKey: Uint8Array): Uint8Array | null {
      try {
        open(newKey, wrappedKey, mailboxAad(mailboxId)).fill(0);
        return null;
      } catch {
        // Not yet: under the old key.
      }
      const key = open(oldKey, wrappedKey, mailboxAad(mailboxId));
      try {
        return seal(newKey, key, mailboxAad(mailboxId));
      } finally {
        key.fill(0);
      }
    },
    sealedPlatformKey(): Uint8Array {
      const key = platformKeyholderKey(oldKey, sealedPlatformKey);
      try {
        return seal(newKey, key, PLATFORM_KEY_AAD);
      } finally {
        key.fill(0);
      }
    },
  };
}
/** Documents up to this size are encrypted on the calling thread (AES-GCM runs at GB/s). */
const ON_THREAD_MAX_BYTES = 256 * 1024;

/**
 * The vault: mailbox keys wrapped by the master key, one random content key per document
 * wrapped by the mailbox key. Unwrapped mailbox keys are cached briefly in memory.
 */
/**
 * Whether this master key opens a mailbox's wrapped key: the check that the key given at start is
 * the one the data was written with (a wrong one would otherwise fail every read, much later).
 */
export async function masterKeyOpens(keys: KeyProvider, mailbox: { id: string; wrappedKey: Uint8Array }) {
  // A key that cannot be read (a file others may read, no permission) says so itself.
  const key = await keys.masterKey();
  try {
    open(key, mailbox.wrappedKey, mailboxAad(mailbox.id));
    return true;
  } catch {
    return false;
  }
}

export function createVault(
  keys: KeyProvider,
  options: {
    cacheSize?: number;
    /** The installation's sealed platform key, after a rotation of the master key (platformKeyholderKey). */
    sealedPlatformKey?: Uint8Array | null;
  } = {},
): Vault {
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, Buffer>();

  let platformKey: Buffer | null = null;
  async function derivedPlatformKey(): Promise<Buffer> {
    platformKey ??= platformKeyholderKey(await keys.masterKey(), options.sealedPlatformKey ?? null);
    return platformKey;
  }

  async function mailboxKey(mailbox: { id: string; wrappedKey: Uint8Array }): Promise<Buffer> {
    if (mailbox.id === platformKeyholder.id) return derivedPlatformKey();
    const hit = cache.get(mailbox.id);
    if (hit) return hit;
    const key = open(await keys.masterKey(), mailbox.wrappedKey, mailboxAad(mailbox.id));
    if (cache.size >= cacheSize) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    cache.set(mailbox.id, key);
    return key;
  }

  return {
    async newMailboxKey(mailboxId) {
      return seal(await keys.masterKey(), randomBytes(KEY_BYTES), mailboxAad(mailboxId));
    },
    async seal(mailbox, documentId, plaintext) {
      const contentKey = secureRandomBytes(KEY_BYTES);
      // A typical letter (tens of KB) encrypts in microseconds; handing it to the thread pool
      // costs more than that. Large documents go there, so the event loop is never held long.
      const ciphertext =
        plaintext.byteLength <= ON_THREAD_MAX_BYTES
          ? seal(contentKey, plaintext, documentAad(documentId))
          : await sealOffThread(contentKey, plaintext, documentAad(documentId));
      const wrappedKey = seal(await mailboxKey(mailbox), contentKey, contentKeyAad(documentId));
      contentKey.fill(0);
      return { ciphertext, wrappedKey };
    },
    async rewrap(from, to, contentId, wrappedKey) {
      const contentKey = open(await mailboxKey(from), wrappedKey, contentKeyAad(contentId));
      try {
        return seal(await mailboxKey(to), contentKey, contentKeyAad(contentId));
      } finally {
        contentKey.fill(0);
      }
    },
    async sealSecret(purpose, secret) {
      return seal(await derivedPlatformKey(), secret, secretAad(purpose));
    },
    async openSecret(purpose, sealed) {
      return open(await derivedPlatformKey(), sealed, secretAad(purpose));
    },
    async sealMeta(keyholder, purpose, plaintext) {
      return seal(await mailboxKey(keyholder), plaintext, metaAad(purpose));
    },
    async openMeta(keyholder, purpose, sealed) {
      return open(await mailboxKey(keyholder), sealed, metaAad(purpose));
    },
    async open(mailbox, documentId, wrappedKey, ciphertext) {
      const contentKey = open(await mailboxKey(mailbox), wrappedKey, contentKeyAad(documentId));
      try {
        return open(contentKey, ciphertext, documentAad(documentId));
      } finally {
        contentKey.fill(0);
      }
    },
  };
}

export const nodeHasher: Hasher = {
  sha256Hex: (data) => createHash('sha256').update(data).digest('hex'),
  hmacSha256Hex: (key, data) => createHmac('sha256', key).update(data).digest('hex'),
};

export const nodeRandom = { token: (bytes: number) => randomBytes(bytes).toString('base64url') };
