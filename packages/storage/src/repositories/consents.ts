import type { Consent, Repositories } from '@postkasse/core';
import type { ConsentRow } from '../schema/delivery.js';
import type { RepoContext } from './shared.js';

const toConsent = (r: ConsentRow): Consent => ({
  id: r.id,
  nationalId: r.national_id,
  senderId: r.sender_id,
  status: r.status as Consent['status'],
  source: r.source as Consent['source'],
  evidence: r.evidence ? (JSON.parse(r.evidence) as Record<string, unknown>) : null,
  givenAt: r.given_at,
  withdrawnAt: r.withdrawn_at,
  updatedAt: r.updated_at,
});

export function consentsRepository({ db }: RepoContext): Repositories['consents'] {
  return {
    async upsert(c) {
      const values = {
        id: c.id,
        national_id: c.nationalId,
        sender_id: c.senderId,
        status: c.status,
        source: c.source,
        evidence: c.evidence ? JSON.stringify(c.evidence) : null,
        given_at: c.givenAt,
        withdrawn_at: c.withdrawnAt,
        updated_at: c.updatedAt,
      };
      const { id: _id, national_id: _n, sender_id: _s, ...changes } = values;
      await db
        .insertInto('consents')
        .values(values)
        .onConflict((oc) => oc.columns(['national_id', 'sender_id']).doUpdateSet(changes))
        .execute();
    },
    async find(nationalId, senderId) {
      const row = await db
        .selectFrom('consents')
        .selectAll()
        .where('national_id', '=', nationalId)
        .where('sender_id', '=', senderId)
        .executeTakeFirst();
      return row ? toConsent(row) : null;
    },
    async listByPerson(nationalId) {
      const rows = await db
        .selectFrom('consents')
        .selectAll()
        .where('national_id', '=', nationalId)
        .orderBy('given_at')
        .execute();
      return rows.map(toConsent);
    },
    async activeAmong(senderId, nationalIds) {
      if (nationalIds.length === 0) return new Set();
      const rows = await db
        .selectFrom('consents')
        .select('national_id')
        .where('sender_id', '=', senderId)
        .where('status', '=', 'active')
        .where('national_id', 'in', nationalIds)
        .execute();
      return new Set(rows.map((r) => r.national_id));
    },
  };
}
