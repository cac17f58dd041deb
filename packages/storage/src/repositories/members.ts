import type { Member, Repositories } from '@postkasse/core';
import type { MemberRow } from '../schema/members.js';
import type { RepoContext } from './shared.js';

const toMember = (r: MemberRow): Member => ({
  id: r.id,
  scopeType: r.scope_type as Member['scopeType'],
  scopeId: r.scope_id,
  nationalId: r.national_id,
  role: r.role as Member['role'],
  createdAt: r.created_at,
  createdBy: r.created_by,
  notify: r.notify === 1,
});

export function membersRepository({ db }: RepoContext): Repositories['members'] {
  const scoped = (scopeType: string, scopeId: string) =>
    db.selectFrom('members').selectAll().where('scope_type', '=', scopeType).where('scope_id', '=', scopeId);
  return {
    async insert(m) {
      await db
        .insertInto('members')
        .values({
          id: m.id,
          scope_type: m.scopeType,
          scope_id: m.scopeId,
          national_id: m.nationalId,
          role: m.role,
          created_at: m.createdAt,
          created_by: m.createdBy,
          notify: m.notify ? 1 : 0,
        })
        .execute();
    },
    async get(scopeType, scopeId, id) {
      const row = await scoped(scopeType, scopeId).where('id', '=', id).executeTakeFirst();
      return row ? toMember(row) : null;
    },
    async find(scopeType, scopeId, nationalId) {
      const row = await scoped(scopeType, scopeId).where('national_id', '=', nationalId).executeTakeFirst();
      return row ? toMember(row) : null;
    },
    async list(scopeType, scopeId) {
      return (await scoped(scopeType, scopeId).orderBy('created_at').execute()).map(toMember);
    },
    async listForPerson(nationalId) {
      const rows = await db
        .selectFrom('members')
        .selectAll()
        .where('national_id', '=', nationalId)
        .orderBy('created_at')
        .execute();
      return rows.map(toMember);
    },
    async setNotify(scopeType, scopeId, nationalId, notify) {
      await db
        .updateTable('members')
        .set({ notify: notify ? 1 : 0 })
        .where('scope_type', '=', scopeType)
        .where('scope_id', '=', scopeId)
        .where('national_id', '=', nationalId)
        .execute();
    },
    async delete(scopeType, scopeId, id) {
      await db
        .deleteFrom('members')
        .where('scope_type', '=', scopeType)
        .where('scope_id', '=', scopeId)
        .where('id', '=', id)
        .execute();
    },
  };
}
