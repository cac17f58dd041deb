/**
 * What the format mappers produce: the core's LetterInput plus `deliverAt`, which the core model
 * is getting as an optional field (ISO-8601 UTC; the letter becomes visible then, not before).
 */
import type { LetterInput } from '@postkasse/core';

export type MappedLetter = LetterInput & { deliverAt?: string | undefined };

/** Decodes strict base64 (already validated) into a plain Uint8Array. */
export function fromBase64(value: string): Uint8Array {
  const buf = Buffer.from(value, 'base64');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** `YYYY-MM-DD` (optionally with a zone suffix, which is ignored) → the start of that day, UTC. */
export function startOfDayUtc(date: string): string {
  return `${date.slice(0, 10)}T00:00:00.000Z`;
}
