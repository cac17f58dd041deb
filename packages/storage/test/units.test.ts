import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { asOneStatement, runGuarded } from '../src/repositories/units.js';

describe('asOneStatement', () => {
  it('numbers every statement’s parameters after the ones before it', () => {
    const one = asOneStatement([
      CompiledQuery.raw('insert into "a" ("x", "y") values ($1, $2)', [1, 2]),
      CompiledQuery.raw('insert into "b" ("z") values ($1), ($2)', [3, 4]),
    ]);
    expect(one.sql).toBe(
      'with s0 as (insert into "a" ("x", "y") values ($1, $2)), s1 as (insert into "b" ("z") values ($3), ($4)) select 1 as done',
    );
    expect(one.parameters).toEqual([1, 2, 3, 4]);
  });

  it('refuses a statement with a literal, whose text it could not renumber safely', () => {
    expect(() => asOneStatement([CompiledQuery.raw(`insert into "a" ("x") values ('$1')`, [])])).toThrow(/literal/);
  });
});

describe('runGuarded', () => {
  it('answers false when the guard writes nothing, and fails the unit when a check finds no row', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      await sql`create table t (id text primary key)`.execute(db);
      const insert = (id: string) => sql`insert into t (id) values (${id}) on conflict do nothing`.compile(db);
      const check = (id: string) => db.selectFrom('t').select('id').where('id', '=', id).compile();
      expect(await runGuarded(db, [insert('a'), check('a')])).toBe(true);
      expect(await runGuarded(db, [insert('a'), check('nothing')])).toBe(false);
      await expect(runGuarded(db, [insert('b'), check('nothing')])).rejects.toMatchObject({
        code: 'UNIT_CHECK_FAILED',
      });
    } finally {
      await db.destroy();
    }
  });
});
