import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import {
  BLOB_KEY,
  type BlobBackend,
  BlobStoreUnavailable,
  blobMissing,
  checkBlobKey,
  shardOf,
} from './blob-backend.js';

export type S3BlobStoreOptions = {
  bucket: string;
  /** Put before every object's name, e.g. `postkasse/`: several installations may share a bucket. */
  prefix?: string;
  /** An S3-compatible service's address (MinIO, Ceph, a cloud's object storage); AWS when absent. */
  endpoint?: string;
  /** The bucket's region; the SDK's own settings (AWS_REGION) when absent, else us-east-1. */
  region?: string;
  /** `https://host/bucket/key` instead of `https://bucket.host/key` (most S3-compatible services). */
  forcePathStyle?: boolean;
  /**
   * Credentials for this store only (tests). Absent: the SDK's usual sources, so that the
   * operator's secrets stay out of our configuration (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
   * a profile, a web identity or the machine's role).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** How long one request may take before it counts as failed (and is tried again). */
  requestTimeoutMs?: number;
};

/** How long /readyz waits for the store's write and delete. */
const PROBE_TIMEOUT_MS = 5_000;

const PREFIX = /^([A-Za-z0-9._-]+\/)*$/;

type S3Failure = { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };

/**
 * Blobs as objects of an S3 bucket: `<prefix><last two hex digits>/<key>`, so that writes spread
 * over 256 key prefixes (S3 scales its request rate per prefix, and time-ordered keys would all
 * land on the newest one). A put resolves when the service has answered 200, that is when the
 * object is durably stored; its Content-MD5 lets the service refuse bytes damaged on the way
 * (the content is AES-GCM sealed too, so damage at rest is caught when it is read). Keys are never
 * reused, so a put needs no condition. Every failure other than a missing object (a service that
 * does not answer, refuses our credentials or is throttling) is `BlobStoreUnavailable`: the
 * request that met it was not at fault, and it answers 503.
 */
export async function openS3BlobStore(options: S3BlobStoreOptions): Promise<BlobBackend> {
  const prefix = options.prefix ?? '';
  if (!PREFIX.test(prefix) || prefix.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`The S3 prefix ${JSON.stringify(prefix)} must be empty or end with "/", of letters, digits, . _ -`);
  }
  // Loaded only by installations that use it: the SDK costs ~0.2 s and ~20 MB to load.
  const {
    DeleteObjectCommand,
    GetObjectCommand,
    HeadBucketCommand,
    HeadObjectCommand,
    ListObjectsV2Command,
    PutObjectCommand,
    S3Client,
  } = await import('@aws-sdk/client-s3');
  const bucket = options.bucket;
  const location = `s3://${bucket}/${prefix}`;
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: options.forcePathStyle,
    credentials: options.credentials,
    // Checksums only where S3 requires them: the streamed checksum trailers the SDK sends
    // otherwise are not understood by many S3-compatible services. Puts carry Content-MD5.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  });

  const failure = (error: unknown, action: string, key?: string): Error => {
    const e = error as S3Failure;
    const status = e?.$metadata?.httpStatusCode;
    // A missing object, not a missing bucket (also 404): that is the store's fault, not the key's.
    if (key && (e?.name === 'NoSuchKey' || (status === 404 && e?.name !== 'NoSuchBucket'))) {
      return blobMissing(key, error);
    }
    const why = status ? `${e.name ?? 'error'} (HTTP ${status})` : (e?.message ?? String(error));
    return new BlobStoreUnavailable(`The blob store at ${location} could not ${action}: ${why}`, { cause: error });
  };
  const objectOf = (key: string) => `${prefix}${shardOf(checkBlobKey(key))}/${key}`;

  async function putObject(name: string, data: Uint8Array, action: string, signal?: AbortSignal): Promise<void> {
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: name,
          Body: data,
          ContentLength: data.byteLength,
          ContentMD5: createHash('md5').update(data).digest('base64'),
          ContentType: 'application/octet-stream',
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw failure(error, action);
    }
  }
  async function getObject(name: string, key: string): Promise<Uint8Array> {
    try {
      const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: name }));
      if (!answer.Body) throw blobMissing(key);
      return await answer.Body.transformToByteArray();
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOENT') throw error;
      throw failure(error, `read ${name}`, key);
    }
  }
  async function deleteObject(name: string, signal?: AbortSignal): Promise<void> {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: name }), { abortSignal: signal });
    } catch (error) {
      throw failure(error, `delete ${name}`);
    }
  }
  const markerName = `${prefix}.installation`;
  let bucketSeen = false;
  async function bucketExists(): Promise<void> {
    if (bucketSeen) return;
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
      bucketSeen = true;
    } catch (error) {
      throw failure(error, 'find its bucket');
    }
  }

  async function sizeOf(key: string): Promise<number | null> {
    const name = objectOf(key);
    try {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: name }));
      return head.ContentLength ?? 0;
    } catch (error) {
      const e = failure(error, `look for ${name}`, key);
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      // A HEAD's 404 has no body to tell a missing object from a missing bucket: ask once.
      await bucketExists();
      return null;
    }
  }

  return {
    location,
    async put(key, data) {
      const name = objectOf(key);
      await putObject(name, data, `store ${name}`);
    },
    async get(key) {
      return getObject(objectOf(key), key);
    },
    async delete(key) {
      await deleteObject(objectOf(key));
    },
    async has(key) {
      return (await sizeOf(key)) !== null;
    },
    size: sizeOf,
    async *listOlderThan(olderThan) {
      const name = /^([0-9a-f]{2})\/(.+)$/;
      let token: string | undefined;
      do {
        let page: ListObjectsV2CommandOutput;
        try {
          page = await client.send(
            new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }),
          );
        } catch (error) {
          throw failure(error, 'list its objects');
        }
        for (const object of page.Contents ?? []) {
          const match = name.exec((object.Key ?? '').slice(prefix.length));
          const key = match?.[2];
          if (!key || !BLOB_KEY.test(key) || shardOf(key) !== match[1]) continue;
          if (object.LastModified && object.LastModified < olderThan) yield key;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async readMarker() {
      try {
        return Buffer.from(await getObject(markerName, markerName))
          .toString('utf8')
          .trim();
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return null;
        throw error;
      }
    },
    writeMarker: (installationId) => putObject(markerName, Buffer.from(`${installationId}\n`), `store ${markerName}`),
    async probe() {
      // A readiness check answers within seconds: no retries of 30 s requests behind it.
      const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
      const name = `${prefix}.ready-${hostname()}-${process.pid}`;
      await putObject(name, Buffer.from('ok'), 'take a write', signal);
      await deleteObject(name, signal);
    },
    async close() {
      client.destroy();
    },
  };
}
