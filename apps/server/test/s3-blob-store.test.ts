/**
 * An installation whose documents live in an S3 bucket (POSTKASSE_BLOB_STORE=s3://…), as its
 * processes on several machines share them: letters travel end to end with only sealed bytes in
 * the bucket, the bucket is marked with its installation, the orphan sweep works on it, and an
 * object store that does not answer makes the server unready and its answers 503, with nothing
 * half-stored.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listLetters, openDocument, sweepOrphanBlobs } from '@postkasse/core';
import { createContext, loadConfig } from '@postkasse/server';
import { openS3BlobStore } from '@postkasse/storage';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  api,
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  storedBlobs,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';
import { s3Credentials, startTestS3, type TestS3 } from '../../../test/s3.js';
import { freePort, runCliProcess } from '../../../test/spawn-server.js';

/** What an operator's command beside `server` needs to use the bucket under `prefix`. */
function commandEnv(server: TestServer, s3: TestS3, prefix: string): Record<string, string> {
  return {
    LOG_LEVEL: 'silent',
    POSTKASSE_DATA_DIR: server.dataDir,
    POSTKASSE_BLOB_INLINE_MAX_BYTES: '0',
    ...(server.ctx.config.databaseUrl ? { DATABASE_URL: server.ctx.config.databaseUrl } : {}),
    ...s3.env(prefix),
  };
}

