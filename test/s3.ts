/**
 * An S3-compatible service for tests: s3rver, which answers S3's HTTP API (signed requests,
 * buckets, objects, listings) from a temporary directory. It stands in for the object storage an
 * operator runs (AWS S3, MinIO, Ceph), which tests cannot reach; the platform's side, the AWS SDK
 * speaking HTTP to it, is the real one.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's fixed credentials: it checks the signature made with them. */
export const s3Credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export type TestS3 = {
  endpoint: string;
  bucket: string;
  /** The environment a server needs to use this bucket (without POSTKASSE_BLOB_STORE's prefix). */
  env(prefix: string): Record<string, string>;
  /** Every object's name and bytes, read from s3rver's directory. */
  objects(): Promise<Array<{ name: string; bytes: Buffer }>>;
  /** Stops answering (connections are refused) until `start` again, with the objects kept. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

export async function startTestS3(bucket = 'postkasse-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'postkasse-s3-'));
  let port = 0;
  let server: S3rver | null = null;
  const start = async () => {
    server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    port = (await server.run()).port;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await server?.close();
    server = null;
  };
  return {
    endpoint,
    bucket,
    env: (prefix) => ({
      POSTKASSE_BLOB_STORE: `s3://${bucket}/${prefix}`,
      POSTKASSE_S3_ENDPOINT: endpoint,
      AWS_ACCESS_KEY_ID: s3Credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3Credentials.secretAccessKey,
    }),
    async objects() {
      // s3rver keeps an object's bytes in `<bucket>/<name>._S3rver_object`.
      const root = join(directory, bucket);
      const entries = await readdir(root, { recursive: true }).catch(() => [] as string[]);
      const suffix = '._S3rver_object';
      return Promise.all(
        entries
          .filter((e) => e.endsWith(suffix) && !e.endsWith(`${suffix}.md5`))
          .map(async (e) => ({ name: e.slice(0, -suffix.length), bytes: await readFile(join(root, e)) })),
      );
    },
    stop,
    start,
    async close() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
