import type { Grant, Repositories } from '@postkasse/core';
import type { GrantRow } from '../schema/grants.js';
import type { RepoContext } from './shared.js';

const toGrant = (r: GrantRow): Grant => ({
  id: r.id,
  mailboxId: r.mailbox_id,
  granteeNationalId: r.grantee_national_id,
  scope: r.scope as Grant['scope'],
  validUntil: r.valid_until,
  createdAt: r.created_at,
  createdBy: r.created_by,
  revokedAt: r.revoked_at,
});

export function grantsRepository({ db }: RepoContext): Repositories['grants'] {
  return {
    async insert(g) {
      await db
        .insertInto('grants')
        .values({
          id: g.id,
          mailbox_id: g.mailboxId,
          grantee_national_id: g.granteeNationalId,
          scope: g.scope,
          valid_until: g.validUntil,
          created_at: g.createdAt,
          created_by: g.createdBy,
          revoked_at: g.revokedAt,
        })
        .execute();
    },
    async get(mailboxId, id) {
      const row = await db
        .selectFrom('grants')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toGrant(row) : null;
    },
    async listByMailbox(mailboxId) {
      const rows = await db
        .selectFrom('grants')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .orderBy('created_at')
        .execute();
      return rows.map(toGrant);
    },
    async listActiveForGrantee(nationalId, now) {
      const rows = await db
        .selectFrom('grants')
        .selectAll()
        .where('grantee_national_id', '=', nationalId)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
        .orderBy('created_at')
        .execute();
      return rows.map(toGrant);
    },
    async revoke(mailboxId, id, at) {
      await db
        .updateTable('grants')
        .set({ revoked_at: at })
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
