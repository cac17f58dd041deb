import type { Folder, Repositories } from '@postkasse/core';
import { sql } from 'kysely';
import type { FolderRow } from '../schema/folders.js';
import type { RepoContext } from './shared.js';

const toFolder = (r: FolderRow): Folder => ({
  id: r.id,
  mailboxId: r.mailbox_id,
  kind: r.kind as Folder['kind'],
  name: r.name,
  createdAt: r.created_at,
});

const kindOrder = sql<number>`case kind when 'inbox' then 0 when 'archive' then 1 when 'trash' then 3 else 2 end`;

export function foldersRepository({ db }: RepoContext): Repositories['folders'] {
  return {
    async insert(f) {
      await db
        .insertInto('folders')
        .values({ id: f.id, mailbox_id: f.mailboxId, kind: f.kind, name: f.name, created_at: f.createdAt })
        .execute();
    },
    async get(mailboxId, id) {
      const row = await db
        .selectFrom('folders')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toFolder(row) : null;
    },
    async findSystem(mailboxId, kind) {
      const row = await db
        .selectFrom('folders')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('kind', '=', kind)
        .executeTakeFirst();
      return row ? toFolder(row) : null;
    },
    async findByName(mailboxId, name) {
      const row = await db
        .selectFrom('folders')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where(sql`lower(name)`, '=', name.toLowerCase())
        .executeTakeFirst();
      return row ? toFolder(row) : null;
    },
    async list(mailboxId) {
      const folders = await db
        .selectFrom('folders')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .orderBy(kindOrder)
        .orderBy('created_at')
        .execute();
      const counts = await db
        .selectFrom('letters')
        .select((eb) => [
          'folder_id',
          eb.fn.countAll<number | string>().as('total'),
          eb.fn.sum<number | string>(sql`case when read_at is null then 1 else 0 end`).as('unread'),
        ])
        .where('mailbox_id', '=', mailboxId)
        .groupBy('folder_id')
        .execute();
      const byFolder = new Map(counts.map((c) => [c.folder_id, c]));
      return folders.map((r) => {
        const c = byFolder.get(r.id);
        return { ...toFolder(r), total: Number(c?.total ?? 0), unread: Number(c?.unread ?? 0) };
      });
    },
    async rename(mailboxId, id, name) {
      await db.updateTable('folders').set({ name }).where('mailbox_id', '=', mailboxId).where('id', '=', id).execute();
    },
    async delete(mailboxId, id) {
      await db.deleteFrom('folders').where('mailbox_id', '=', mailboxId).where('id', '=', id).execute();
    },
  };
}
