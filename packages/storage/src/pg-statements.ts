import type pg from 'pg';

/** "cached plan must not change result type": a table changed under a prepared `select *`. */
const resultTypeChanged = (error: unknown) => {
  const e = error as { code?: unknown; routine?: unknown; message?: unknown } | null;
  return (
    e?.code === '0A000' &&
    (e.routine === 'RevalidateCachedQuery' || String(e.message).includes('cached plan must not change result type'))
  );
};

type Query = (...args: unknown[]) => unknown;

/**
 * Runs repeated statements as named prepared statements, so PostgreSQL parses and plans each
 * once per connection instead of at every execution. Kysely sends every query unnamed (a Parse
 * of the whole text each time); for the statements every letter runs, that parsing and planning
 * was half of PostgreSQL's CPU time (bench/ingest). A text becomes named the second time it is
 * seen, up to `max` texts (one-off statements, such as IN lists of many lengths, stay unnamed).
 *
 * Only texts with parameters are named (pg sends the others by the simple protocol, which also
 * takes several commands in one text). A named statement whose table changed under it (another
 * process migrating while this one runs) fails with "cached plan must not change result type";
 * its text then goes unnamed for good, and the query runs again unnamed when it was not inside a
 * transaction (inside one, PostgreSQL has aborted the transaction: the error goes to the caller,
 * whose unit of work fails as any that meets a migration would). Behind a pooler that does not
 * keep prepared statements (PgBouncer in transaction mode before 1.21), turn this off.
 */
export function nameRepeatedStatements(pool: pg.Pool, options: { max: number }): void {
  // text → its name; true: seen once, not named yet; null: never to be named again.
  const texts = new Map<string, string | true | null>();
  let named = 0;
  const nameOf = (text: string): string | null => {
    const seen = texts.get(text);
    if (typeof seen === 'string' || seen === null) return seen;
    if (seen === undefined) {
      if (texts.size < options.max * 4) texts.set(text, true);
      return null;
    }
    if (named >= options.max) return null;
    const name = `postkasse_${named++}`;
    texts.set(text, name);
    return name;
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as Query;
    (client as unknown as { query: Query }).query = (text: unknown, values?: unknown, callback?: unknown) => {
      const name = typeof text === 'string' && Array.isArray(values) && values.length > 0 ? nameOf(text) : null;
      if (name === null) return query(text, values, callback);
      // Whether to run it again unnamed: only for that error, and only outside a transaction.
      const changed = (error: unknown) => {
        if (!resultTypeChanged(error)) return false;
        texts.set(text as string, null);
        return client.getTransactionStatus() === 'I';
      };
      // pg.Pool's own query() passes a callback; Kysely awaits the promise.
      if (typeof callback === 'function') {
        return query({ name, text, values }, (error: unknown, result: unknown) =>
          changed(error) ? query(text, values, callback) : callback(error, result),
        );
      }
      return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
        if (!changed(error)) throw error;
        return query(text, values);
      });
    };
  });
}
