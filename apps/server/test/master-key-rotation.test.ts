/**
 * `postkasse admin master-key rotate` (apps/server/src/master-key-rotation.ts): every mailbox key
 * wrapped under a new master key, the platform key sealed under it, the old key file kept; letters
 * delivered to a mailbox and letters held for the platform read back after one rotation and after
 * a second; the old key no longer starts the installation.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { openDocument, platformKeyholder } from '@postkasse/core';
import { masterKeyRotation } from '@postkasse/crypto';
import { type AppContext, createContext, loadConfig } from '@postkasse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  letterJson,
  people,
  rawStatement,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';
import { runCliProcess } from '../../../test/spawn-server.js';

describe.each(await testDialects())('rotating the master key (%s)', (dialect) => {
  let server: TestServer;
  let env: Record<string, string>;
  let mailboxId: string;
  const delivered = Buffer.from('%PDF-1.4\n% delivered to a mailbox\n%%EOF\n');
  const held = Buffer.from('%PDF-1.4\n% held for the platform until a mailbox opens\n%%EOF\n');

  beforeAll(async () => {
    server = await startTestServer(dialect, { POSTKASSE_WORKER_INTERVAL_MS: '0' });
    mailboxId = (await server.person(people.kari)).mailboxId;
    const publicSender = await server.sender('public');
    const privateSender = await server.sender('private');
    await server.unregisteredPerson(people.ola);
    const a = await sendLetterHttp(server, publicSender.apiKey, letterJson(), [
      { name: 'main', content: delivered, type: 'application/pdf' },
    ]);
    expect(a.body.status).toBe('DELIVERED');
    const b = await sendLetterHttp(
      server,
      privateSender.apiKey,
      letterJson({ recipient: { nationalId: people.ola } }),
      [{ name: 'main', content: held, type: 'application/pdf' }],
    );
    expect(b.body.status).toBe('HELD');
    // Every process stopped: this one's HTTP side closes; its database handle stays idle.
    await server.app.close();
    env = {
      LOG_LEVEL: 'silent',
      POSTKASSE_DATA_DIR: server.dataDir,
      ...(server.ctx.config.databaseUrl ? { DATABASE_URL: server.ctx.config.databaseUrl } : {}),
    };
  });
  afterAll(() => server?.close());

  const rotate = async (extra: string[] = ['--all-processes-stopped'], more: Record<string, string> = {}) => {
    const res = await runCliProcess(['admin', 'master-key', 'rotate', ...extra, '--json'], { ...env, ...more }, 60_000);
    return { code: res.code, body: JSON.parse(res.stdout), stderr: res.stderr };
  };

  /** Both letters' documents, read through a new process's context. */
  async function readBoth(ctx: AppContext): Promise<[string, string]> {
    const owner = { kind: 'person' as const, nationalId: people.kari, authLevel: 'high' as const };
    const [mine] = await rawStatement<{ id: string; letter_id: string }>(
      server,
      `select d.id, d.letter_id from documents d join letters l on l.id = d.letter_id where l.mailbox_id = '${mailboxId}'`,
    );
    const opened = await openDocument(ctx.deps, owner, mailboxId, mine?.letter_id ?? '', mine?.id ?? '');
    const [heldRow] = await rawStatement<{ id: string; letter_id: string }>(
      server,
      "select d.id, d.letter_id from documents d join letters l on l.id = d.letter_id where l.status = 'HELD'",
    );
    const heldDoc = (await ctx.deps.store.read.documents.listByLetter(heldRow?.letter_id ?? ''))[0];
    if (!heldDoc) throw new Error('the held letter has no document');
    const heldContent = await ctx.deps.vault.open(
      platformKeyholder,
      heldDoc.contentId,
      heldDoc.wrappedKey,
      await ctx.deps.blobs.get(heldDoc.blobKey),
    );
    return [Buffer.from(opened.content).toString(), Buffer.from(heldContent).toString()];
  }

  it('is refused unless every process is said to be stopped, or without the new key for POSTKASSE_MASTER_KEY', async () => {
    const unconfirmed = await rotate([]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.body.error).toMatchObject({ code: 'invalid_operation' });
    expect(unconfirmed.body.error.detail).toMatch(/Stop every process/);
    const current = (await readFile(server.ctx.config.masterKeyFile, 'utf8')).trim();
    const fromEnv = await rotate(['--all-processes-stopped'], { POSTKASSE_MASTER_KEY: current });
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.body.error.detail).toMatch(/--new-key-file/);
  });

  it('refuses before writing anything: a missing key file, or a new key other than the one a rotation began with', async () => {
    const keyFile = server.ctx.config.masterKeyFile;
    const before = (await readdir(dirname(keyFile))).sort();
    await rename(keyFile, `${keyFile}.away`);
    try {
      const missing = await rotate();
      expect(missing.code).toBe(1);
      expect(missing.body.error.detail).toMatch(/No master key at .*master\.key/);
      expect((await readdir(dirname(keyFile))).sort()).toEqual(
        before.map((f) => (f === 'master.key' ? 'master.key.away' : f)).sort(),
      );
    } finally {
      await rename(`${keyFile}.away`, keyFile);
    }
    await writeFile(`${keyFile}.next`, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const other = join(dirname(keyFile), 'operator.key');
    await writeFile(other, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    try {
      const mismatch = await rotate(['--all-processes-stopped', '--new-key-file', other]);
      expect(mismatch.code).toBe(1);
      expect(mismatch.body.error.detail).toMatch(/A rotation to the key in .*master\.key\.next was begun/);
    } finally {
      await rm(`${keyFile}.next`);
      await rm(other);
    }
    // Nothing changed: the installation still starts with its key.
    const still = await createContext(loadConfig(env));
    await still.close();
  });

  it('wraps every mailbox key under a new key, keeps the old file, and every letter still reads; twice', async () => {
    const keyFile = server.ctx.config.masterKeyFile;
    const oldKey = await readFile(keyFile, 'utf8');
    const mailboxes = await rawStatement<{ n: number }>(server, 'select count(*) as n from mailboxes');

    const first = await rotate();
    expect(first.code, first.stderr).toBe(0);
    expect(first.body).toMatchObject({ mailboxes: Number(mailboxes[0]?.n), keyFile });
    expect(first.body.rewrapped).toBe(first.body.mailboxes);
    expect(first.body.retiredKeyFile).toMatch(/master\.key\.retired-/);
    expect(await readFile(first.body.retiredKeyFile, 'utf8')).toBe(oldKey);
    const newKey = await readFile(keyFile, 'utf8');
    expect(newKey).not.toBe(oldKey);
    for (const f of [keyFile, first.body.retiredKeyFile]) expect((await stat(f)).mode & 0o077).toBe(0);

    const after = await createContext(loadConfig(env));
    try {
      expect(await readBoth(after)).toEqual([delivered.toString(), held.toString()]);
      expect((await after.deps.store.read.installation.get())?.platformKey).toMatch(/^[A-Za-z0-9+/=]+$/);
    } finally {
      await after.close();
    }
    // The old key no longer starts the installation.
    await expect(createContext(loadConfig({ ...env, POSTKASSE_MASTER_KEY: oldKey.trim() }))).rejects.toThrow(
      /does not open this database's mailbox keys: it is another key/,
    );

    // A second rotation starts from the sealed platform key, not the derived one.
    const second = await rotate();
    expect(second.code, second.stderr).toBe(0);
    const again = await createContext(loadConfig(env));
    try {
      expect(await readBoth(again)).toEqual([delivered.toString(), held.toString()]);
    } finally {
      await again.close();
    }
  });

  it('cut short, starts with neither key and says how to finish; run again, it finishes', async () => {
    const keyFile = server.ctx.config.masterKeyFile;
    const current = Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64');
    const next = randomBytes(32);
    await writeFile(`${keyFile}.next`, `${next.toString('base64')}\n`, { mode: 0o600 });
    const installation = await server.ctx.deps.store.read.installation.get();
    const rotation = masterKeyRotation(
      current,
      next,
      installation?.platformKey ? Buffer.from(installation.platformKey, 'base64') : null,
    );
    // What a rotation stopped after its first unit leaves: the first mailbox under the new key.
    const [first] = await server.ctx.deps.store.read.mailboxes.keyPage(null, 1);
    const wrapped = rotation.rewrapMailboxKey(first?.id ?? '', first?.wrappedKey ?? new Uint8Array());
    expect(wrapped).not.toBeNull();
    await server.ctx.deps.store.write((repos) => repos.mailboxes.setWrappedKey(first?.id ?? '', wrapped as Uint8Array));
    await expect(createContext(loadConfig(env))).rejects.toThrow(/rotation of the master key .* was cut short/);

    const finished = await rotate();
    expect(finished.code, finished.stderr).toBe(0);
    expect(finished.body.rewrapped).toBe(finished.body.mailboxes - 1);
    expect((await readFile(keyFile, 'utf8')).trim()).toBe(next.toString('base64'));
    const ctx = await createContext(loadConfig(env));
    try {
      expect(await readBoth(ctx)).toEqual([delivered.toString(), held.toString()]);
    } finally {
      await ctx.close();
    }
  });
});

