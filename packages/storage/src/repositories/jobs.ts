import type { Job, JobStats, NewJob, Repositories } from '@postkasse/core';
import type { CompiledQuery } from 'kysely';
import type { JobRow } from '../schema/delivery.js';
import { type RepoContext, runStatement } from './shared.js';

const toJob = (r: JobRow): Job => ({
  id: r.id,
  kind: r.kind as Job['kind'],
  ref: r.ref,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  runAt: r.run_at,
  status: r.status as Job['status'],
  attempts: Number(r.attempts),
  lockedUntil: r.locked_until,
  lastError: r.last_error,
  createdAt: r.created_at,
});

/** The insert of new jobs, compiled (null for none). */
export function jobsInsertStatement({ db }: RepoContext, jobs: NewJob[]): CompiledQuery | null {
  if (jobs.length === 0) return null;
  const now = new Date().toISOString();
  return db
    .insertInto('jobs')
    .values(
      jobs.map((j) => ({
        id: j.id,
        kind: j.kind,
        ref: j.ref,
        payload: JSON.stringify(j.payload),
        run_at: j.runAt,
        status: 'pending',
        attempts: 0,
        locked_until: null,
        last_error: null,
        created_at: now,
      })),
    )
    .compile();
}

/**
 * The durable job table. A job is pending until a worker leases it (running, until
 * `locked_until`); done jobs are deleted, jobs that gave up stay as dead for the operator. A
 * worker that dies leaves its lease to run out, and the job is taken again (at least once).
 */
export function jobsRepository(ctx: RepoContext): Repositories['jobs'] {
  const { db, dialect } = ctx;
  /** Due jobs: pending ones whose time has come, and running ones whose lease ran out. */
  const dueJobs = (now: string, limit: number) =>
    db
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('locked_until', '<=', now)]),
        ]),
      )
      .orderBy('run_at')
      .limit(limit);
  return {
    async enqueue(jobs) {
      await runStatement(ctx, jobsInsertStatement(ctx, jobs));
    },
    async anyDue(now) {
      return (await dueJobs(now, 1).execute()).length > 0;
    },
    async claimDue(now, limit, lockedUntil) {
      let due = dueJobs(now, limit);
      // PostgreSQL workers may run side by side: each takes rows the others have not locked.
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('jobs')
        .set((eb) => ({ status: 'running', locked_until: lockedUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toJob).sort((a, b) => (a.runAt < b.runAt ? -1 : a.runAt > b.runAt ? 1 : 0));
    },
    async complete(id) {
      await db.deleteFrom('jobs').where('id', '=', id).execute();
    },
    async retry(id, runAt, error) {
      await db
        .updateTable('jobs')
        .set({ status: 'pending', run_at: runAt, locked_until: null, last_error: error })
        .where('id', '=', id)
        .execute();
    },
    async bury(id, error) {
      await db
        .updateTable('jobs')
        .set({ status: 'dead', locked_until: null, last_error: error })
        .where('id', '=', id)
        .execute();
    },
    async cancelFor(ref) {
      await db.deleteFrom('jobs').where('ref', '=', ref).where('status', '=', 'pending').execute();
    },
    async list(ref) {
      const rows = await db.selectFrom('jobs').selectAll().where('ref', '=', ref).orderBy('run_at').execute();
      return rows.map(toJob);
    },
    async stats(now) {
      const counts = await db
        .selectFrom('jobs')
        .select(['kind', 'status'])
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .groupBy(['kind', 'status'])
        .execute();
      const due = await db
        .selectFrom('jobs')
        .select('kind')
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('run_at').as('oldest')])
        .where('status', '=', 'pending')
        .where('run_at', '<=', now)
        .groupBy('kind')
        .execute();
      const byKind = new Map<string, JobStats>();
      const of = (kind: string) => {
        let s = byKind.get(kind);
        if (!s) {
          s = { kind, pending: 0, due: 0, oldestDueAt: null, running: 0, dead: 0 };
          byKind.set(kind, s);
        }
        return s;
      };
      for (const r of counts) {
        const status = r.status as 'pending' | 'running' | 'dead';
        if (status in of(r.kind)) of(r.kind)[status] = Number(r.n);
      }
      for (const r of due) {
        of(r.kind).due = Number(r.n);
        const oldest = r.oldest as unknown;
        of(r.kind).oldestDueAt =
          oldest instanceof Date ? oldest.toISOString() : oldest === null ? null : String(oldest);
      }
      return [...byKind.values()].sort((a, b) => a.kind.localeCompare(b.kind));
    },
    async listDead(limit) {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .where('status', '=', 'dead')
        .orderBy('run_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toJob);
    },
    async revive(id, runAt) {
      const result = await db
        .updateTable('jobs')
        .set({ status: 'pending', run_at: runAt, attempts: 0, locked_until: null })
        .where('id', '=', id)
        .where('status', '=', 'dead')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
