import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/** The first schema. Timestamps are ISO-8601 UTC text in SQLite and timestamptz in PostgreSQL. */
export function initial(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('senders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('org_number', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('prefix', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('last_used_at', sql.raw(ts))
        .addColumn('revoked_at', sql.raw(ts))
        .execute();
      await db.schema.createIndex('api_keys_sender').on('api_keys').column('sender_id').execute();
      await db.schema
        .createTable('persons')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('national_id', 'text', (c) => c.notNull().unique())
        .addColumn('country', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('email', 'text')
        .addColumn('mobile', 'text')
        .addColumn('language', 'text')
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('mailboxes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('owner_type', 'text', (c) => c.notNull())
        .addColumn('owner_id', 'text', (c) => c.notNull())
        .addColumn('name', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', sql.raw(bytes), (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addUniqueConstraint('mailboxes_owner', ['owner_type', 'owner_id'])
        .execute();
      await db.schema
        .createTable('folders')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id'))
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('folders_mailbox').on('folders').columns(['mailbox_id', 'kind']).execute();
      await db.schema
        .createTable('letters')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('recipient_type', 'text', (c) => c.notNull())
        .addColumn('recipient_id', 'text', (c) => c.notNull())
        .addColumn('mailbox_id', 'text', (c) => c.references('mailboxes.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('reject_reason', 'text')
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('non_sensitive_title', 'text')
        .addColumn('auth_level', 'text', (c) => c.notNull())
        .addColumn('sensitivity', 'text', (c) => c.notNull())
        .addColumn('opening_receipt', 'integer', (c) => c.notNull())
        .addColumn('legal_notification', 'integer', (c) => c.notNull())
        .addColumn('mandatory', 'integer', (c) => c.notNull())
        .addColumn('sender_reference', 'text')
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('delivered_at', sql.raw(ts))
        .addColumn('opened_at', sql.raw(ts))
        .addColumn('folder_id', 'text', (c) => c.references('folders.id'))
        .addColumn('read_at', sql.raw(ts))
        .addColumn('trashed_at', sql.raw(ts))
        .addColumn('restore_folder_id', 'text')
        .addColumn('document_count', 'integer', (c) => c.notNull())
        .addColumn('total_bytes', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('letters_sender_external', ['sender_id', 'external_id'])
        .execute();
      await db.schema
        .createIndex('letters_folder_listing')
        .on('letters')
        .columns(['mailbox_id', 'folder_id', 'delivered_at desc', 'id desc'])
        .execute();
      await db.schema
        .createTable('documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('letter_id', 'text', (c) => c.notNull().references('letters.id'))
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('title', 'text')
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('language', 'text')
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull().unique())
        .addColumn('wrapped_key', sql.raw(bytes), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('documents_letter').on('documents').columns(['letter_id', 'ordinal']).execute();

      let events = db.schema.createTable('events');
      events =
        dialect === 'postgres'
          ? events
              .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
              .addColumn('tx', sql.raw('xid8'), (c) => c.notNull().defaultTo(sql`pg_current_xact_id()`))
          : events
              .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
              .addColumn('tx', 'text', (c) => c.notNull().defaultTo('0'));
      await events
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('letter_id', 'text', (c) => c.notNull().references('letters.id'))
        .addColumn('sender_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('at', sql.raw(ts), (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('events_letter').on('events').columns(['letter_id', 'seq']).execute();
      await db.schema
        .createIndex('events_sender_feed')
        .on('events')
        .columns(dialect === 'postgres' ? ['sender_id', 'tx', 'seq'] : ['sender_id', 'seq'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'events',
        'documents',
        'letters',
        'folders',
        'mailboxes',
        'persons',
        'api_keys',
        'senders',
      ]) {
        await db.schema.dropTable(table).execute();
      }
    },
  };
}
