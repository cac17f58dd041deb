import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Notifications: the sender's options on a letter, members who want to be told, the
 * notifications themselves (coalesced per person, mailbox and channel; the evidence of what was
 * sent when), the cursors background readers keep over the event log, and the dev outbox.
 */
export function notifications(dialect: Dialect) {
  const ts = dialect === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table letters add column notification_options text`.execute(db);
      await sql`alter table members add column notify integer not null default 0`.execute(db);
      // Background readers of the whole event log (notifications) read it in commit order.
      if (dialect === 'postgres') {
        await db.schema.createIndex('events_global').on('events').columns(['tx', 'seq']).execute();
      }
      await db.schema
        .createTable('notifications')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('national_id', 'text', (c) => c.notNull())
        .addColumn('mailbox_id', 'text', (c) => c.notNull().references('mailboxes.id'))
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('letter_ids', 'text', (c) => c.notNull())
        .addColumn('due_at', sql.raw(ts), (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('sent_at', sql.raw(ts))
        .addColumn('last_error', 'text')
        .addColumn('created_at', sql.raw(ts), (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notifications_open')
        .on('notifications')
        .columns(['national_id', 'mailbox_id', 'channel', 'status'])
        .execute();
      // At most one notification collects letters per person, mailbox and channel.
      await sql`create unique index notifications_one_pending on notifications (national_id, mailbox_id, channel) where status = 'pending'`.execute(
        db,
      );
      await db.schema
        .createTable('cursors')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('tx', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('lease_until', sql.raw(ts))
        .execute();
      await db.schema
        .createTable('dev_outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('recipient', 'text', (c) => c.notNull())
        .addColumn('subject', 'text')
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('html', 'text')
        .addColumn('at', sql.raw(ts), (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const t of ['dev_outbox', 'cursors', 'notifications']) await db.schema.dropTable(t).execute();
    },
  };
}
