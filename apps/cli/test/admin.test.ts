import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../../test/spawn-server.js';

describe('postkasse admin (the operator CLI, run as a separate process)', () => {
  let dataDir: string;
  const env = (): Record<string, string> => ({ POSTKASSE_DATA_DIR: dataDir, PORT: '18999', LOG_LEVEL: 'silent' });
  const cli = (...args: string[]) => runCliProcess(args, env());

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pk-cli-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('lists the jobs that gave up (none here) and refuses to retry an id that is not one', async () => {
    const list = await cli('admin', 'jobs', 'list', '--json');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ items: [] });
    const retry = await cli('admin', 'jobs', 'retry', '0190d5a8-0000-7000-8000-000000000000', '--json');
    expect(retry.code).toBe(1);
    expect(JSON.parse(retry.stdout).error.code).toBe('not_found');
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    const res = await runCliProcess(['--version'], env());
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(version);
  });

  it('creates a sender and shows its API key once, as JSON', async () => {
    const res = await cli(
      'admin',
      'sender',
      'create',
      '--org',
      '974000008',
      '--name',
      'Skatteetaten',
      '--kind',
      'public',
      '--json',
    );
    expect(res.code).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out).toMatchObject({ orgNumber: '974000008', kind: 'public' });
    expect(out.senderId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.apiKey).toMatch(/^pk_[A-Za-z0-9_-]{40,}$/);
    expect((await stat(join(dataDir, 'keys', 'master.key'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a second sender with the same organization number and an invalid one', async () => {
    const dup = await cli('admin', 'sender', 'create', '--org', '974000008', '--name', 'Again', '--json');
    expect(dup.code).toBe(1);
    expect(JSON.parse(dup.stdout).error.code).toBe('invalid_operation');
    const bad = await cli('admin', 'sender', 'create', '--org', '974000009', '--name', 'Bad');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('validation_failed');
  });

  it('registers a person with a mailbox and refuses an invalid national id', async () => {
    const ok = await cli('admin', 'person', 'create', '--id', '12858510129', '--name', 'Kari Nordmann', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ nationalId: '12858510129', mailboxId: expect.any(String) });
    // The operator's commands open the context but build no app: the embedded identity provider
    // (oidc-provider, which warns on stderr when it starts) is not even loaded.
    expect(ok.stderr).toBe('');
    const bad = await cli('admin', 'person', 'create', '--id', '12858510128');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('validation_failed');
    expect(bad.stderr).not.toContain('12858510128');
  });

  it('prints a token from the embedded test issuer with pid and acr', async () => {
    const res = await cli('admin', 'token', '--id', '12858510129', '--acr', 'idporten-loa-substantial');
    expect(res.code).toBe(0);
    const claims = decodeJwt(res.stdout.trim());
    expect(claims).toMatchObject({
      pid: '12858510129',
      acr: 'idporten-loa-substantial',
      iss: 'http://localhost:18999/test-idp',
    });
    const badAcr = await cli('admin', 'token', '--id', '12858510129', '--acr', 'Level2');
    expect(badAcr.code).toBe(1);
  });

  it('refuses a token for an id that is not a national id', async () => {
    const res = await cli('admin', 'token', '--id', 'garbage');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toContain('validation_failed');
  });

  it('refuses to start or act with another master key than the data was written with, in one line', async () => {
    const other = Buffer.alloc(32, 7).toString('base64');
    const serve = await runCliProcess(['serve'], { ...env(), POSTKASSE_MASTER_KEY: other });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/^error: The master key \(environment variable POSTKASSE_MASTER_KEY\) does not open/);
    expect(serve.stderr.trim().split('\n')).toHaveLength(1);
    const admin = await runCliProcess(['admin', 'person', 'create', '--id', '03917210194', '--json'], {
      ...env(),
      POSTKASSE_MASTER_KEY: other,
    });
    expect(admin.code).not.toBe(0);
    expect(admin.stdout + admin.stderr).toContain('does not open');
    // Nothing was changed: with the right key the person is not there yet and can be created.
    const ok = await cli('admin', 'person', 'create', '--id', '03917210194', '--json');
    expect(ok.code).toBe(0);
  });

  it('answers JSON with --json also when it cannot run at all (exit 2)', async () => {
    const res = await runCliProcess(['admin', 'person', 'create', '--id', '12858510129', '--json'], {
      ...env(),
      PORT: 'abc',
    });
    expect(res.code).toBe(2);
    expect(JSON.parse(res.stdout)).toEqual({ error: { code: 'failed', detail: 'PORT must be 0-65535, got abc' } });
    expect(res.stderr).toBe('error: PORT must be 0-65535, got abc\n');
  });

  it('answers a usage error (missing option, unknown option or command) as JSON with --json, exit 1', async () => {
    for (const [args, detail] of [
      [['admin', 'person', 'create', '--json'], "required option '--id <nationalId>' not specified"],
      [['admin', 'token', '--id', '12858510129', '--acr', 'x', '--bogus', '--json'], "unknown option '--bogus'"],
      [['nosuch', '--json'], "unknown command 'nosuch'"],
    ] as const) {
      const res = await cli(...args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(JSON.parse(res.stdout)).toEqual({ error: { code: 'invalid_arguments', detail } });
      expect(res.stderr).toContain(`error: ${detail}`);
    }
    // Without --json, stdout stays empty: the error and the help go to stderr.
    const human = await cli('admin', 'person', 'create');
    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain("error: required option '--id <nationalId>' not specified");
  });

  it('says in one line why the server cannot start, and refuses demo data in production', async () => {
    const port = await runCliProcess(['serve'], { ...env(), PORT: 'abc' });
    expect(port.code).toBe(1);
    expect(port.stderr).toBe('error: PORT must be 0-65535, got abc\n');
    const demo = await runCliProcess(['serve', '--demo'], {
      ...env(),
      NODE_ENV: 'production',
      POSTKASSE_OIDC_ISSUER: 'https://idp.example.invalid',
      POSTKASSE_OIDC_CLIENT_ID: 'postkasse',
      POSTKASSE_OIDC_CLIENT_SECRET: 'secret',
    });
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain('--demo seeds synthetic senders and persons: it is refused with NODE_ENV=production');
    const testIdp = await runCliProcess(['serve'], { ...env(), NODE_ENV: 'production', POSTKASSE_TEST_IDP: 'on' });
    expect(testIdp.code).toBe(1);
    expect(testIdp.stderr).toContain('cannot be on with NODE_ENV=production');
  });

  it('refuses to make tokens when the test issuer is off', async () => {
    const { code, stdout, stderr } = await runCliProcess(['admin', 'token', '--id', '12858510129'], {
      ...env(),
      POSTKASSE_TEST_IDP: 'off',
      POSTKASSE_OIDC_ISSUER: 'https://idp.example',
      POSTKASSE_OIDC_CLIENT_ID: 'postkasse',
      POSTKASSE_OIDC_CLIENT_SECRET: 'secret',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('forbidden');
  });
});
