import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/** As core's trashRetentionMs: a deleted letter stays in the trash this long. */
const TRASH_RETENTION_MS = 30 * 24 * 3600_000;

/**
 * Letters in the trash from before deleting to the trash scheduled their purge get that job now,
 * due 30 days after they were deleted (at once, for those deleted longer ago).
 */
export function trashPurgeJobs(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      const trashed = await sql<{ id: string; trashed_at: string | Date }>`select id, trashed_at from letters
        where trashed_at is not null and mailbox_id is not null`.execute(db);
      const now = new Date().toISOString();
      for (const letter of trashed.rows) {
        const due = new Date(new Date(letter.trashed_at).getTime() + TRASH_RETENTION_MS).toISOString();
        await sql`insert into jobs (id, kind, ref, payload, run_at, status, attempts, created_at)
          values (${randomUUID()}, 'letter.purge', ${letter.id}, '{}', ${due}, 'pending', 0, ${now})`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      await sql`delete from jobs where kind = 'letter.purge'`.execute(db);
    },
  };
}
