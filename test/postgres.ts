/**
 * A fresh PostgreSQL database per test suite, on the server at POSTKASSE_TEST_PG (default the
 * machine's 127.0.0.1:5432, user postgres). Under CI a missing server is a failure, never a skip;
 * elsewhere the PostgreSQL suites are skipped with a loud warning.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const adminUrl = process.env.POSTKASSE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let available: Promise<boolean> | undefined;

export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      if (process.env.CI) {
        throw new Error(`PostgreSQL is required under CI but ${adminUrl} does not answer: ${String(error)}`);
      }
      console.warn(`\n!!! PostgreSQL at ${adminUrl} does not answer: the PostgreSQL suites are SKIPPED !!!\n`);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `postkasse_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await dropWhenAlone(c, name);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A pool's end() resolves once its clients have said goodbye, which their backends may not have
 * read yet: forcing the drop then terminates them, and the client, already ending, has nobody to
 * hand the FATAL error to (an uncaught exception in the test run). So the suite's own connections
 * get up to 2 s to go first.
 */
async function dropWhenAlone(c: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { rows } = await c.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
    if (rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await c.query(`drop database if exists ${name} with (force)`);
}

/** The dialects a repository or API suite runs on: SQLite always, PostgreSQL where it answers. */
export async function testDialects(): Promise<Array<'sqlite' | 'postgres'>> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}
