import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, postgresAvailable } from '../../../test/postgres.js';
import { nameRepeatedStatements } from '../src/pg-statements.js';

const available = await postgresAvailable();

describe.skipIf(!available)('repeated statements as named prepared statements (PostgreSQL)', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const pools: pg.Pool[] = [];

  /** One connection, so what it has prepared can be asked of it. */
  function pool(named: boolean, max = 200) {
    const p = new pg.Pool({ connectionString: database.url, max: 1 });
    if (named) nameRepeatedStatements(p, { max });
    pools.push(p);
    return p;
  }
  const prepared = async (p: pg.Pool) =>
    (await p.query('select name, statement from pg_prepared_statements order by name')).rows;

  beforeAll(async () => {
    database = await createTestDatabase();
    const p = pool(false);
    await p.query('create table t (id int primary key, v text)');
    await p.query("insert into t values (1, 'a'), (2, 'b')");
  });
  afterAll(async () => {
    for (const p of pools) await p.end();
    await database.drop();
  });

  it('names a statement the second time it runs; PostgreSQL keeps it, and it answers as before', async () => {
    const p = pool(true);
    const text = 'select * from t where id = $1';
    expect((await p.query(text, [1])).rows).toEqual([{ id: 1, v: 'a' }]);
    expect(await prepared(p)).toEqual([]);
    expect((await p.query(text, [2])).rows).toEqual([{ id: 2, v: 'b' }]);
    expect((await p.query(text, [3])).rows).toEqual([]);
    expect(await prepared(p)).toEqual([{ name: expect.stringMatching(/^postkasse_\d+$/), statement: text }]);
  });

  it('names at most as many texts as it is told', async () => {
    const p = pool(true, 2);
    for (const column of ['id', 'v', 'id + 1', 'length(v)']) {
      for (let i = 0; i < 3; i++) await p.query(`select ${column} as x from t where id = $1`, [1]);
    }
    expect((await prepared(p)).map((r) => r.statement)).toEqual([
      'select id as x from t where id = $1',
      'select v as x from t where id = $1',
    ]);
  });

  it('prepares nothing when off', async () => {
    const p = pool(false);
    for (let i = 0; i < 3; i++) await p.query('select v from t where id = $1', [1]);
    expect(await prepared(p)).toEqual([]);
  });

  it('names only texts with parameters', async () => {
    const p = pool(true);
    for (let i = 0; i < 3; i++) await p.query('select count(*)::int as n from t', []);
    expect(await prepared(p)).toEqual([]);
  });

  it('answers after the table changed under a named statement, running it again unnamed', async () => {
    const p = pool(true);
    await p.query('create table t2 (id int primary key, v text)');
    await p.query("insert into t2 values (1, 'a'), (2, 'b')");
    const text = 'select * from t2 where id = $1';
    for (let i = 0; i < 3; i++) await p.query(text, [1]);
    expect((await prepared(p)).map((r) => r.statement)).toContain(text);
    // Another process migrates while this one runs.
    await pool(false).query('alter table t2 add column w text');
    expect((await p.query(text, [1])).rows).toEqual([{ id: 1, v: 'a', w: null }]);
    expect((await p.query(text, [2])).rows).toEqual([{ id: 2, v: 'b', w: null }]);
  });

  it('inside a transaction, fails that transaction with the original error, then runs the text unnamed', async () => {
    const p = pool(true);
    await p.query('create table t3 (id int primary key, v text)');
    await p.query("insert into t3 values (1, 'a')");
    const text = 'select * from t3 where id = $1';
    const client = await p.connect();
    try {
      for (let i = 0; i < 3; i++) await client.query(text, [1]);
      await pool(false).query('alter table t3 add column w text');
      await client.query('begin');
      await expect(client.query(text, [1])).rejects.toMatchObject({ code: '0A000' });
      await client.query('rollback');
      expect((await client.query(text, [1])).rows).toEqual([{ id: 1, v: 'a', w: null }]);
      await client.query('begin');
      expect((await client.query(text, [1])).rows).toEqual([{ id: 1, v: 'a', w: null }]);
      await client.query('commit');
    } finally {
      client.release();
    }
  });
});
