import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/** Makes tables refuse UPDATE and DELETE (the logs of evidence): a trigger each, in either dialect. */
export async function makeAppendOnly(db: Kysely<unknown>, dialect: Dialect, tables: string[]): Promise<void> {
  for (const table of tables) {
    if (dialect === 'postgres') {
      await sql`create or replace function append_only() returns trigger language plpgsql as $$
        begin raise exception '% is append-only', tg_table_name; end $$`.execute(db);
      await sql`create trigger ${sql.raw(`${table}_append_only`)} before update or delete on ${sql.table(table)}
        for each row execute function append_only()`.execute(db);
    } else {
      for (const op of ['update', 'delete']) {
        await sql`create trigger ${sql.raw(`${table}_no_${op}`)} before ${sql.raw(op)} on ${sql.table(table)}
          begin select raise(abort, ${sql.lit(`${table} is append-only`)}); end`.execute(db);
      }
    }
  }
}

/** Takes makeAppendOnly's triggers off again (a migration's down). */
export async function dropAppendOnly(db: Kysely<unknown>, dialect: Dialect, tables: string[]): Promise<void> {
  for (const table of tables) {
    if (dialect === 'postgres')
      await sql`drop trigger ${sql.raw(`${table}_append_only`)} on ${sql.table(table)}`.execute(db);
    else for (const op of ['update', 'delete']) await sql`drop trigger ${sql.raw(`${table}_no_${op}`)}`.execute(db);
  }
}
