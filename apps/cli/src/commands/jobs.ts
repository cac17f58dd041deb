import { AppError, listDeadJobs, retryDeadJob } from '@postkasse/core';
import type { Command } from 'commander';
import { print } from '../output.js';
import { UUID } from '../sdk-client.js';
import { withContext } from './admin.js';

/** The operator's view of the background jobs that gave up, and a way to run one again. */
export function jobsCommands(admin: Command): void {
  const jobs = admin.command('jobs').description('background jobs that gave up (the queue is in /metrics)');
  jobs
    .command('list')
    .description('jobs that gave up, newest first, with their last error')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const limit = Number(opts.limit);
        if (!/^\d+$/.test(opts.limit) || limit < 1 || limit > 1000) {
          throw new AppError('validation_failed', '--limit must be a whole number from 1 to 1000');
        }
        const dead = await listDeadJobs(ctx.deps, limit);
        const shown = dead.map((j) => ({
          id: j.id,
          kind: j.kind,
          ref: j.ref,
          attempts: j.attempts,
          lastRunAt: j.runAt,
          lastError: j.lastError,
        }));
        print(json, { items: shown }, () =>
          shown.length === 0
            ? 'no job has given up'
            : shown.map((j) => `${j.id}  ${j.kind}  ${j.ref}  ${j.attempts} attempts  ${j.lastError ?? ''}`).join('\n'),
        );
      });
    });
  jobs
    .command('retry')
    .description('run a job that gave up once more, now (its attempts start over)')
    .argument('<id>', "the job's id (from jobs list)")
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        if (!UUID.test(id)) throw new AppError('validation_failed', 'the job id must be a UUID');
        await retryDeadJob(ctx.deps, id.toLowerCase());
        print(json, { id, retried: true }, () => `job ${id} runs again; the server's worker takes it`);
      });
    });
}
