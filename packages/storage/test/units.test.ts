import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { asOneStatement } from '../src/repositories/units.js';

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
