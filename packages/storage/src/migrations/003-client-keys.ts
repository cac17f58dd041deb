import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/** Sender client keys for the client-credentials grant with JWT assertions, and replay protection. */
export function clientKeys(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sender_client_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('revoked_at', sql.raw(ts))
        .addUniqueConstraint('sender_client_keys_kid', ['sender_id', 'kid'])
        .execute();
      await db.schema
        .createTable('used_assertions')
        .addColumn('jti', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', sql.raw(ts), (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('used_assertions').execute();
      await db.schema.dropTable('sender_client_keys').execute();
    },
  };
}
