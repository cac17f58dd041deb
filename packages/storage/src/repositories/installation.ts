import type { Installation, Repositories } from '@postkasse/core';
import type { InstallationRow } from '../schema/installation.js';
import type { RepoContext } from './shared.js';

const toInstallation = (r: InstallationRow): Installation => ({
  id: r.id,
  masterKeyCheck: r.master_key_check,
  signingKid: r.signing_kid,
  createdAt: r.created_at,
  platformKey: r.platform_key,
});

export function installationRepository(ctx: RepoContext): Repositories['installation'] {
  const { db } = ctx;
  return {
    async get() {
      const row = await db.selectFrom('installation').selectAll().where('slot', '=', 1).executeTakeFirst();
      return row ? toInstallation(row) : null;
    },
    async createIfAbsent(i) {
      const rows = await db
        .insertInto('installation')
        .values({
          slot: 1,
          id: i.id,
          master_key_check: i.masterKeyCheck,
          signing_kid: i.signingKid,
          created_at: i.createdAt,
        })
        .onConflict((oc) => oc.column('slot').doNothing())
        .returning('id')
        .execute();
      return rows.length === 1;
    },
    async setSigningKid(kid) {
      await db.updateTable('installation').set({ signing_kid: kid }).where('slot', '=', 1).execute();
    },
    async setMasterKey(masterKeyCheck, platformKey) {
      await db
        .updateTable('installation')
        .set({ master_key_check: masterKeyCheck, platform_key: platformKey })
        .where('slot', '=', 1)
        .execute();
    },
  };
}
