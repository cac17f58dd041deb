/**
 * The operator's access commands, run as a separate process like an operator would: naming the
 * administrators of organizations and senders, managing a sender's API keys, and registering a
 * person whose mailbox opens at first login. What the commands print is checked against what
 * they stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authenticateApiKey } from '@postkasse/core';
import { type AppContext, createContext, loadConfig } from '@postkasse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliProcess } from '../../../test/spawn-server.js';

const ORG = '958300018';
const SENDER_ORG = '974000008';
const UNKNOWN_ORG = '915000002'; // valid, but neither a sender nor a mailbox here
const per = '09899910173';
const kari = '12858510129';
const newcomer = '01818010083';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('postkasse admin: access commands (run as a separate process)', () => {
  let dataDir: string;
  const env = (): Record<string, string> => ({ POSTKASSE_DATA_DIR: dataDir, PORT: '18998', LOG_LEVEL: 'silent' });
  const cli = (...args: string[]) => runCliProcess(args, env());
  const json = async (...args: string[]) => {
    const res = await cli(...args, '--json');
    expect(res.code, res.stderr || res.stdout).toBe(0);
    return JSON.parse(res.stdout);
  };
  /** Looks at what the commands stored, through the same configuration, after they have exited. */
  const inStore = async <T>(look: (ctx: AppContext) => Promise<T>): Promise<T> => {
    const ctx = await createContext(loadConfig(env()));
    try {
      return await look(ctx);
    } finally {
      await ctx.close();
    }
  };

  let orgMailbox: string;
  let senderId: string;
  let firstKey: { apiKeyId: string; apiKey: string };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pk-cli-access-'));
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it("opens an organization's mailbox and names its administrator", async () => {
    const org = await json('admin', 'organization', 'create', '--org', ORG, '--name', 'Firma AS');
    expect(org).toEqual({ orgNumber: ORG, mailboxId: expect.stringMatching(UUID) });
    orgMailbox = org.mailboxId;

    const admin = await json('admin', 'organization', 'add-admin', '--org', ORG, '--id', per);
    expect(admin).toEqual({ memberId: expect.stringMatching(UUID), mailboxId: orgMailbox, role: 'admin' });
    const members = await inStore((ctx) => ctx.deps.store.read.members.list('mailbox', orgMailbox));
    expect(members).toEqual([
      expect.objectContaining({ id: admin.memberId, nationalId: per, role: 'admin', createdBy: 'operator' }),
    ]);
  });

  it('creates a sender and makes a person its administrator (masked in the output for people)', async () => {
    const sender = await json('admin', 'sender', 'create', '--org', SENDER_ORG, '--name', 'Skatteetaten');
    senderId = sender.senderId;
    firstKey = { apiKeyId: sender.apiKeyId, apiKey: sender.apiKey };
    const human = await cli('admin', 'sender', 'add-admin', '--org', SENDER_ORG, '--id', kari);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('128585*****');
    expect(human.stdout).not.toContain(kari);
    const stored = await inStore((ctx) => ctx.deps.store.read.members.list('sender', senderId));
    expect(stored).toEqual([expect.objectContaining({ nationalId: kari, role: 'admin', scopeType: 'sender' })]);
  });

  it('names a sender administrator a second time without harm, and prints the membership that exists', async () => {
    const again = await json('admin', 'sender', 'add-admin', '--org', SENDER_ORG, '--id', kari);
    const stored = await inStore((ctx) => ctx.deps.store.read.members.list('sender', senderId));
    expect(stored).toHaveLength(1);
    expect(again).toEqual({ memberId: stored[0]!.id, senderId, role: 'admin' });
  });

  it('issues another API key, shows it once, and the key authenticates', async () => {
    const created = await json('admin', 'sender', 'key', 'create', '--org', SENDER_ORG, '--label', 'ci');
    expect(created).toEqual({
      apiKeyId: expect.stringMatching(UUID),
      apiKey: expect.stringMatching(/^pk_[A-Za-z0-9_-]{40,}$/),
      label: 'ci',
      scopes: ['messages'],
    });
    expect(created.apiKey).not.toBe(firstKey.apiKey);
    const found = await inStore((ctx) => authenticateApiKey(ctx.deps, created.apiKey));
    expect(found).toMatchObject({ sender: { id: senderId, orgNumber: SENDER_ORG }, key: { id: created.apiKeyId } });
  });

  it('lists the keys without the keys themselves and without their hashes', async () => {
    const res = await cli('admin', 'sender', 'key', 'list', '--org', SENDER_ORG, '--json');
    expect(res.code).toBe(0);
    const list = JSON.parse(res.stdout) as { items: Array<Record<string, unknown>> };
    expect(list.items.map((k) => k.label)).toEqual(['initial', 'ci']);
    const hashes = await inStore(async (ctx) =>
      (await ctx.deps.store.read.apiKeys.listBySender(senderId)).map((k) => k.keyHash),
    );
    expect(hashes).toHaveLength(2);
    for (const secretish of [firstKey.apiKey, ...hashes]) expect(res.stdout).not.toContain(secretish);
    for (const k of list.items) {
      expect(k).not.toHaveProperty('keyHash');
      expect(k).toMatchObject({ senderId, revokedAt: null, prefix: expect.stringMatching(/^pk_/) });
      expect(String(k.prefix).length).toBeLessThan(12);
    }
  });

  it('revokes a key: it no longer authenticates, and the other key still does', async () => {
    const revoked = await json('admin', 'sender', 'key', 'revoke', '--org', SENDER_ORG, '--key', firstKey.apiKeyId);
    expect(revoked).toEqual({ apiKeyId: firstKey.apiKeyId, revoked: true });
    const keys = await inStore(async (ctx) => ({
      first: await authenticateApiKey(ctx.deps, firstKey.apiKey),
      all: await ctx.deps.store.read.apiKeys.listBySender(senderId),
    }));
    expect(keys.first).toBeNull();
    expect(keys.all.map((k) => [k.label, k.revokedAt === null])).toEqual([
      ['initial', false],
      ['ci', true],
    ]);
  });

  it('registers a person without a mailbox (it opens at first login)', async () => {
    const created = await json('admin', 'person', 'create', '--id', newcomer, '--no-mailbox');
    expect(created).toEqual({ personId: expect.stringMatching(UUID), nationalId: newcomer, mailboxId: null });
    const stored = await inStore(async (ctx) => ({
      person: await ctx.deps.store.read.persons.findByNationalId(newcomer),
      mailbox: await ctx.deps.store.read.mailboxes.findByOwner('person', newcomer),
    }));
    expect(stored.person).toMatchObject({ id: created.personId, nationalId: newcomer });
    expect(stored.mailbox).toBeNull();
  });

  it('refuses bad input with exit code 1 and the error code on stderr, and changes nothing', async () => {
    const cases: Array<[string[], string]> = [
      [['organization', 'add-admin', '--org', ORG, '--id', '12858510128'], 'validation_failed'],
      [['organization', 'add-admin', '--org', UNKNOWN_ORG, '--id', per], 'not_found'],
      [['sender', 'add-admin', '--org', UNKNOWN_ORG, '--id', kari], 'not_found'],
      [['sender', 'key', 'revoke', '--org', SENDER_ORG, '--key', '00000000-0000-4000-8000-000000000000'], 'not_found'],
      [['person', 'create', '--id', '31138510129', '--no-mailbox'], 'validation_failed'],
    ];
    // Each is its own process; they only read, so they run side by side.
    const results = await Promise.all(cases.map(([args]) => cli('admin', ...args)));
    const summary = results.map((r, n) => ({
      command: cases[n]![0].slice(0, 2).join(' '),
      code: r.code,
      error: /^error: ([a-z_]+):/m.exec(r.stderr)?.[1],
      stdout: r.stdout,
      stack: /\n\s+at /.test(r.stderr),
      leaksId: r.stderr.includes('12858510128') || r.stderr.includes('31138510129'),
    }));
    expect(summary).toEqual(
      cases.map(([args, code]) => ({
        command: args.slice(0, 2).join(' '),
        code: 1,
        error: code,
        stdout: '',
        stack: false,
        leaksId: false,
      })),
    );
    const after = await inStore(async (ctx) => ({
      orgMembers: (await ctx.deps.store.read.members.list('mailbox', orgMailbox)).length,
      unknownSender: await ctx.deps.store.read.senders.findByOrgNumber(UNKNOWN_ORG),
      keys: (await ctx.deps.store.read.apiKeys.listBySender(senderId)).map((k) => k.revokedAt === null),
      person: await ctx.deps.store.read.persons.findByNationalId('31138510129'),
    }));
    expect(after).toEqual({ orgMembers: 1, unknownSender: null, keys: [false, true], person: null });
  });
});
