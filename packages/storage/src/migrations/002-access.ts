import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/** Web sessions, delegation grants, organization and sender members, the mailbox audit log. */
export function access(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('national_id', 'text', (c) => c.notNull())
        .addColumn('auth_level', 'text', (c) => c.notNull())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('last_seen_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('expires_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_person').on('sessions').column('national_id').execute();
      await db.schema
        .createTable('grants')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id'))
        .addColumn('grantee_national_id', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('valid_until', sql.raw(ts))
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked_at', sql.raw(ts))
        .execute();
      await db.schema.createIndex('grants_mailbox').on('grants').column('mailbox_id').execute();
      await db.schema.createIndex('grants_grantee').on('grants').column('grantee_national_id').execute();
      await db.schema
        .createTable('members')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('scope_type', 'text', (c) => c.notNull())
        .addColumn('scope_id', 'text', (c) => c.notNull())
        .addColumn('national_id', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addUniqueConstraint('members_unique', ['scope_type', 'scope_id', 'national_id'])
        .execute();
      await db.schema.createIndex('members_person').on('members').column('national_id').execute();
      let audit = db.schema.createTable('audit_log');
      audit =
        dialect === 'postgres'
          ? audit.addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
          : audit.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement());
      await audit
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('mailbox_id', 'text', (c) => c.notNull())
        .addColumn('actor_national_id', 'text', (c) => c.notNull())
        .addColumn('actor_role', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('letter_id', 'text')
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_mailbox').on('audit_log').columns(['mailbox_id', 'seq']).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['audit_log', 'members', 'grants', 'sessions']) await db.schema.dropTable(table).execute();
    },
  };
}
