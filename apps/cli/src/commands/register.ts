import {
  AppError,
  getRecordForOperator,
  maskNationalId,
  type OwnRecord,
  type PostalAddress,
  setExemption,
  setPostalAddress,
} from '@postkasse/core';
import type { Command } from 'commander';
import { print } from '../output.js';
import { withContext } from './admin.js';

const summary = (r: OwnRecord) =>
  [
    `${maskNationalId(r.nationalId)}: ${r.registerStatus}${r.provider ? ` at ${r.provider}` : ''}`,
    `reserved: ${r.reserved ? `yes (since ${r.reservedAt})` : 'no'}`,
    `exempt: ${r.exempt ? `yes (since ${r.exemptAt})` : 'no'}`,
    `can be notified: ${r.canBeNotified ? 'yes' : 'no (no contact details, or older than 18 months)'}`,
    `language: ${r.language ?? 'not chosen'}`,
  ].join('\n');

/** Parses `--address "Storgata 1|0150|Oslo"` (Norwegian) or `--foreign-address "1 Main St|London|GB"`. */
function parseAddress(norwegian?: string, foreign?: string): PostalAddress | null {
  if (norwegian) {
    const parts = norwegian.split('|').map((p) => p.trim());
    const city = parts.pop() ?? '';
    const postalCode = parts.pop() ?? '';
    if (parts.length === 0 || !/^\d{4}$/.test(postalCode) || !city) {
      throw new AppError(
        'validation_failed',
        '--address is "line|[line|]postal code|city", e.g. "Storgata 1|0150|Oslo"',
      );
    }
    return { type: 'norwegian', addressLines: parts, postalCode, city };
  }
  if (foreign) {
    const parts = foreign.split('|').map((p) => p.trim());
    const country = parts.pop() ?? '';
    if (parts.length === 0 || !country) {
      throw new AppError(
        'validation_failed',
        '--foreign-address is "line|[line|…]country", e.g. "1 Main St|London|GB"',
      );
    }
    return { type: 'foreign', addressLines: parts, country };
  }
  return null;
}

/** The operator's side of the contact and reservation register. */
export function registerCommands(admin: Command): void {
  const register = admin.command('register').description('the contact and reservation register');
  register
    .command('show')
    .description("a person's register record")
    .requiredOption('--id <nationalId>')
    .option('--json', 'print JSON')
    .action(async (opts: { id: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const r = await getRecordForOperator(ctx.deps, opts.id);
        print(json, r, () => summary(r));
      });
    });
  register
    .command('exempt')
    .description('exempt a person from digital public mail (they get paper), or lift it with --off')
    .requiredOption('--id <nationalId>')
    .option('--off', 'lift the exemption')
    .option('--json', 'print JSON')
    .action(async (opts: { id: string; off?: boolean; json?: boolean }) => {
      const json = Boolean(opts.json);
      await withContext(json, async (ctx) => {
        const r = await setExemption(ctx.deps, opts.id, !opts.off);
        print(json, r, () => summary(r));
      });
    });
  register
    .command('address')
    .description("record a person's postal address (from the population register), or clear it")
    .requiredOption('--id <nationalId>')
    .option('--address <lines>', 'Norwegian: "line|[line|]postal code|city"')
    .option('--foreign-address <lines>', 'foreign: "line|[line|…]country"')
    .option('--clear', 'remove the address')
    .option('--json', 'print JSON')
    .action(
      async (opts: { id: string; address?: string; foreignAddress?: string; clear?: boolean; json?: boolean }) => {
        const json = Boolean(opts.json);
        await withContext(json, async (ctx) => {
          const address = parseAddress(opts.address, opts.foreignAddress);
          if (!address && !opts.clear)
            throw new AppError('validation_failed', 'Give --address, --foreign-address or --clear');
          const r = await setPostalAddress(ctx.deps, opts.id, address);
          print(json, r, () => `${summary(r)}\naddress: ${r.postalAddress ? JSON.stringify(r.postalAddress) : '-'}`);
        });
      },
    );
}
