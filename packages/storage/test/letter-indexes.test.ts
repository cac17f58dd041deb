import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { type CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { migrateToLatest } from '../src/index.js';
import { createRepositories } from '../src/repositories/index.js';
import type { Database } from '../src/schema/index.js';

const dialects = await testDialects();

/**
 * The partial indexes of letters (migration 011) serve only the queries that name their
 * condition the same way: these run the repositories' own queries (as compiled) under EXPLAIN.
 * On PostgreSQL sequential scans are switched off, so the plan shows the index whenever it can
 * be used at all, whatever the (empty) table's statistics say.
 */
describe.each(dialects)('partial letter indexes (%s)', (dialect) => {
  let db: Kysely<Database>;
  let explain: (query: CompiledQuery) => Promise<string>;
  let cleanup: () => Promise<void>;
  const queries: CompiledQuery[] = [];
  const log = (event: { query: CompiledQuery }) => {
    queries.push(event.query);
  };

  beforeAll(async () => {
    if (dialect === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'pk-indexes-'));
      const conn = new SQLite(join(dir, 'db.sqlite'));
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database: conn }), log });
      explain = async (q) =>
        conn
          .prepare(`explain query plan ${q.sql}`)
          .all(...(q.parameters as unknown[]))
          .map((r) => (r as { detail: string }).detail)
          .join('\n');
      cleanup = async () => {
        await db.destroy();
        await rm(dir, { recursive: true, force: true });
      };
    } else {
      const database = await createTestDatabase();
      const pool = new pg.Pool({ connectionString: database.url, max: 1 });
      db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
      explain = async (q) => {
        const client = await pool.connect();
        try {
          await client.query('set enable_seqscan = off');
          const res = await client.query(`explain ${q.sql}`, q.parameters as unknown[]);
          return res.rows.map((r: Record<string, string>) => Object.values(r)[0]).join('\n');
        } finally {
          client.release();
        }
      };
      cleanup = async () => {
        await db.destroy();
        await database.drop();
      };
    }
    await migrateToLatest(db, dialect);
  });
  afterAll(() => cleanup());

  const lastQuery = () => {
    const q = queries.at(-1);
    if (!q) throw new Error('no query ran');
    return q;
  };

  it("finds a recipient's held letters through letters_held", async () => {
    const repos = createRepositories({ db, dialect });
    expect(await repos.letters.listHeld('person', '12858510129', null)).toEqual([]);
    expect(await explain(lastQuery())).toContain('letters_held');
  });

  it("counts a batch's letters through letters_batch", async () => {
    const repos = createRepositories({ db, dialect });
    expect(await repos.batches.counts('00000000-0000-7000-8000-000000000000')).toEqual({});
    expect(await explain(lastQuery())).toContain('letters_batch');
  });
});
