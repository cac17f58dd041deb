/**
 * The job runner: takes due jobs from the durable job table, runs them, and retries failures
 * with exponential backoff until a job gives up (dead, with a hook so the sender can be told).
 */
import { AppError } from './errors.js';
import type { Deps, Job, JobKind, MailboxOwnerType, NewJob } from './ports.js';

/** Letters held for a recipient are looked at again (after a mailbox opened or a consent was given). */
export function heldReleaseJob(
  deps: Pick<Deps, 'ids' | 'clock'>,
  recipient: { type: MailboxOwnerType; id: string },
  senderId: string | null = null,
): NewJob {
  return {
    id: deps.ids.uuid(),
    kind: 'held.release',
    ref: `${recipient.type}:${recipient.id}`,
    payload: { recipientType: recipient.type, recipientId: recipient.id, ...(senderId ? { senderId } : {}) },
    runAt: deps.clock.now().toISOString(),
  };
}

export type JobHandlers = {
  run(deps: Deps, job: Job): Promise<void>;
  gaveUp(deps: Deps, job: Job, error: string): Promise<void>;
};

export const jobPolicy: Record<JobKind, { maxAttempts: number }> = {
  'letter.due': { maxAttempts: 20 },
  'letter.hold_expired': { maxAttempts: 20 },
  'letter.print': { maxAttempts: 8 },
  'letter.print_if_unread': { maxAttempts: 20 },
  'letter.purge': { maxAttempts: 20 },
  'held.release': { maxAttempts: 20 },
  // Backoff 30 s … 1 h: eight attempts span about two hours before the sender is told.
  'notify.send': { maxAttempts: 8 },
  'notify.reminder': { maxAttempts: 20 },
};

/** 30 s, 1 min, 2 min, … up to an hour between attempts. */
export function backoffMs(attempts: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempts - 1), 3600_000);
}

const isPermanent = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { permanent?: unknown }).permanent === true;

/** Runs the jobs due now, one batch; returns how many it ran. */
export async function runDueJobs(
  deps: Deps,
  handlers: JobHandlers,
  options: {
    limit?: number;
    leaseMs?: number;
    concurrency?: number;
    onError?: (job: Job, error: unknown) => void;
  } = {},
): Promise<number> {
  const now = deps.clock.now();
  const lease = new Date(now.getTime() + (options.leaseMs ?? 5 * 60_000)).toISOString();
  // The worker asks every second: with nothing due, a read answers without a unit of work.
  if (!(await deps.store.read.jobs.anyDue(now.toISOString()))) return 0;
  const jobs = await deps.store.write((repos) => repos.jobs.claimDue(now.toISOString(), options.limit ?? 50, lease));
  const runOne = async (job: Job) => {
    try {
      await handlers.run(deps, job);
      await deps.store.write((repos) => repos.jobs.complete(job.id));
    } catch (error) {
      options.onError?.(job, error);
      const message = error instanceof Error ? error.message : String(error);
      if (isPermanent(error) || job.attempts >= jobPolicy[job.kind].maxAttempts) {
        await deps.store.write((repos) => repos.jobs.bury(job.id, message));
        await handlers.gaveUp(deps, job, message).catch((e: unknown) => options.onError?.(job, e));
      } else {
        const runAt = new Date(deps.clock.now().getTime() + backoffMs(job.attempts)).toISOString();
        await deps.store.write((repos) => repos.jobs.retry(job.id, runAt, message));
      }
    }
  };
  // Jobs are independent (each changes its letter only from the state it expects), so a few run
  // at once: most of their time is spent waiting for an SMTP server, a gateway or the disk.
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) await runOne(jobs[next++] as Job);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, jobs.length) }, lane));
  return jobs.length;
}

/** The jobs that gave up, newest first: what the operator looks at (`postkasse admin jobs list`). */
export async function listDeadJobs(deps: Pick<Deps, 'store'>, limit = 100): Promise<Job[]> {
  return deps.store.read.jobs.listDead(limit);
}

/**
 * Runs a job that gave up once more, now, with its attempts counted from zero. Its step checks
 * the letter's state as always: a job whose failure already moved the letter on (a print that
 * failed, told to the sender) does nothing.
 */
export async function retryDeadJob(deps: Pick<Deps, 'store' | 'clock'>, id: string): Promise<void> {
  const now = deps.clock.now().toISOString();
  if (!(await deps.store.write((repos) => repos.jobs.revive(id, now)))) {
    throw new AppError('not_found', 'No job that gave up has this id');
  }
}
