import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared, rowPlaceholders } from '../src/repositories/prepared.js';
import type { RepoContext } from '../src/repositories/shared.js';
import type { Database } from '../src/schema/index.js';

describe('prepared queries', () => {
  let dir: string;
  let ctx: RepoContext;
  let statements: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-prepared-'));
    const conn = new SQLite(join(dir, 'db.sqlite'));
    conn.exec('create table cursors (name text primary key, tx text, seq integer, lease_until text)');
    statements = [];
    const db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: conn }),
      log: (event) => {
        if (event.level === 'query') statements.push(event.query.sql);
      },
    });
    ctx = { db, dialect: 'sqlite' };
  });
  afterAll(async () => {
    await ctx.db.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  const insertCursors = prepared((db, $, count, columns) =>
    db.insertInto('cursors').values(rowPlaceholders($, count, columns) as never),
  );
  const byName = prepared((db, $) =>
    db.selectFrom('cursors').selectAll().where('name', '=', $('name')).where('seq', '>=', 0),
  );

  it('runs a query built once with new values each time, keeping the constants it was built with', async () => {
    await insertCursors.executeRows(ctx, [{ name: 'a', tx: '1', seq: 1, lease_until: null }]);
    await insertCursors.executeRows(ctx, [
      { name: 'b', tx: '2', seq: 2, lease_until: null },
      { name: 'c', tx: '3', seq: -3, lease_until: 'x' },
    ]);
    expect((await byName.execute(ctx, { name: 'b' })).rows).toEqual([
      { name: 'b', tx: '2', seq: 2, lease_until: null },
    ]);
    expect((await byName.execute(ctx, { name: 'a' })).rows[0]?.tx).toBe('1');
    // The constant 0 stayed part of the query: c (seq -3) is not found.
    expect((await byName.execute(ctx, { name: 'c' })).rows).toEqual([]);
    expect(new Set(statements.filter((s) => s.startsWith('select'))).size).toBe(1);
    expect(statements.filter((s) => s.startsWith('insert'))).toHaveLength(2);
  });

  it('refuses to run without a value for every parameter', async () => {
    await expect(byName.execute(ctx, {})).rejects.toThrow(/no value for parameter name/);
    await expect(insertCursors.executeRows(ctx, [{ name: 'd', tx: '4', seq: 4 }])).rejects.toThrow(
      /no value for parameter 0:lease_until/,
    );
  });
});
