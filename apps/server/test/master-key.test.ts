/**
 * The master key given at start must be the one the data was written with: a wrong key, or a
 * missing key file beside a database that holds mailboxes, is refused before anything is written,
 * instead of failing every read of a letter later.
 */
import { randomBytes } from 'node:crypto';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerPerson } from '@postkasse/core';
import { createContext, loadConfig } from '@postkasse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people } from '../../../test/harness.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';

for (const dialect of await testDialects()) {
  describe(`the master key is checked against the data at start (${dialect})`, () => {
    let dataDir: string;
    let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
    const env = (over: Record<string, string> = {}) => ({
      POSTKASSE_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(db ? { DATABASE_URL: db.url } : {}),
      ...over,
    });

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'postkasse-key-'));
      db = dialect === 'postgres' ? await createTestDatabase() : null;
      const ctx = await createContext(loadConfig(env()));
      await registerPerson(ctx.deps, { nationalId: people.kari, name: 'Kari' });
      await ctx.close();
    });
    afterAll(async () => {
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it('control: the key the data was written with opens it again', async () => {
      const ctx = await createContext(loadConfig(env()));
      await ctx.close();
    });

    it('refuses another key given in POSTKASSE_MASTER_KEY, naming where it came from', async () => {
      const other = randomBytes(32).toString('base64');
      await expect(createContext(loadConfig(env({ POSTKASSE_MASTER_KEY: other })))).rejects.toThrow(
        /POSTKASSE_MASTER_KEY.*does not open this database's mailbox keys/,
      );
    });

    it('says that the right key file is readable by others, rather than calling it another key', async () => {
      const copy = await mkdtemp(join(tmpdir(), 'postkasse-key-mode-'));
      try {
        await cp(dataDir, copy, { recursive: true });
        await chmod(join(copy, 'keys', 'master.key'), 0o644);
        await expect(createContext(loadConfig(env({ POSTKASSE_DATA_DIR: copy })))).rejects.toThrow(
          /master\.key is readable by others \(mode 644\); chmod 600 it/,
        );
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });

    it('refuses to make a new key file beside a database that holds mailboxes', async () => {
      // The same data without its key file: a command run with the key elsewhere.
      const copy = await mkdtemp(join(tmpdir(), 'postkasse-key-copy-'));
      try {
        await cp(dataDir, copy, { recursive: true });
        await rm(join(copy, 'keys', 'master.key'));
        const config = loadConfig(env({ POSTKASSE_DATA_DIR: copy }));
        await expect(createContext(config)).rejects.toThrow(/No master key at .*master\.key.*already holds mailboxes/);
        expect(await readdir(join(copy, 'keys'))).not.toContain('master.key');
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });

    it('takes any key for a database without mailboxes yet', async () => {
      const fresh = await mkdtemp(join(tmpdir(), 'postkasse-key-fresh-'));
      const freshDb = dialect === 'postgres' ? await createTestDatabase() : null;
      try {
        const ctx = await createContext(
          loadConfig({
            POSTKASSE_DATA_DIR: fresh,
            LOG_LEVEL: 'silent',
            POSTKASSE_MASTER_KEY: randomBytes(32).toString('base64'),
            ...(freshDb ? { DATABASE_URL: freshDb.url } : {}),
          }),
        );
        await ctx.close();
      } finally {
        await freshDb?.drop();
        await rm(fresh, { recursive: true, force: true });
      }
    });
  });
}
