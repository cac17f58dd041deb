import { AppError, type ChainCheck, maskNationalId, verifyAuditLogs } from '@postkasse/core';
import type { Command } from 'commander';
import { print } from '../output.js';
import { UUID } from '../sdk-client.js';
import { withContext } from './admin.js';

const describe = (name: string, c: ChainCheck) =>
  [
    `${name}: ${c.entries} entries in ${c.chains} chains, ${c.broken.length === 0 ? 'every link holds' : `${c.broken.length} broken`}`,
    ...c.broken.map(
      (b) =>
        `  broken: ${b.chain} at entry ${b.seq} (${b.reason === 'hash' ? 'changed' : 'removed or inserted before it'})`,
    ),
  ].join('\n');

/** The operator's side of the audit logs: check the hash chains, read an entry list. */
export function auditCommands(admin: Command): void {
  const audit = admin.command('audit').description('the hash-chained logs (mailboxes, the register, the events)');
  audit
    .command('verify')
    .description('recompute every chain of the logs (or one mailbox, one person); exit 1 when one is broken')
    .option('--mailbox <id>', "only this mailbox's log")
    .option('--id <nationalId>', "only this person's register history")
    .option('--json', 'print JSON')
    .action(async (opts: { mailbox?: string; id?: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        if (opts.mailbox !== undefined && !UUID.test(opts.mailbox)) {
          throw new AppError('validation_failed', '--mailbox must be a mailbox id (a UUID)');
        }
        const result = await verifyAuditLogs(ctx.deps, {
          ...(opts.mailbox ? { mailboxId: opts.mailbox.toLowerCase() } : {}),
          ...(opts.id ? { nationalId: opts.id } : {}),
        });
        // The register's chains are named by national id: masked for people, in full with --json.
        const shown = json
          ? result
          : {
              ...result,
              register: {
                ...result.register,
                broken: result.register.broken.map((b) => ({ ...b, chain: maskNationalId(b.chain) })),
              },
            };
        print(json, shown, () =>
          [
            describe('mailbox audit logs', shown.mailboxes),
            describe('register history', shown.register),
            ...(opts.mailbox || opts.id ? [] : [describe('events', shown.events)]),
          ].join('\n'),
        );
        if (!result.ok) process.exitCode = 1;
      });
    });
}
