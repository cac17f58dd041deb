/**
 * AES-256-GCM envelope encryption. Every sealed value is `version(1) | iv(12) | ciphertext | tag(16)`
 * and is bound to its purpose by additional authenticated data, so a ciphertext moved to
 * another row (another document, another mailbox) fails to open.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { secureRandomBytes } from './random-pool.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  if (key.byteLength !== KEY_BYTES) throw new Error('AES-256 needs a 32-byte key');
  const iv = secureRandomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return Buffer.concat([Buffer.of(VERSION), iv, body, final, cipher.getAuthTag()]);
}

export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Buffer {
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (buf.byteLength < 1 + IV_BYTES + TAG_BYTES || buf[0] !== VERSION) {
    throw new Error('not a sealed value of a known version');
  }
  const iv = buf.subarray(1, 1 + IV_BYTES);
  const tag = buf.subarray(buf.byteLength - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(tag);
  const body = decipher.update(buf.subarray(1 + IV_BYTES, buf.byteLength - TAG_BYTES));
  return Buffer.concat([body, decipher.final()]);
}

/**
 * The same format as `seal`, computed by WebCrypto, which Node runs on its thread pool: large
 * documents are encrypted without holding up the event loop.
 */
export async function sealOffThread(key: Uint8Array, plaintext: Uint8Array, aad: string): Promise<Buffer> {
  if (key.byteLength !== KEY_BYTES) throw new Error('AES-256 needs a 32-byte key');
  const iv = secureRandomBytes(IV_BYTES);
  const cryptoKey = await globalThis.crypto.subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  const body = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: Buffer.from(aad, 'utf8'), tagLength: TAG_BYTES * 8 },
    cryptoKey,
    plaintext,
  );
  return Buffer.concat([Buffer.of(VERSION), iv, Buffer.from(body)]);
}