describe.each(await testDialects())('documents in an S3 bucket (%s)', (dialect) => {
  let s3: TestS3;
  let server: TestServer;
  let apiKey: string;
  let mailboxId: string;
  const prefix = `${dialect}/`;
  const inBucket = async () => (await s3.objects()).filter((o) => o.name.startsWith(prefix));

  beforeAll(async () => {
    s3 = await startTestS3();
    const env = s3.env(prefix);
    // The AWS SDK takes its credentials from the process's environment, as an operator gives them.
    vi.stubEnv('AWS_ACCESS_KEY_ID', env.AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', env.AWS_SECRET_ACCESS_KEY);
    // Every document an object, also on SQLite (which keeps small ones in the database by default).
    server = await startTestServer(dialect, { ...env, POSTKASSE_BLOB_INLINE_MAX_BYTES: '0' });
    apiKey = (await server.sender('public')).apiKey;
    mailboxId = (await server.person(people.kari)).mailboxId;
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
    vi.unstubAllEnvs();
  });

  const pdfWith = (marker: string) =>
    Buffer.from(`%PDF-1.4\n% ${marker}\n${'personopplysninger '.repeat(500)}\n%%EOF\n`);

  /** The main document of a letter in Kari's mailbox: the newest unless one is named. */
  async function readMain(letterId?: string) {
    const token = await server.token(people.kari);
    const newest = async () =>
      (await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages`)).body.items[0].id as string;
    letterId ??= await newest();
    const detail = await api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}`);
    expect(detail.status).toBe(200);
    const doc = detail.body.documents[0];
    return api(server, token, 'GET', `/api/v1/mailboxes/${mailboxId}/messages/${letterId}/documents/${doc.id}/content`);
  }

  it('keeps sealed objects only, under the prefix, and the owner reads the PDF back byte-identical', async () => {
    const marker = `KONFIDENSIELT-${randomUUID()}`;
    const pdf = pdfWith(marker);
    const sent = await sendLetterHttp(server, apiKey, letterJson(), [
      { name: 'main', content: pdf, type: 'application/pdf' },
    ]);
    expect(sent.status).toBe(201);
    const objects = await inBucket();
    const documents = objects.filter((o) => !o.name.endsWith('.installation'));
    expect(documents).toHaveLength(1);
    expect(documents[0]?.name).toMatch(new RegExp(`^${prefix}[0-9a-f]{2}/[0-9a-f-]{36}$`));
    for (const o of objects) {
      expect(o.bytes.includes(Buffer.from(marker)), o.name).toBe(false);
      expect(o.bytes.includes(Buffer.from('personopplysninger personopplysninger')), o.name).toBe(false);
    }
    // The bucket, not the data dir, holds the documents.
    expect(await readdir(server.dataDir)).not.toContain('blobs');
    const installation = await server.ctx.deps.store.read.installation.get();
    expect(
      objects
        .find((o) => o.name === `${prefix}.installation`)
        ?.bytes.toString()
        .trim(),
    ).toBe(installation?.id);

    const content = await readMain();
    expect(content.status).toBe(200);
    expect(Buffer.from(content.body).equals(pdf)).toBe(true);
  });

  it('sweeps objects no document points at, and keeps those that one does', async () => {
    const orphan = randomUUID();
    await server.ctx.blobBackend.put(orphan, Buffer.from('left by a crash before the commit'));
    const before = await storedBlobs(server);
    expect(before).toContain(orphan);
    const later = { now: () => new Date(Date.now() + 2 * 3600_000) };
    const swept = await sweepOrphanBlobs({ ...server.ctx.deps, clock: later });
    expect(swept).toEqual({ examined: before.length, deleted: 1 });
    expect(await storedBlobs(server)).toEqual(before.filter((k) => k !== orphan));
  });

  it('is not ready and answers 503 while the object store is down, storing nothing; then goes on', async () => {
    const first = (await api(server, await server.token(people.kari), 'GET', `/api/v1/mailboxes/${mailboxId}/messages`))
      .body.items[0].id as string;
    const letter = letterJson();
    const pdf = pdfWith('while down');
    await s3.stop();
    try {
      const ready = await fetch(`${server.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ code: 'service_unavailable', retryable: true });
      const refused = await sendLetterHttp(server, apiKey, letter, [
        { name: 'main', content: pdf, type: 'application/pdf' },
      ]);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'service_unavailable', retryable: true });
      const status = await fetch(`${server.url}/api/v1/messages/${letter.id}`, {
        headers: { authorization: `Bearer ${apiKey}` },
      });
      expect(status.status).toBe(404);
      // A stored document cannot be read just now: retryable, not "missing".
      const reading = await readMain(first);
      expect(reading.status).toBe(503);
      expect(reading.body).toMatchObject({ code: 'service_unavailable', retryable: true });
    } finally {
      await s3.start();
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const again = await sendLetterHttp(server, apiKey, letter, [
      { name: 'main', content: pdf, type: 'application/pdf' },
    ]);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(Buffer.from((await readMain()).body).equals(pdf)).toBe(true);
  });

  it("refuses to start a new installation on another installation's prefix", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'postkasse-s3-other-'));
    try {
      await expect(
        createContext(loadConfig({ LOG_LEVEL: 'silent', POSTKASSE_DATA_DIR: dataDir, ...s3.env(prefix) })),
      ).rejects.toThrow(
        new RegExp(`blob store at s3://${s3.bucket}/${prefix} belongs to installation .* but this database is`),
      );
      // Its own prefix is its own.
      const other = await createContext(
        loadConfig({ LOG_LEVEL: 'silent', POSTKASSE_DATA_DIR: dataDir, ...s3.env('another/') }),
      );
      await other.close();
      expect((await s3.objects()).map((o) => o.name)).toContain('another/.installation');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("verifies that every document's blob is there, and names the letter whose blob went missing", async () => {
    const env = commandEnv(server, s3, prefix);
    const verify = async () => {
      const res = await runCliProcess(['admin', 'blobs', 'verify', '--json'], env, 60_000);
      return { code: res.code, result: JSON.parse(res.stdout), stderr: res.stderr };
    };
    const good = await verify();
    expect(good.code, good.stderr).toBe(0);
    expect(good.result).toMatchObject({ ok: true, store: `s3://${s3.bucket}/${prefix}`, missingCount: 0, missing: [] });
    expect(good.result.blobs).toBeGreaterThanOrEqual(2);
    const [row] = await rawStatement<{ blob_key: string; letter_id: string; id: string }>(
      server,
      'select blob_key, letter_id, id from documents order by blob_key limit 1',
    );
    await server.ctx.blobBackend.delete(row?.blob_key ?? '');
    const bad = await verify();
    expect(bad.code).toBe(1);
    expect(bad.result).toMatchObject({
      ok: false,
      blobs: good.result.blobs,
      missingCount: 1,
      missing: [{ blobKey: row?.blob_key, documents: [{ documentId: row?.id, letterId: row?.letter_id }] }],
    });
  });
});

describe('postkasse serve with an S3 bucket it cannot use', () => {
  it('stops at start with one line naming the store and what to check', async () => {
    const s3 = await startTestS3();
    const dataDir = await mkdtemp(join(tmpdir(), 'postkasse-s3-serve-'));
    try {
      const env = { POSTKASSE_DATA_DIR: dataDir, PORT: String(await freePort()), LOG_LEVEL: 'warn' };
      const missing = await runCliProcess(['serve'], {
        ...env,
        ...s3.env('x/'),
        POSTKASSE_BLOB_STORE: 's3://no-such-bucket/x',
      });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(
        /^error: The blob store at s3:\/\/no-such-bucket\/x\/ could not read x\/\.installation: NoSuchBucket \(HTTP 404\) \(POSTKASSE_BLOB_STORE, .*\)$/m,
      );
      await s3.stop();
      const down = await runCliProcess(['serve'], { ...env, ...s3.env('x/') });
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(
        /^error: The blob store at s3:\/\/postkasse-test\/x\/ could not read .*ECONNREFUSED/m,
      );
      // Nothing was written into the data dir's place for blobs.
      expect(await readdir(dataDir)).not.toContain('blobs');
    } finally {
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(await testDialects())('moving an installation from its blob directory to S3 (%s)', (dialect) => {
  let s3: TestS3;
  let server: TestServer;
  const pdfs: Buffer[] = [];

  beforeAll(async () => {
    s3 = await startTestS3();
    vi.stubEnv('AWS_ACCESS_KEY_ID', s3.env('').AWS_ACCESS_KEY_ID);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', s3.env('').AWS_SECRET_ACCESS_KEY);
    // Every document a file in the data dir's blobs/, as on PostgreSQL by default.
    server = await startTestServer(dialect, { POSTKASSE_BLOB_INLINE_MAX_BYTES: '0' });
  });
  afterAll(async () => {
    await server?.close();
    await s3?.close();
    vi.unstubAllEnvs();
  });

  const movedEnv = () => commandEnv(server, s3, 'moved/');
  const copy = async (from: string, final = false) => {
    const args = ['admin', 'blobs', 'copy', '--from', from, ...(final ? ['--all-processes-stopped'] : []), '--json'];
    const res = await runCliProcess(args, movedEnv(), 60_000);
    return { ...res, result: res.code === 0 ? JSON.parse(res.stdout) : null };
  };

  it('copies the documents while the old store serves, then again what came since; the moved installation reads them all', async () => {
    const { apiKey } = await server.sender('public');
    const { mailboxId } = await server.person(people.kari);
    const send = async (i: number) => {
      const pdf = Buffer.from(`%PDF-1.4\n% letter ${i} ${randomUUID()}\n%%EOF\n`);
      pdfs.push(pdf);
      const sent = await sendLetterHttp(server, apiKey, letterJson(), [
        { name: 'main', content: pdf, type: 'application/pdf' },
      ]);
      expect(sent.status).toBe(201);
    };
    for (let i = 0; i < 3; i++) await send(i);

    // Pointed at the bucket before the documents are there, a process refuses to start.
    await expect(createContext(loadConfig(movedEnv()))).rejects.toThrow(
      /blob store at s3:\/\/postkasse-test\/moved\/ holds none of the newest 3 of this database's documents: .*admin blobs copy/,
    );
    const blobDir = join(server.dataDir, 'blobs');
    const first = await copy(blobDir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.result).toMatchObject({
      from: blobDir,
      to: 's3://postkasse-test/moved/',
      found: 3,
      copied: 3,
      present: 0,
      marked: false,
    });
    await send(3);
    // A copy made while letters still came is not taken as done: the newest letter is not there.
    await expect(createContext(loadConfig(movedEnv()))).rejects.toThrow(/holds only 3 of the newest 4/);
    // One object as a copy of a file still being written would have left it: cut short.
    const bucketStore = await openS3BlobStore({
      bucket: s3.bucket,
      prefix: 'moved/',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3Credentials,
    });
    const [someKey] = await storedBlobs(server);
    const whole = Buffer.from(await bucketStore.get(someKey ?? ''));
    await bucketStore.put(someKey ?? '', whole.subarray(0, 10));
    await bucketStore.close();

    const last = await copy(blobDir, true);
    expect(last.result).toMatchObject({ found: 4, copied: 2, replaced: 1, present: 2, vanished: 0, marked: true });
    const installation = await server.ctx.deps.store.read.installation.get();
    const objects = (await s3.objects()).filter((o) => o.name.startsWith('moved/'));
    expect(
      objects
        .find((o) => o.name === 'moved/.installation')
        ?.bytes.toString()
        .trim(),
    ).toBe(installation?.id);
    expect(objects.filter((o) => !o.name.endsWith('.installation'))).toHaveLength(4);

    // The old servers stop; the installation starts on the bucket and every letter reads back.
    await server.app.close();
    const moved = await createContext(loadConfig(movedEnv()));
    try {
      const owner = { kind: 'person' as const, nationalId: people.kari, authLevel: 'high' as const };
      const letters = await listLetters(moved.deps, owner, mailboxId, { folder: null, after: null, limit: 10 });
      expect(letters.items).toHaveLength(4);
      const read: Buffer[] = [];
      for (const letter of letters.items) {
        const main = (await moved.deps.store.read.documents.listByLetter(letter.letter.id)).find(
          (d) => d.role === 'main',
        );
        const doc = await openDocument(moved.deps, owner, mailboxId, letter.letter.id, main?.id ?? '');
        read.push(Buffer.from(doc.content));
      }
      expect(read.map((b) => b.toString()).sort()).toEqual(pdfs.map((b) => b.toString()).sort());
    } finally {
      await moved.close();
    }
  });

  it('refuses what is not a blob directory, or one of another installation', async () => {
    const missing = await copy(join(server.dataDir, 'no-such-dir'));
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/no-such-dir is not a directory of blobs/);
    const other = await mkdtemp(join(tmpdir(), 'postkasse-other-blobs-'));
    try {
      await writeFile(join(other, '.installation'), `${randomUUID()}\n`);
      const refused = await copy(other);
      expect(refused.code).toBe(1);
      expect(refused.stdout + refused.stderr).toMatch(/belong to installation .*, not to this database's/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
