import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../../test/spawn-server.js';

describe('postkasse admin register (the operator side of the register)', () => {
  let dataDir: string;
  const env = (): Record<string, string> => ({ POSTKASSE_DATA_DIR: dataDir, PORT: '18998', LOG_LEVEL: 'silent' });
  const cli = (...args: string[]) => runCliProcess(args, env());

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pk-cli-register-'));
    expect((await cli('admin', 'person', 'create', '--id', '09899910173', '--no-mailbox', '--json')).code).toBe(0);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('exempts a person and lifts it again', async () => {
    const on = await cli('admin', 'register', 'exempt', '--id', '09899910173', '--json');
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ exempt: true, registerStatus: 'not_registered' });
    const shown = await cli('admin', 'register', 'show', '--id', '09899910173');
    expect(shown.stdout).toContain('exempt: yes');
    // National ids are masked in human output.
    expect(shown.stdout).not.toContain('09899910173');
    const off = await cli('admin', 'register', 'exempt', '--id', '09899910173', '--off', '--json');
    expect(JSON.parse(off.stdout)).toMatchObject({ exempt: false, exemptAt: null });
  });

  it('records a postal address and refuses a malformed one or an unknown person', async () => {
    const ok = await cli(
      'admin',
      'register',
      'address',
      '--id',
      '09899910173',
      '--address',
      'Storgata 1|0155|Oslo',
      '--json',
    );
    expect(JSON.parse(ok.stdout).postalAddress).toEqual({
      type: 'norwegian',
      addressLines: ['Storgata 1'],
      postalCode: '0155',
      city: 'Oslo',
    });
    const bad = await cli(
      'admin',
      'register',
      'address',
      '--id',
      '09899910173',
      '--address',
      'Storgata 1|Oslo',
      '--json',
    );
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('validation_failed');
    const unknown = await cli('admin', 'register', 'show', '--id', '12858510129', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error.code).toBe('not_registered');
    // A mistyped id is said to be one, not "not registered" (a check digit off, letters, a CPR with no such date).
    for (const [command, id] of [
      ['show', '12858510128'],
      ['show', 'garbage'],
      ['exempt', '3213011234'],
      ['address', '1285851012'],
    ] as const) {
      const extra = command === 'address' ? ['--clear'] : [];
      const typo = await cli('admin', 'register', command, '--id', id, ...extra, '--json');
      expect(typo.code, `${command} ${id}`).toBe(1);
      expect(JSON.parse(typo.stdout).error).toMatchObject({
        code: 'validation_failed',
        detail: 'nationalId is not a valid national id',
      });
    }
  });

  it('issues API keys with the register:contact scope and refuses unknown scopes', async () => {
    await cli('admin', 'sender', 'create', '--org', '974000008', '--name', 'Skatteetaten', '--json');
    const scoped = await cli(
      'admin',
      'sender',
      'key',
      'create',
      '--org',
      '974000008',
      '--scope',
      'register:contact',
      '--json',
    );
    expect(JSON.parse(scoped.stdout).scopes).toEqual(['messages', 'register:contact']);
    const wrong = await cli('admin', 'sender', 'key', 'create', '--org', '974000008', '--scope', 'root', '--json');
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).error.code).toBe('validation_failed');
  });
});
