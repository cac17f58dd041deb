/**
 * The parts of one installation (database, master key, blob store) are checked against each other
 * at start (apps/server/src/installation.ts): a process with a master key of its own, or a data
 * dir's blob store beside another database, is refused before it writes or sweeps anything.
 */
import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext, loadConfig } from '@postkasse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  storedBlobs,
  type TestServer,
} from '../../../test/harness.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';

const quiet = { LOG_LEVEL: 'silent' };

describe.each(await testDialects())('one installation (%s)', (dialect) => {
  let server: TestServer;
  let copy: string;
  let blobsBefore: string[];

  beforeAll(async () => {
    server = await startTestServer(dialect);
    const { apiKey } = await server.sender('public');
    await server.person(people.kari);
    // Larger than the database keeps inline: a file in the blob store.
    const big = Buffer.from(`%PDF-1.4\n${'x'.repeat(300_000)}\n%%EOF\n`);
    const sent = await sendLetterHttp(server, apiKey, letterJson(), [
      { name: 'main', content: big, type: 'application/pdf' },
    ]);
    expect(sent.status).toBe(201);
    blobsBefore = await storedBlobs(server);
    copy = await mkdtemp(join(tmpdir(), 'postkasse-installation-'));
    await cp(server.dataDir, copy, { recursive: true });
    // The data dir beside a database of its own: the embedded SQLite one, new, as a command run
    // without DATABASE_URL (or with another data dir) would make.
    for (const f of await readdir(copy)) if (f.startsWith('postkasse.sqlite')) await rm(join(copy, f));
  });
  afterAll(async () => {
    await server?.close();
    await rm(copy, { recursive: true, force: true });
  });

  it('marks the blob store with the installation it belongs to', async () => {
    const marker = (await readFile(join(server.dataDir, 'blobs', '.installation'), 'utf8')).trim();
    expect(marker).toBe((await server.ctx.deps.store.read.installation.get())?.id);
  });

  it("refuses another installation's blob store, and so sweeps none of its documents", async () => {
    await expect(createContext(loadConfig({ ...quiet, POSTKASSE_DATA_DIR: copy }))).rejects.toThrow(
      /blob store at .*blobs belongs to installation .* but this database is installation .*DATABASE_URL/,
    );
    // Without the mark (a store from before it was kept): this database knows none of its documents.
    await rm(join(copy, 'blobs', '.installation'));
    for (const f of await readdir(copy)) if (f.startsWith('postkasse.sqlite')) await rm(join(copy, f));
    await expect(createContext(loadConfig({ ...quiet, POSTKASSE_DATA_DIR: copy }))).rejects.toThrow(
      /blob store at .*blobs holds documents of which this database knows none/,
    );
    expect((await readdir(join(copy, 'blobs'), { recursive: true })).length).toBeGreaterThan(0);
    expect(await storedBlobs(server)).toEqual(blobsBefore);
    // The installation's own processes start as before.
    const again = await createContext(server.ctx.config);
    await again.close();
  });
});

describe.each(await testDialects())('the master key of a new installation (%s)', (dialect) => {
  let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
  const dirs: string[] = [];
  beforeAll(async () => {
    db = dialect === 'postgres' ? await createTestDatabase() : null;
  });
  afterAll(async () => {
    await db?.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('refuses a second process with a master key of its own, even before any mailbox exists', async () => {
    const first = await mkdtemp(join(tmpdir(), 'postkasse-first-'));
    dirs.push(first);
    const env = (key: string, dataDir: string) => ({
      ...quiet,
      POSTKASSE_DATA_DIR: dataDir,
      POSTKASSE_MASTER_KEY: key,
      ...(db ? { DATABASE_URL: db.url } : {}),
    });
    const key = randomBytes(32).toString('base64');
    await (await createContext(loadConfig(env(key, first)))).close();
    // PostgreSQL: another process with a data dir (and keys) of its own; SQLite: the same data dir.
    const second = dialect === 'postgres' ? await mkdtemp(join(tmpdir(), 'postkasse-second-')) : first;
    if (second !== first) dirs.push(second);
    await expect(createContext(loadConfig(env(randomBytes(32).toString('base64'), second)))).rejects.toThrow(
      /master key \(environment variable POSTKASSE_MASTER_KEY\) is not the one this database .* was set up with/,
    );
    if (second !== first) {
      // With the master key but keys of its own: its receipts would not verify at the others.
      await expect(createContext(loadConfig(env(key, second)))).rejects.toThrow(
        /No platform signing key at .* but this installation signs with .* the same keys directory/,
      );
      expect(await readdir(join(second, 'keys'))).not.toContain('platform-signing.jwk');
      await cp(join(first, 'keys'), join(second, 'keys'), { recursive: true });
    }
    await (await createContext(loadConfig(env(key, second)))).close();
  });
});
