/**
 * What an operator sees when the database cannot be used: a PostgreSQL that takes the connection
 * but never answers fails in bounded time, and a schema migrated by a newer version says so.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgresStore, openSqliteStore } from '../src/index.js';

describe('a database that cannot be used', () => {
  let silent: Server;
  let port = 0;
  let dir: string;
  beforeAll(async () => {
    // Accepts connections and says nothing, as a firewall dropping the answers would.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as { port: number }).port;
    dir = await mkdtemp(join(tmpdir(), 'postkasse-startup-'));
  });
  afterAll(async () => {
    silent.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives up on a PostgreSQL that never answers, instead of waiting for ever', async () => {
    const started = Date.now();
    await expect(
      openPostgresStore(`postgres://postgres@127.0.0.1:${port}/postgres`, { connectTimeoutMs: 300 }),
    ).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('names a schema brought up to date by a newer version, rather than a failed migration', async () => {
    const file = join(dir, 'newer.sqlite');
    await (await openSqliteStore(file)).close();
    const db = new SQLite(file);
    db.prepare(`insert into kysely_migration (name, timestamp) values ('999-from-the-future', '2030-01-01')`).run();
    db.close();
    await expect(openSqliteStore(file)).rejects.toThrow(
      /brought up to date by a newer version of Postkasse \(it has migration 999-from-the-future/,
    );
  });
});
