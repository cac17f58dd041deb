import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * One row naming this installation and the keys it was set up with: a check value of the master
 * key, and the signing key it last used. A process started with other keys, or beside another
 * installation's blob store, is refused before it writes anything (apps/server/src/installation.ts).
 */
export function installation(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`create table installation (
        slot integer primary key check (slot = 1),
        id text not null,
        master_key_check text not null,
        signing_kid text,
        created_at text not null
      )`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table installation`.execute(db);
    },
  };
}
