import type { ApiKey, Repositories, Sender } from '@postkasse/core';
import type { ApiKeyRow } from '../schema/api-keys.js';
import { prepared } from './prepared.js';
import type { RepoContext } from './shared.js';

const toKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id,
  senderId: r.sender_id,
  keyHash: r.key_hash,
  prefix: r.prefix,
  label: r.label,
  scopes: r.scopes.split(' ').filter(Boolean),
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

// Read for every request a sender makes (see prepared.ts).
const keyWithSender = prepared((db, $) =>
  db
    .selectFrom('api_keys as k')
    .innerJoin('senders as s', 's.id', 'k.sender_id')
    .selectAll('k')
    .select([
      's.org_number as s_org_number',
      's.name as s_name',
      's.kind as s_kind',
      's.status as s_status',
      's.created_at as s_created_at',
    ])
    .where('k.key_hash', '=', $('keyHash')),
);

export function apiKeysRepository(ctx: RepoContext): Repositories['apiKeys'] {
  const { db } = ctx;
  return {
    async insert(k) {
      await db
        .insertInto('api_keys')
        .values({
          id: k.id,
          sender_id: k.senderId,
          key_hash: k.keyHash,
          prefix: k.prefix,
          label: k.label,
          scopes: k.scopes.join(' '),
          created_at: k.createdAt,
          last_used_at: k.lastUsedAt,
          revoked_at: k.revokedAt,
        })
        .execute();
    },
    async findWithSender(keyHash) {
      const [row] = (await keyWithSender.execute(ctx, { keyHash })).rows;
      if (!row) return null;
      return {
        key: toKey(row),
        sender: {
          id: row.sender_id,
          orgNumber: row.s_org_number,
          name: row.s_name,
          kind: row.s_kind as Sender['kind'],
          status: row.s_status as Sender['status'],
          createdAt: row.s_created_at,
        },
      };
    },
    async listBySender(senderId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('sender_id', '=', senderId)
        .orderBy('created_at')
        .execute();
      return rows.map(toKey);
    },
    async touch(id, at) {
      await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async revoke(id, at) {
      await db
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
  };
}
