import type { FeedCursor, Notification, OutboxMessage, Repositories } from '@postkasse/core';
import { sql, type Updateable } from 'kysely';
import type { NotificationRow } from '../schema/notifications.js';
import type { RepoContext } from './shared.js';

const toNotification = (r: NotificationRow): Notification => ({
  id: r.id,
  nationalId: r.national_id,
  mailboxId: r.mailbox_id,
  channel: r.channel as Notification['channel'],
  status: r.status as Notification['status'],
  letterIds: JSON.parse(r.letter_ids) as string[],
  dueAt: r.due_at,
  address: r.address,
  sentAt: r.sent_at,
  lastError: r.last_error,
  createdAt: r.created_at,
});

export function notificationsRepository({ db, dialect }: RepoContext): Repositories['notifications'] {
  return {
    async insert(n) {
      await db
        .insertInto('notifications')
        .values({
          id: n.id,
          national_id: n.nationalId,
          mailbox_id: n.mailboxId,
          channel: n.channel,
          status: n.status,
          letter_ids: JSON.stringify(n.letterIds),
          due_at: n.dueAt,
          address: n.address,
          sent_at: n.sentAt,
          last_error: n.lastError,
          created_at: n.createdAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toNotification(row) : null;
    },
    async findPending(nationalId, mailboxId, channel) {
      const row = await db
        .selectFrom('notifications')
        .selectAll()
        .where('national_id', '=', nationalId)
        .where('mailbox_id', '=', mailboxId)
        .where('channel', '=', channel)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return row ? toNotification(row) : null;
    },
    async lastSent(nationalId, mailboxId, channel) {
      const row = await db
        .selectFrom('notifications')
        .select((eb) => eb.fn.max('sent_at').as('last'))
        .where('national_id', '=', nationalId)
        .where('mailbox_id', '=', mailboxId)
        .where('channel', '=', channel)
        .where('status', '=', 'sent')
        .executeTakeFirst();
      const last = row?.last as string | Date | null | undefined;
      return last ? new Date(last).toISOString() : null;
    },
    async addLetter(id, letterId) {
      // Appends to the JSON array in place, so concurrent additions do not overwrite each other.
      const append =
        dialect === 'postgres'
          ? sql<string>`(letter_ids::jsonb || to_jsonb(${letterId}::text))::text`
          : sql<string>`json_insert(letter_ids, '$[#]', ${letterId})`;
      const result = await db
        .updateTable('notifications')
        .set({ letter_ids: append })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async claim(id) {
      const row = await db
        .updateTable('notifications')
        .set({ status: 'sending' })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .returningAll()
        .executeTakeFirst();
      return row ? toNotification(row) : null;
    },
    async update(id, p) {
      const set: Updateable<NotificationRow> = {};
      if (p.status !== undefined) set.status = p.status;
      if (p.sentAt !== undefined) set.sent_at = p.sentAt;
      if (p.lastError !== undefined) set.last_error = p.lastError;
      if (p.address !== undefined) set.address = p.address;
      await db.updateTable('notifications').set(set).where('id', '=', id).execute();
    },
    async listByLetter(letterId) {
      const pattern = `%${JSON.stringify(letterId)}%`;
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('letter_ids', 'like', pattern)
        .orderBy('created_at')
        .execute();
      return rows.map(toNotification);
    },
  };
}

export function cursorsRepository({ db }: RepoContext): Repositories['cursors'] {
  return {
    async get(name) {
      const row = await db.selectFrom('cursors').selectAll().where('name', '=', name).executeTakeFirst();
      return row ? ({ tx: row.tx, seq: Number(row.seq) } satisfies FeedCursor) : null;
    },
    async set(name, cursor) {
      await db
        .insertInto('cursors')
        .values({ name, tx: cursor.tx, seq: cursor.seq, lease_until: null })
        .onConflict((oc) => oc.column('name').doUpdateSet({ tx: cursor.tx, seq: cursor.seq }))
        .execute();
    },
    async lease(name, now, until) {
      await db
        .insertInto('cursors')
        .values({ name, tx: '0', seq: 0, lease_until: null })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const result = await db
        .updateTable('cursors')
        .set({ lease_until: until })
        .where('name', '=', name)
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async release(name) {
      await db.updateTable('cursors').set({ lease_until: null }).where('name', '=', name).execute();
    },
  };
}

export function outboxRepository({ db }: RepoContext): Repositories['outbox'] {
  return {
    async insert(m: OutboxMessage) {
      await db.insertInto('dev_outbox').values(m).execute();
    },
    async list(limit) {
      return (await db.selectFrom('dev_outbox').selectAll().orderBy('at', 'desc').limit(limit).execute()).map((r) => ({
        ...r,
        channel: r.channel as OutboxMessage['channel'],
      }));
    },
  };
}
