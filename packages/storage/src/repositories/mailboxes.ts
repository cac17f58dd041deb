import type { Mailbox, Repositories } from '@postkasse/core';
import type { MailboxRow } from '../schema/mailboxes.js';
import { prepared } from './prepared.js';
import { type RepoContext, toBytes } from './shared.js';

export const toMailbox = (r: MailboxRow): Mailbox => ({
  id: r.id,
  ownerType: r.owner_type as Mailbox['ownerType'],
  ownerId: r.owner_id,
  name: r.name,
  status: r.status as Mailbox['status'],
  wrappedKey: r.wrapped_key,
  createdAt: r.created_at,
});

const mailboxById = prepared((db, $) => db.selectFrom('mailboxes').selectAll().where('id', '=', $('id')));

export function mailboxesRepository(ctx: RepoContext): Repositories['mailboxes'] {
  const { db, dialect } = ctx;
  return {
    async lock(id) {
      if (dialect === 'postgres')
        await db.selectFrom('mailboxes').select('id').where('id', '=', id).forUpdate().execute();
    },
    async findDeliveryTargets(ownerType, ownerIds) {
      if (ownerIds.length === 0) return [];
      const rows = await db
        .selectFrom('mailboxes as m')
        .innerJoin('folders as f', (join) => join.onRef('f.mailbox_id', '=', 'm.id').on('f.kind', '=', 'inbox'))
        .selectAll('m')
        .select('f.id as inbox_id')
        .where('m.owner_type', '=', ownerType)
        .where('m.owner_id', 'in', ownerIds)
        .execute();
      return rows.map((row) => ({ mailbox: toMailbox(row), inboxId: row.inbox_id }));
    },
    async insert(m) {
      await db
        .insertInto('mailboxes')
        .values({
          id: m.id,
          owner_type: m.ownerType,
          owner_id: m.ownerId,
          name: m.name,
          status: m.status,
          wrapped_key: toBytes(m.wrappedKey),
          created_at: m.createdAt,
        })
        .execute();
    },
    async get(id) {
      const [row] = (await mailboxById.execute(ctx, { id })).rows;
      return row ? toMailbox(row) : null;
    },
    async findByOwner(ownerType, ownerId) {
      const row = await db
        .selectFrom('mailboxes')
        .selectAll()
        .where('owner_type', '=', ownerType)
        .where('owner_id', '=', ownerId)
        .executeTakeFirst();
      return row ? toMailbox(row) : null;
    },
    async first() {
      const row = await db.selectFrom('mailboxes').selectAll().orderBy('id').limit(1).executeTakeFirst();
      return row ? toMailbox(row) : null;
    },
    async keyPage(afterId, limit) {
      let query = db.selectFrom('mailboxes').select(['id', 'wrapped_key']).orderBy('id').limit(limit);
      if (afterId !== null) query = query.where('id', '>', afterId);
      return (await query.execute()).map((r) => ({ id: r.id, wrappedKey: r.wrapped_key }));
    },
    async setWrappedKey(id, wrappedKey) {
      await db
        .updateTable('mailboxes')
        .set({ wrapped_key: toBytes(wrappedKey) })
        .where('id', '=', id)
        .execute();
    },
    async getMany(ids) {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('mailboxes').selectAll().where('id', 'in', ids).execute();
      return rows.map(toMailbox);
    },
    async findManyByOwner(ownerType, ownerIds) {
      if (ownerIds.length === 0) return [];
      const rows = await db
        .selectFrom('mailboxes')
        .selectAll()
        .where('owner_type', '=', ownerType)
        .where('owner_id', 'in', ownerIds)
        .execute();
      return rows.map(toMailbox);
    },
  };
}
