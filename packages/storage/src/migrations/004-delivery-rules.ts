import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * The register and the delivery rules: register fields on persons, consents, scheduled, held and
 * printed letters, batches with shared documents, the job table, webhooks, and credential scopes.
 */
export function deliveryRules(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  const bytes = dialect === 'postgres' ? 'bytea' : 'blob';
  return {
    async up(db: Kysely<unknown>) {
      const addColumns = async (table: string, columns: Array<[string, string, string?]>) => {
        for (const [name, type, extra] of columns) {
          await sql`alter table ${sql.table(table)} add column ${sql.ref(name)} ${sql.raw(type)} ${sql.raw(extra ?? '')}`.execute(
            db,
          );
        }
      };
      await addColumns('persons', [
        ['status', 'text', "not null default 'active'"],
        ['reserved', 'integer', 'not null default 0'],
        ['reserved_at', ts],
        ['exempt', 'integer', 'not null default 0'],
        ['exempt_at', ts],
        ['email_updated_at', ts],
        ['email_verified_at', ts],
        ['mobile_updated_at', ts],
        ['mobile_verified_at', ts],
        ['postal_address', 'text'],
        ['updated_at', ts],
      ]);
      await addColumns('letters', [
        ['deliver_at', ts],
        ['hold_until', ts],
        ['print_details', 'text'],
        ['print_if_unread_after', ts],
        ['batch_id', 'text'],
        ['planned_status', 'text'],
      ]);
      await db.schema
        .createIndex('letters_recipient_status')
        .on('letters')
        .columns(['recipient_type', 'recipient_id', 'status'])
        .execute();
      await db.schema.createIndex('letters_batch').on('letters').columns(['batch_id', 'status']).execute();
      await addColumns('api_keys', [['scopes', 'text', "not null default 'messages'"]]);
      await addColumns('sender_client_keys', [['scopes', 'text', "not null default 'messages'"]]);

      // One document may now be shared by many letters (a batch's common PDF), each with the
      // content key wrapped for its own mailbox: blob keys stop being unique, and the ciphertext
      // is bound to a content id that several document rows share.
      if (dialect === 'postgres') {
        await sql`alter table documents drop constraint documents_blob_key_key`.execute(db);
        await sql`alter table documents add column content_id text`.execute(db);
      } else {
        await db.schema.dropIndex('documents_letter').execute();
        await sql`alter table documents rename to documents_old`.execute(db);
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
          .addColumn('blob_key', 'text', (c) => c.notNull())
          .addColumn('wrapped_key', sql.raw(bytes), (c) => c.notNull())
          .addColumn('content_id', 'text')
          .execute();
        await sql`insert into documents (id, letter_id, ordinal, role, title, filename, media_type, language, size, sha256, blob_key, wrapped_key)
          select id, letter_id, ordinal, role, title, filename, media_type, language, size, sha256, blob_key, wrapped_key from documents_old`.execute(
          db,
        );
        await db.schema.dropTable('documents_old').execute();
        await db.schema.createIndex('documents_letter').on('documents').columns(['letter_id', 'ordinal']).execute();
      }
      await db.schema.createIndex('documents_blob').on('documents').column('blob_key').execute();

      await db.schema
        .createTable('consents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('national_id', 'text', (c) => c.notNull())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('evidence', 'text')
        .addColumn('given_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('withdrawn_at', sql.raw(ts))
        .addColumn('updated_at', sql.raw(ts), (c) => c.notNull())
        .addUniqueConstraint('consents_person_sender', ['national_id', 'sender_id'])
        .execute();
      await db.schema.createIndex('consents_sender').on('consents').columns(['sender_id', 'national_id']).execute();

      await db.schema
        .createTable('jobs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('run_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('locked_until', sql.raw(ts))
        .addColumn('last_error', 'text')
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
      await db.schema.createIndex('jobs_ref').on('jobs').columns(['ref', 'kind']).execute();

      await db.schema
        .createTable('batches')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('reference', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('committed_at', sql.raw(ts))
        .addColumn('cancelled_at', sql.raw(ts))
        .execute();
      await db.schema.createIndex('batches_sender').on('batches').columns(['sender_id', 'created_at']).execute();
      await db.schema
        .createTable('batch_documents')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id'))
        .addColumn('filename', 'text', (c) => c.notNull())
        .addColumn('media_type', 'text', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        .addColumn('blob_key', 'text', (c) => c.notNull())
        .addColumn('wrapped_key', sql.raw(bytes), (c) => c.notNull())
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('batch_documents_batch').on('batch_documents').column('batch_id').execute();
      await db.schema.createIndex('batch_documents_blob').on('batch_documents').column('blob_key').execute();

      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('sender_id', 'text', (c) => c.notNull().references('senders.id'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('secret', sql.raw(bytes), (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('cursor_tx', 'text')
        .addColumn('cursor_seq', 'bigint')
        .addColumn('next_attempt_at', sql.raw(ts))
        .addColumn('lease_until', sql.raw(ts))
        .addColumn('failing_since', sql.raw(ts))
        .addColumn('last_error', 'text')
        .addColumn('last_delivered_at', sql.raw(ts))
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhooks_sender').on('webhooks').column('sender_id').execute();
      await db.schema
        .createTable('webhook_failures')
        .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('failed_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('error', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_failures_pk', ['webhook_id', 'event_id'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['webhook_failures', 'webhooks', 'batch_documents', 'batches', 'jobs', 'consents']) {
        await db.schema.dropTable(t).execute();
      }
    },
  };
}