describe('rotating a master key given as POSTKASSE_MASTER_KEY', () => {
  let server: TestServer;
  const oldKey = randomBytes(32).toString('base64');
  const newKey = randomBytes(32).toString('base64');
  let newKeyFile: string;
  const pdf = Buffer.from('%PDF-1.4\n% under an environment key\n%%EOF\n');

  beforeAll(async () => {
    server = await startTestServer('sqlite', { POSTKASSE_MASTER_KEY: oldKey, POSTKASSE_WORKER_INTERVAL_MS: '0' });
    await server.person(people.kari);
    const { apiKey } = await server.sender('public');
    expect((await sendLetterHttp(server, apiKey, letterJson(), [{ name: 'main', content: pdf }])).status).toBe(201);
    await server.app.close();
    newKeyFile = join(server.dataDir, 'new-master.key');
    await writeFile(newKeyFile, `${newKey}\n`, { mode: 0o600 });
  });
  afterAll(() => server?.close());

  it('refuses a --new-key-file that others may read, or that holds no 32-byte key', async () => {
    const env = { LOG_LEVEL: 'silent', POSTKASSE_DATA_DIR: server.dataDir, POSTKASSE_MASTER_KEY: oldKey };
    const open = join(server.dataDir, 'open.key');
    await writeFile(open, `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    const short = join(server.dataDir, 'short.key');
    await writeFile(short, `${randomBytes(16).toString('base64')}\n`, { mode: 0o600 });
    for (const [file, why] of [
      [open, /open\.key is readable by others \(mode 644\)/],
      [short, /short\.key must hold a 32-byte key/],
      [join(server.dataDir, 'none.key'), /none\.key is not a key file/],
    ] as const) {
      const res = await runCliProcess(
        ['admin', 'master-key', 'rotate', '--all-processes-stopped', '--new-key-file', file, '--json'],
        env,
        60_000,
      );
      expect(res.code, file).toBe(1);
      expect(JSON.parse(res.stdout).error).toMatchObject({
        code: 'invalid_operation',
        detail: expect.stringMatching(why),
      });
    }
    // Nothing was changed: the old key still starts it.
    const ctx = await createContext(loadConfig(env));
    await ctx.close();
  });

  it('takes the new key from --new-key-file; the installation then starts with it and not the old one', async () => {
    const env = { LOG_LEVEL: 'silent', POSTKASSE_DATA_DIR: server.dataDir, POSTKASSE_MASTER_KEY: oldKey };
    const res = await runCliProcess(
      ['admin', 'master-key', 'rotate', '--all-processes-stopped', '--new-key-file', newKeyFile, '--json'],
      env,
      60_000,
    );
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      mailboxes: 1,
      rewrapped: 1,
      keyFile: newKeyFile,
      retiredKeyFile: null,
    });
    // No key file was made in the data dir: the key lives where the operator keeps it.
    expect(await readdir(join(server.dataDir, 'keys'))).not.toContain('master.key');
    await expect(createContext(loadConfig(env))).rejects.toThrow(/does not open this database's mailbox keys/);
    const ctx = await createContext(loadConfig({ ...env, POSTKASSE_MASTER_KEY: newKey }));
    try {
      const owner = { kind: 'person' as const, nationalId: people.kari, authLevel: 'high' as const };
      const [row] = await rawStatement<{ id: string; letter_id: string; mailbox_id: string }>(
        server,
        'select d.id, d.letter_id, l.mailbox_id from documents d join letters l on l.id = d.letter_id',
      );
      const opened = await openDocument(ctx.deps, owner, row?.mailbox_id ?? '', row?.letter_id ?? '', row?.id ?? '');
      expect(Buffer.from(opened.content).equals(pdf)).toBe(true);
    } finally {
      await ctx.close();
    }
  });
});
