/**
 * What the store warns about reaches the server's log as a JSON line (context.ts onStoreWarning),
 * not as a bare Node warning on stderr: a PostgreSQL connection closed under an idle pool is
 * logged at warn and the server goes on answering.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, createTestDatabase, postgresAvailable } from '../../../test/postgres.js';
import { type ServerProcess, spawnServer } from '../../../test/spawn-server.js';

describe.skipIf(!(await postgresAvailable()))('store warnings in the server log (postgres)', () => {
  let dataDir: string;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let server: ServerProcess;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'postkasse-warn-'));
    db = await createTestDatabase();
    server = await spawnServer({ POSTKASSE_DATA_DIR: dataDir, DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs a connection the database closed as a JSON warning, and still answers', async () => {
    const name = new URL(db.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      const closed = await admin.query(
        'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
        [name],
      );
      expect(closed.rowCount).toBeGreaterThan(0);
    } finally {
      await admin.end();
    }
    const deadline = Date.now() + 10_000;
    while (!server.output().includes('PostgreSQL connection lost') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = server
      .output()
      .split('\n')
      .find((l) => l.includes('PostgreSQL connection lost'));
    expect(line, server.output()).toBeDefined();
    expect(JSON.parse(line as string)).toMatchObject({ level: 40, store: 'postgres' });
    expect(server.output()).not.toContain('Warning: PostgreSQL');
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
});
