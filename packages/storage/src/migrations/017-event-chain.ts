import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';
import { dropAppendOnly, makeAppendOnly } from './append-only.js';

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
      await makeAppendOnly(db, dialect, ['events', 'event_chain']);
    },
    async down(db: Kysely<unknown>) {
      await dropAppendOnly(db, dialect, ['events', 'event_chain']);
      await sql`drop table event_chain`.execute(db);
    },
  };
}
