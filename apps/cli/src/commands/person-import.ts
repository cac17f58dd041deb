/**
 * `postkasse admin person import`: registers many persons from a file (CSV with a header row, or
 * JSON Lines), as an operator loads the population register or a test population. Each person is
 * registered as `admin person create` would; several at once, so their writes share commits.
 * A person already registered (before, or by an earlier row of the file) is left as it is and
 * counted, so a run can be repeated after a failure; a row that is not valid is reported with its
 * row number (and a masked id) and the others are still imported. Memory stays flat whatever the
 * file's size: rows are streamed, and only the first `REPORTED` failures are kept in detail.
 */
import { stat } from 'node:fs/promises';
import { AppError, type FieldError, isAppError, maskNationalId, registerPerson } from '@postkasse/core';
import type { Command } from 'commander';
import { fail, print } from '../output.js';
import { type Fields, readRows, rowFormat } from '../rows.js';
import { withContext } from './admin.js';

const COLUMNS = ['nationalId', 'name', 'email', 'mobile', 'language'] as const;
/** Persons registered at once: enough to fill a group commit, few enough to keep memory flat. */
const IN_FLIGHT = 16;
/** Failures reported row by row; beyond these only counted. */
const REPORTED = 1000;

/** A row not imported: its number, the person's id masked (when the row has one), why. */
export type ImportFailure = {
  row: number;
  nationalId: string | null;
  code: string;
  detail?: string;
  errors?: FieldError[];
};
/** `failed` lists the first 1,000 rows not imported, `failedCount` counts them all. */
export type ImportSummary = { imported: number; existing: number; failedCount: number; failed: ImportFailure[] };

type PersonRow = {
  nationalId: string;
  name: string | null;
  email: string | null;
  mobile: string | null;
  language: string | null;
};

/** A row's fields as a person, or why it is not one. Empty values are absent values. */
function personOf(fields: Fields): PersonRow | Omit<ImportFailure, 'row' | 'nationalId'> {
  const unknown = Object.keys(fields).filter((k) => !(COLUMNS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return {
      code: 'validation_failed',
      errors: unknown.map((k) => ({ path: k, code: 'unknown_field', message: `not one of ${COLUMNS.join(', ')}` })),
    };
  }
  const value = (key: (typeof COLUMNS)[number]): string | null | FieldError => {
    const v = fields[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'string' && typeof v !== 'number') return { path: key, code: 'invalid_type', message: 'a string' };
    const text = String(v).trim();
    return text === '' ? null : text;
  };
  const values = COLUMNS.map(value);
  const wrong = values.filter((v): v is FieldError => v !== null && typeof v === 'object');
  if (wrong.length > 0) return { code: 'validation_failed', errors: wrong };
  const [nationalId, name, email, mobile, language] = values as Array<string | null>;
  if (!nationalId) {
    return {
      code: 'validation_failed',
      errors: [{ path: 'nationalId', code: 'required', message: 'every row names the person' }],
    };
  }
  return { nationalId, name: name ?? null, email: email ?? null, mobile: mobile ?? null, language: language ?? null };
}

export function personImportCommand(person: Command): void {
  person
    .command('import')
    .description(
      'register persons from a file: CSV with a header row or JSON Lines (nationalId, name, email, mobile, language)',
    )
    .argument('<file>', 'persons.csv or persons.jsonl')
    .option('--format <format>', 'csv or jsonl (default: from the extension)')
    .option('--no-mailbox', 'only enter the persons in the register; each mailbox opens at first login')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { format?: string; mailbox: boolean; json?: boolean }) => {
      const json = Boolean(opts.json);
      const format = rowFormat(file, opts.format);
      if (!format) fail(new AppError('validation_failed', '--format is csv or jsonl'), json);
      if (!(await stat(file).catch(() => null))?.isFile())
        fail(new AppError('not_found', `${file}: no such file`), json);
      await withContext(json, async (ctx) => {
        const result = await importPersons(readRows(file, format), (p) =>
          registerPerson(ctx.deps, { ...p, openMailbox: opts.mailbox }),
        );
        print(json, result, () =>
          [
            ...result.failed.map(
              (f) =>
                `row ${f.row}${f.nationalId ? ` (${f.nationalId})` : ''}: ${f.code}${f.detail ? `: ${f.detail}` : ''}${
                  f.errors ? `: ${f.errors.map((e) => `${e.path}: ${e.code}`).join(', ')}` : ''
                }`,
            ),
            ...(result.failedCount > result.failed.length
              ? [`(only the first ${result.failed.length} failed rows are listed)`]
              : []),
            `${result.imported} registered, ${result.existing} already registered, ${result.failedCount} failed`,
          ].join('\n'),
        );
        if (result.failedCount > 0) process.exitCode = 1;
      });
    });
}

/**
 * Registers the rows' persons, `IN_FLIGHT` at once. Rows that are not valid are counted and
 * reported; any other error stops the import and is thrown once the persons in flight are done
 * (what was registered stays: a second run skips it).
 */
export async function importPersons(
  rows: AsyncIterable<{ row: number; fields: Fields | null; parseError?: string }>,
  register: (p: PersonRow) => Promise<unknown>,
): Promise<ImportSummary> {
  const summary: ImportSummary = { imported: 0, existing: 0, failedCount: 0, failed: [] };
  const refuse = (failure: ImportFailure) => {
    summary.failedCount++;
    if (summary.failed.length < REPORTED) summary.failed.push(failure);
  };
  // The persons in flight, by id: a second row for one of them waits for the first, and then
  // finds the person registered (two at once would race for the same register entry).
  const inFlight = new Map<string, Promise<void>>();
  let stop = null as { row: number; error: unknown } | null;
  for await (const { row, fields, parseError } of rows) {
    if (stop) break;
    if (!fields) {
      refuse({ row, nationalId: null, code: 'invalid_row', detail: parseError ?? 'not a row' });
      continue;
    }
    const p = personOf(fields);
    if (!('nationalId' in p)) {
      const id = typeof fields.nationalId === 'string' ? maskNationalId(fields.nationalId.trim()) || null : null;
      refuse({ row, nationalId: id, ...p });
      continue;
    }
    await inFlight.get(p.nationalId);
    const task = register(p).then(
      () => {
        summary.imported++;
      },
      (error: unknown) => {
        if (isAppError(error) && error.code === 'invalid_operation') summary.existing++;
        else if (isAppError(error) && error.code === 'validation_failed') {
          refuse({
            row,
            nationalId: maskNationalId(p.nationalId),
            code: error.code,
            ...(error.errors ? { errors: error.errors } : {}),
          });
        } else stop ??= { row, error };
      },
    );
    const tracked = task.finally(() => {
      if (inFlight.get(p.nationalId) === tracked) inFlight.delete(p.nationalId);
    });
    inFlight.set(p.nationalId, tracked);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight.values());
  }
  await Promise.all(inFlight.values());
  if (stop) {
    const reason = stop.error instanceof Error ? stop.error.message : String(stop.error);
    throw new Error(
      `the import stopped at row ${stop.row} (${summary.imported} registered before it): ${reason}; ` +
        'run it again to go on: persons already registered are skipped',
    );
  }
  summary.failed.sort((a, b) => a.row - b.row);
  return summary;
}
