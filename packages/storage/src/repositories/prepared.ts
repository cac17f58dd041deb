import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import type { Db, RepoContext } from './shared.js';

/** Marks where a named parameter goes while a query is compiled once. */
const PREFIX = '\u0000postkasse-param:';
const sentinel = (name: string) => `${PREFIX}${name}`;

/** A parameter of the template: a named one (`<row>:<column>` in a multi-row insert, parsed once), or a fixed value. */
type Slot = { name: string; row: number; column: string } | { value: unknown };
type Template = Pick<CompiledQuery, 'sql' | 'query' | 'queryId'> & { slots: Slot[] };
type Placeholder = (name: string) => never;
type Build<R> = (db: Db, $: Placeholder, shape: number, columns: string[]) => Compilable<R>;

/** `count` rows of placeholders named `<row>:<column>`, for a multi-row insert. */
export function rowPlaceholders($: Placeholder, count: number, columns: string[]): Array<Record<string, never>> {
  return Array.from({ length: count }, (_, i) => Object.fromEntries(columns.map((c) => [c, $(`${i}:${c}`)])));
}

/**
 * A multi-row insert into `table`, prepared for up to `maxRows` rows (a letter's own few
 * documents or events) and compiled by ordinary Kysely beyond that (a shape seldom seen twice).
 * Answers the compiled statement (null for no rows), to run now or in a unit of work elsewhere.
 */
export function preparedInsert(table: 'documents' | 'events', maxRows = 8) {
  const statement = prepared((db, $, count, columns) =>
    db.insertInto(table).values(rowPlaceholders($, count, columns) as never),
  );
  return (ctx: RepoContext, rows: Array<Record<string, unknown>>): CompiledQuery | null => {
    if (rows.length === 0) return null;
    if (rows.length <= maxRows) return statement.compileRows(ctx, rows);
    return ctx.db
      .insertInto(table)
      .values(rows as never)
      .compile();
  };
}

/**
 * A query built and compiled by Kysely once per dialect and shape, then run many times with new
 * parameter values. Kysely builds an operation tree and compiles it to SQL on every call; for the
 * statements that run for every letter sent, that cost more main-thread time than the database
 * took to run them. `$(name)` stands for a parameter while the query is built. `columns` are the
 * keys of the first call's values (they must be the same on every call), and `shape` tells apart
 * queries of different structure: the number of rows of a multi-row insert.
 */
export function prepared<R>(build: Build<R>) {
  const templates = new Map<string, Template>();
  function template(ctx: RepoContext, shape: number, columns: () => string[]): Template {
    const key = `${ctx.dialect}:${shape}`;
    let t = templates.get(key);
    if (!t) {
      const compiled = build(ctx.db, sentinel as Placeholder, shape, columns()).compile();
      t = {
        sql: compiled.sql,
        query: compiled.query,
        queryId: compiled.queryId,
        slots: compiled.parameters.map((value) => {
          if (typeof value !== 'string' || !value.startsWith(PREFIX)) return { value };
          const name = value.slice(PREFIX.length);
          const colon = name.indexOf(':');
          return { name, row: colon < 0 ? -1 : Number(name.slice(0, colon)), column: name.slice(colon + 1) };
        }),
      };
      templates.set(key, t);
    }
    return t;
  }
  function bind(t: Template, value: (slot: Extract<Slot, { name: string }>) => unknown): CompiledQuery<R> {
    const parameters = t.slots.map((slot) => ('value' in slot ? slot.value : value(slot)));
    return { sql: t.sql, query: t.query, queryId: t.queryId, parameters } as CompiledQuery<R>;
  }
  const missing = (name: string) => {
    throw new Error(`prepared query: no value for parameter ${name}`);
  };
  const compile = (ctx: RepoContext, args: Record<string, unknown>): CompiledQuery<R> =>
    bind(
      template(ctx, 1, () => Object.keys(args)),
      ({ name }) => (name in args ? args[name] : missing(name)),
    );
  const compileRows = (ctx: RepoContext, rows: Array<Record<string, unknown>>): CompiledQuery<R> =>
    bind(
      template(ctx, rows.length, () => Object.keys(rows[0] ?? {})),
      (slot) => {
        const row = rows[slot.row];
        return row && slot.column in row ? row[slot.column] : missing(slot.name);
      },
    );
  return {
    /** The query with these values, compiled but not run (for a unit of work run elsewhere). */
    compile,
    /** A multi-row insert of `rows` (at least one), compiled but not run. */
    compileRows,
    async execute(ctx: RepoContext, args: Record<string, unknown>): Promise<QueryResult<R>> {
      return ctx.db.executeQuery(compile(ctx, args));
    },
    /** A multi-row insert of `rows` (at least one), prepared once per number of rows. */
    async executeRows(ctx: RepoContext, rows: Array<Record<string, unknown>>): Promise<QueryResult<R>> {
      return ctx.db.executeQuery(compileRows(ctx, rows));
    },
  };
}
