import type { Repositories, Sender } from '@postkasse/core';
import type { SenderRow } from '../schema/senders.js';
import type { RepoContext } from './shared.js';

const toSender = (r: SenderRow): Sender => ({
  id: r.id,
  orgNumber: r.org_number,
  name: r.name,
  kind: r.kind as Sender['kind'],
  status: r.status as Sender['status'],
  createdAt: r.created_at,
});

export function sendersRepository({ db }: RepoContext): Repositories['senders'] {
  return {
    async insert(s) {
      await db
        .insertInto('senders')
        .values({
          id: s.id,
          org_number: s.orgNumber,
          name: s.name,
          kind: s.kind,
          status: s.status,
          created_at: s.createdAt,
        })
        .execute();
    },
    async get(id) {
      const row = await db.selectFrom('senders').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toSender(row) : null;
    },
    async findByOrgNumber(orgNumber) {
      const row = await db.selectFrom('senders').selectAll().where('org_number', '=', orgNumber).executeTakeFirst();
      return row ? toSender(row) : null;
    },
    async list() {
      return (await db.selectFrom('senders').selectAll().orderBy('created_at').execute()).map(toSender);
    },
  };
}
