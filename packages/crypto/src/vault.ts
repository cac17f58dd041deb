import { createHash, randomBytes } from 'node:crypto';
import type { Hasher, Vault } from '@postkasse/core';
import { KEY_BYTES, open, seal, sealOffThread } from './envelope.js';
import type { KeyProvider } from './master-key.js';

const mailboxAad = (mailboxId: string) => `postkasse:mailbox-key:${mailboxId}`;
const contentKeyAad = (documentId: string) => `postkasse:content-key:${documentId}`;
const documentAad = (documentId: string) => `postkasse:document:${documentId}`;

/**
 * The vault: mailbox keys wrapped by the master key, one random content key per document
 * wrapped by the mailbox key. Unwrapped mailbox keys are cached briefly in memory.
 */
export function createVault(keys: KeyProvider, options: { cacheSize?: number } = {}): Vault {
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, Buffer>();

  async function mailboxKey(mailbox: { id: string; wrappedKey: Uint8Array }): Promise<Buffer> {
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
      const contentKey = randomBytes(KEY_BYTES);
      const ciphertext = await sealOffThread(contentKey, plaintext, documentAad(documentId));
      const wrappedKey = seal(await mailboxKey(mailbox), contentKey, contentKeyAad(documentId));
      contentKey.fill(0);
      return { ciphertext, wrappedKey };
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
};

export const nodeRandom = { token: (bytes: number) => randomBytes(bytes).toString('base64url') };
