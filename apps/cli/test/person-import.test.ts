import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../../test/spawn-server.js';
import { importPersons } from '../src/commands/person-import.js';

// Synthetic ids from ../shared/fixtures/identities.json and others with valid check digits.
const KARI = '12858510129';
const OLA = '03917210194';
const OTHER = '09899910173';

describe('postkasse admin person import (a separate process on a real data dir)', () => {
  let dir: string;
  const env = (): Record<string, string> => ({
    POSTKASSE_DATA_DIR: join(dir, 'data'),
    PORT: '18997',
    LOG_LEVEL: 'silent',
  });
  const cli = (...args: string[]) => runCliProcess(args, env());
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-cli-import-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('registers the valid rows of a CSV file, reports the others by row with masked ids, and can be run again', async () => {
    const csv = await file(
      'persons.csv',
      [
        'nationalId,name,email,mobile,language',
        `${KARI},Kari Nordmann,kari@example.org,+47 912 34 567,nb`,
        `${OLA},Ola Nordmann,,,`,
        '12858510128,Wrong check digit,,,',
        `${OTHER},Bad contact,not-an-address,12,xx`,
        `${KARI},Kari again,,,`,
        ',No id,,,',
      ].join('\n'),
    );
    const first = await cli('admin', 'person', 'import', csv, '--json');
    expect(first.code).toBe(1);
    const out = JSON.parse(first.stdout);
    // Kari's second row finds her registered by the first.
    expect(out).toMatchObject({ imported: 2, existing: 1, failedCount: 3 });
    expect(out.failed.map((f: { row: number }) => f.row)).toEqual([3, 4, 6]);
    const codes = (row: number) =>
      out.failed.find((f: { row: number }) => f.row === row).errors.map((e: { code: string }) => e.code);
    expect(codes(3)).toEqual(['invalid_national_id']);
    expect(codes(4)).toEqual(['invalid_email', 'invalid_mobile', 'invalid_language']);
    expect(codes(6)).toEqual(['required']);
    expect(out.failed[0].nationalId).toBe('128585*****');
    // No national id in the output in full, valid or not.
    for (const id of [KARI, OLA, OTHER, '12858510128']) expect(first.stdout + first.stderr).not.toContain(id);

    // Kari's contact details are kept as the register keeps them, and her mailbox is open.
    const kari = JSON.parse((await cli('admin', 'register', 'show', '--id', KARI, '--json')).stdout);
    expect(kari).toMatchObject({
      email: 'kari@example.org',
      mobile: '+4791234567',
      language: 'nb',
      registerStatus: 'active',
    });
    // Nothing of the refused rows was stored.
    expect((await cli('admin', 'register', 'show', '--id', OTHER, '--json')).code).toBe(1);

    // A second run changes nothing and counts who is there already.
    const again = JSON.parse((await cli('admin', 'person', 'import', csv, '--json')).stdout);
    expect(again).toMatchObject({ imported: 0, existing: 3, failedCount: 3 });
    expect(again.failed).toHaveLength(3);

    const human = await cli('admin', 'person', 'import', csv);
    expect(human.stdout).toContain('row 4 (098999*****): validation_failed: email: invalid_email');
    expect(human.stdout).toContain('0 registered, 3 already registered, 3 failed');
  });

  it('reads JSON Lines, refuses unknown fields and lines that are not JSON, and exits 0 when all rows are in', async () => {
    const jsonl = await file(
      'persons.jsonl',
      [
        JSON.stringify({ nationalId: OTHER, name: 'Per', language: 'nn' }),
        JSON.stringify({ nationalId: OLA, mail: 'ola@example.org' }),
        `not json ${OLA}`,
        JSON.stringify({ nationalId: 12858510129 }),
        JSON.stringify({ nationalId: OTHER, name: { first: 'Per' } }),
      ].join('\n'),
    );
    const res = await cli('admin', 'person', 'import', jsonl, '--json');
    expect(res.code).toBe(1);
    const out = JSON.parse(res.stdout);
    // Per (refused before for his contact details) is new; Kari, given as a number, is there already.
    expect(out).toMatchObject({ imported: 1, existing: 1 });
    expect(out.failed.map((f: { row: number; code: string }) => [f.row, f.code])).toEqual([
      [2, 'validation_failed'],
      [3, 'invalid_row'],
      [5, 'validation_failed'],
    ]);
    expect(out.failed[0].errors[0]).toMatchObject({ path: 'mail', code: 'unknown_field' });
    expect(out.failed[2].errors[0]).toMatchObject({ path: 'name', code: 'invalid_type' });
    // The JSON parser quotes the broken line; a national id in it is masked, as in logs.
    expect(res.stdout).not.toContain(`not json ${OLA}`);
    expect(out.failed[1].detail ?? JSON.stringify(out.failed[1])).toContain('not valid JSON');

    const clean = await file('clean.jsonl', `${JSON.stringify({ nationalId: OTHER })}\n`);
    const ok = await cli('admin', 'person', 'import', clean, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ imported: 0, existing: 1, failedCount: 0, failed: [] });
  });

  it('opens no mailboxes with --no-mailbox', async () => {
    const csv = await file('register-only.csv', `nationalId\n21826010301\n`);
    const res = await cli('admin', 'person', 'import', csv, '--no-mailbox', '--json');
    expect(res.code).toBe(0);
    const shown = JSON.parse((await cli('admin', 'register', 'show', '--id', '21826010301', '--json')).stdout);
    expect(shown.registerStatus).toBe('not_registered');
  });

  it('refuses a file that is not there and a format it does not read', async () => {
    const missing = await cli('admin', 'person', 'import', join(dir, 'nope.csv'), '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error.code).toBe('not_found');
    const csv = await file('x.csv', 'nationalId\n');
    const format = await cli('admin', 'person', 'import', csv, '--format', 'xml', '--json');
    expect(format.code).toBe(1);
    expect(JSON.parse(format.stdout).error.code).toBe('validation_failed');
  });

  it('refuses contact details that are not valid in person create too', async () => {
    const bad = await cli('admin', 'person', 'create', '--id', '2211771212', '--email', 'nope', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.errors).toEqual([
      expect.objectContaining({ path: 'email', code: 'invalid_email' }),
    ]);
    expect((await cli('admin', 'register', 'show', '--id', '2211771212', '--json')).code).toBe(1);
  });
});

