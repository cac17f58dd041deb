import { randomBytes } from 'node:crypto';

const BLOCK_BYTES = 4096;
let block = randomBytes(BLOCK_BYTES);
let offset = 0;

/**
 * `n` cryptographically secure random bytes (OpenSSL's CSPRNG, as `randomBytes`), drawn from a
 * block fetched 4 KiB at a time. Every call of `randomBytes` costs 10–20 µs of main-thread time
 * whatever its size, and a letter needs several (ids, content key, IVs). Each byte is handed out
 * once and a block is never refilled in place, so what a caller holds is never changed under it.
 */
export function secureRandomBytes(n: number): Buffer {
  if (n > BLOCK_BYTES / 4) return randomBytes(n);
  if (offset + n > BLOCK_BYTES) {
    block = randomBytes(BLOCK_BYTES);
    offset = 0;
  }
  const out = block.subarray(offset, offset + n);
  offset += n;
  return out;
}
