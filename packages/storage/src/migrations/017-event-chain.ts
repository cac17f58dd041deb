import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Every event in one hash chain, in the order events became visible (the feed's commit order):
 * `event_chain` holds each event's place, the hash before it and its own hash over the event's
 * content (packages/core/src/event-chain.ts). Events and the chain refuse UPDATE and DELETE, like
 * the audit logs (migration 012); events written before are chained by the worker's first round.
 */
export function eventChain(dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`create table event_chain (
        position ${sql.raw(dialect === 'postgres' ? 'bigint' : 'integer')} primary key,
        event_id text not null unique,
        prev_hash text not null,
        hash text not null
      )`.execute(db);
      for (const table of ['events', 'event_chain']) {
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
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['events', 'event_chain']) {
        if (dialect === 'postgres')
          await sql`drop trigger ${sql.raw(`${table}_append_only`)} on ${sql.table(table)}`.execute(db);
        else for (const op of ['update', 'delete']) await sql`drop trigger ${sql.raw(`${table}_no_${op}`)}`.execute(db);
      }
      await sql`drop table event_chain`.execute(db);
    },
  };
}
