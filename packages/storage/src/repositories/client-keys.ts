import type { ClientKey, Repositories } from '@postkasse/core';
import type { ClientKeyRow } from '../schema/client-keys.js';
import type { RepoContext } from './shared.js';

const toKey = (r: ClientKeyRow): ClientKey => ({
  id: r.id,
  senderId: r.sender_id,
  kid: r.kid,
  jwk: JSON.parse(r.jwk) as Record<string, unknown>,
  scopes: r.scopes.split(' ').filter(Boolean),
  createdAt: r.created_at,
  revokedAt: r.revoked_at,
});

export function clientKeysRepository({ db }: RepoContext): Repositories['clientKeys'] {
  return {
    async insert(k) {
      await db
        .insertInto('sender_client_keys')
        .values({
          id: k.id,
          sender_id: k.senderId,
          kid: k.kid,
          jwk: JSON.stringify(k.jwk),
          scopes: k.scopes.join(' '),
          created_at: k.createdAt,
          revoked_at: k.revokedAt,
        })
        .execute();
    },
    async listBySender(senderId) {
      const rows = await db
        .selectFrom('sender_client_keys')
        .selectAll()
        .where('sender_id', '=', senderId)
        .orderBy('created_at')
        .execute();
      return rows.map(toKey);
    },
    async revoke(senderId, id, at) {
      await db
        .updateTable('sender_client_keys')
        .set({ revoked_at: at })
        .where('sender_id', '=', senderId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async useAssertion(jti, expiresAt, now) {
      await db.deleteFrom('used_assertions').where('expires_at', '<', now).execute();
      const inserted = await db
        .insertInto('used_assertions')
        .values({ jti, expires_at: expiresAt })
        .onConflict((oc) => oc.column('jti').doNothing())
        .returning('jti')
        .executeTakeFirst();
      return inserted !== undefined;
    },
  };
}
