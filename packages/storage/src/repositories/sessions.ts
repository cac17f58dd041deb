import type { Repositories, Session } from '@postkasse/core';
import type { SessionRow } from '../schema/sessions.js';
import type { RepoContext } from './shared.js';

const toSession = (r: SessionRow): Session => ({
  idHash: r.id_hash,
  nationalId: r.national_id,
  authLevel: r.auth_level as Session['authLevel'],
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
});

export function sessionsRepository({ db }: RepoContext): Repositories['sessions'] {
  return {
    async insert(s) {
      await db
        .insertInto('sessions')
        .values({
          id_hash: s.idHash,
          national_id: s.nationalId,
          auth_level: s.authLevel,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          last_seen_at: s.lastSeenAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    async get(idHash) {
      const row = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
      return row ? toSession(row) : null;
    },
    async touch(idHash, at) {
      await db.updateTable('sessions').set({ last_seen_at: at }).where('id_hash', '=', idHash).execute();
    },
    async delete(idHash) {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    async deleteEnded(now, lastSeenBefore) {
      const result = await db
        .deleteFrom('sessions')
        .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<=', lastSeenBefore)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