describe('importPersons', () => {
  async function* rows(n: number) {
    for (let row = 1; row <= n; row++) {
      yield { row, fields: { nationalId: `id-${row}` } };
    }
  }

  it('registers at most 16 at once and counts each outcome', async () => {
    let running = 0;
    let most = 0;
    const summary = await importPersons(rows(100), async (p) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      if (p.nationalId === 'id-7') throw new AppError('invalid_operation', 'already registered');
      if (p.nationalId === 'id-9') throw new AppError('validation_failed', 'no', { errors: [] });
    });
    expect(most).toBe(16);
    expect(summary).toMatchObject({ imported: 98, existing: 1 });
    expect(summary.failed.map((f) => f.row)).toEqual([9]);
  });

  it('registers a person named twice one row after the other, never both at once', async () => {
    async function* twice() {
      for (let row = 1; row <= 40; row++) yield { row, fields: { nationalId: `id-${Math.ceil(row / 2)}` } };
    }
    const registered = new Set<string>();
    const running = new Set<string>();
    let overlapped = false;
    const summary = await importPersons(twice(), async (p) => {
      if (running.has(p.nationalId)) overlapped = true;
      running.add(p.nationalId);
      await new Promise((r) => setTimeout(r, 1));
      running.delete(p.nationalId);
      if (registered.has(p.nationalId)) throw new AppError('invalid_operation', 'already registered');
      registered.add(p.nationalId);
    });
    expect(overlapped).toBe(false);
    expect(summary).toMatchObject({ imported: 20, existing: 20, failedCount: 0 });
  });

  it('lists the first 1,000 rows not imported and counts the rest', async () => {
    async function* bad() {
      for (let row = 1; row <= 1500; row++) yield { row, fields: { nationalId: '' } };
    }
    const summary = await importPersons(bad(), async () => undefined);
    expect(summary.failedCount).toBe(1500);
    expect(summary.failed).toHaveLength(1000);
    expect(summary.failed[999]?.row).toBe(1000);
  });

  it('stops at an error that is not about the row, after the persons in flight, and says how to go on', async () => {
    const attempted: string[] = [];
    const run = importPersons(rows(1000), async (p) => {
      attempted.push(p.nationalId);
      await new Promise((r) => setTimeout(r, 1));
      if (p.nationalId === 'id-40') throw new Error('disk full');
    });
    await expect(run).rejects.toThrow(/stopped at row 40 .*disk full.*run it again/);
    expect(attempted.length).toBeLessThan(40 + 16 + 1);
  });
});
