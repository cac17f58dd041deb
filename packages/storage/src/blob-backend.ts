import type { BlobStore } from '@postkasse/core';

/**
 * Where an installation keeps its sealed documents outside the database: a directory of files
 * (the embedded default) or an S3 bucket (several processes on several machines). Beside the
 * blobs it keeps the installation's id, so that a process pointed at another installation's
 * blobs refuses to start (apps/server/src/installation.ts).
 */
export type BlobBackend = BlobStore & {
  /** Where the blobs are, for the operator's messages: a directory, or `s3://bucket/prefix`. */
  readonly location: string;
  /** Whether the blob is there, without reading it. */
  has(key: string): Promise<boolean>;
  /** The blob's size in bytes, or null when it is not there. */
  size(key: string): Promise<number | null>;
  /** The installation id kept beside the blobs, or null when none is kept yet. */
  readMarker(): Promise<string | null>;
  writeMarker(installationId: string): Promise<void>;
  /** Writes and removes a small object: resolves only when the store takes writes now (readiness). */
  probe(): Promise<void>;
  close(): Promise<void>;
};

/** Blob keys are UUIDs the platform chooses, never a client: anything else is refused. */
export const BLOB_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function checkBlobKey(key: string): string {
  if (!BLOB_KEY.test(key)) throw new Error('invalid blob key');
  return key;
}

/**
 * The shard a blob goes in: the key's last two hex digits. Those are random in every UUID the
 * platform makes (the first ones of a time-ordered UUIDv7 are the time, and would put every blob
 * of a decade in one shard).
 */
export const shardOf = (key: string): string => key.slice(-2);

/** An error saying the blob store cannot be used just now (a 503 for the client, retryable). */
export class BlobStoreUnavailable extends Error {
  readonly code = 'BLOB_STORE_UNAVAILABLE';
}

/** The error a `get` of a blob that is not there rejects with (the code a missing file has). */
export function blobMissing(key: string, cause?: unknown): Error {
  return Object.assign(new Error(`blob ${key} does not exist`, { cause }), { code: 'ENOENT' });
}
