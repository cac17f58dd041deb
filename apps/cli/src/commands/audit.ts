import { readFile } from 'node:fs/promises';
import { AppError, type ChainCheck, maskNationalId, verifyAuditLogs } from '@postkasse/core';
import { type AnchorCheck, checkAnchor, makeAnchor } from '@postkasse/server';
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

/** Every anchor in a file: one, the JSON `audit anchor --json` prints, or many lines of either. */
const ANCHOR = /eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g;

async function readAnchors(files: string[]): Promise<string[]> {
  const anchors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AppError('validation_failed', `cannot read ${file}: ${(error as Error).message}`);
    }
    const found = text.match(ANCHOR) ?? [];
    if (found.length === 0) throw new AppError('validation_failed', `${file} holds no anchor`);
    anchors.push(...found);
  }
  return anchors;
}

const describeAnchor = (a: AnchorCheck) =>
  `  anchor of ${a.at ?? '?'} at entry ${a.position ?? '?'}: ${
    {
      holds: 'holds',
      changed: 'CHANGED (the chain up to it was rewritten)',
      missing: 'MISSING (the chain no longer reaches it)',
      invalid: `INVALID (${a.error})`,
    }[a.status]
  }`;

/** The operator's side of the audit logs: check the hash chains, anchor the events' chain. */
export function auditCommands(admin: Command): void {
  const audit = admin.command('audit').description('the hash-chained logs (mailboxes, the register, the events)');
  audit
    .command('verify')
    .description('recompute every chain of the logs (or one mailbox, one person); exit 1 when one is broken')
    .option('--mailbox <id>', "only this mailbox's log")
    .option('--id <nationalId>', "only this person's register history")
    .option(
      '--anchor <file>',
      'also check the anchors in this file (as `audit anchor` prints them; repeatable): each must be signed by ' +
        'the platform and its link of the events chain still there',
      (file: string, files: string[]) => [...files, file],
      [] as string[],
    )
    .option('--json', 'print JSON')
    .action(async (opts: { mailbox?: string; id?: string; anchor: string[]; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        if (opts.mailbox !== undefined && !UUID.test(opts.mailbox)) {
          throw new AppError('validation_failed', '--mailbox must be a mailbox id (a UUID)');
        }
        if (opts.anchor.length > 0 && (opts.mailbox || opts.id)) {
          throw new AppError('validation_failed', '--anchor checks the events chain: not with --mailbox or --id');
        }
        const anchored = await readAnchors(opts.anchor);
        const verified = await verifyAuditLogs(ctx.deps, {
          ...(opts.mailbox ? { mailboxId: opts.mailbox.toLowerCase() } : {}),
          ...(opts.id ? { nationalId: opts.id } : {}),
        });
        const anchors: AnchorCheck[] = [];
        for (const anchor of anchored) anchors.push(await checkAnchor(ctx, anchor));
        const result = {
          ...verified,
          ok: verified.ok && anchors.every((a) => a.status === 'holds'),
          ...(anchored.length > 0 ? { anchors } : {}),
        };
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
            ...(anchors.length > 0
              ? [
                  `anchors: ${anchors.length} checked, ${anchors.every((a) => a.status === 'holds') ? 'every one holds' : `${anchors.filter((a) => a.status !== 'holds').length} do not hold`}`,
                  ...anchors.map(describeAnchor),
                ]
              : []),
          ].join('\n'),
        );
        if (!result.ok) process.exitCode = 1;
      });
    });
  audit
    .command('anchor')
    .description(
      'sign where the events chain ends now (position, hash), to be kept outside the platform: `audit verify --anchor` ' +
        'then finds the events up to it rewritten, even with every later hash recomputed',
    )
    .option('--json', 'print JSON (one line: append it to an anchor file)')
    .action(async (opts: { json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const anchor = await makeAnchor(ctx);
        if (json) {
          process.stdout.write(`${JSON.stringify(anchor)}\n`);
          return;
        }
        print(false, anchor, () =>
          [
            `events chain at entry ${anchor.position}, ${anchor.at}`,
            `hash ${anchor.hash}`,
            'anchor (keep it outside the platform; check with `postkasse admin audit verify --anchor <file>`):',
            anchor.anchor,
          ].join('\n'),
        );
      });
    });
}
