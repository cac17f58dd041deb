/**
 * The platform's signing key outlives its use: a rotated key's public half stays published, so the
 * receipts senders keep verify for as long as they keep them; a lost key file beside signed events
 * is refused at start instead of being replaced by a new key that verifies none of them.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, createSender, registerPerson } from '@postkasse/core';
import { buildApp, createContext, loadConfig } from '@postkasse/server';
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterJson, people, sendLetterHttp } from '../../../test/harness.js';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { runCliProcess } from '../../../test/spawn-server.js';

for (const dialect of await testDialects()) {
  describe(`the platform's signing key (${dialect})`, () => {
    let dataDir: string;
    let db: Awaited<ReturnType<typeof createTestDatabase>> | null = null;
    const env = (over: Record<string, string> = {}) => ({
      POSTKASSE_DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(db ? { DATABASE_URL: db.url } : {}),
      ...over,
    });

    /** A server on the data dir, for as long as `use` runs. */
    async function withServer<T>(use: (url: string) => Promise<T>, over: Record<string, string> = {}): Promise<T> {
      const ctx = await createContext(loadConfig(env(over)));
      const app = await buildApp(ctx, { logger: false });
      try {
        await app.listen({ host: '127.0.0.1', port: 0 });
        const address = app.server.address();
        return await use(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
      } finally {
        await app.close();
        await ctx.close();
      }
    }
    const jwksOf = async (url: string) => (await (await fetch(`${url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;

    let apiKey: string;
    let first: { id: string; receipts: string[] };
    let keysBefore: string;

    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'postkasse-signing-'));
      db = dialect === 'postgres' ? await createTestDatabase() : null;
      const ctx = await createContext(loadConfig(env()));
      await registerPerson(ctx.deps, { nationalId: people.kari, name: 'Kari' });
      const sender = await createSender(ctx.deps, { orgNumber: '974000008', name: 'Kommunen', kind: 'public' });
      apiKey = (await createApiKey(ctx.deps, sender.id, null, [])).secret;
      await ctx.close();
      first = await withServer(async (url) => {
        const sent = await sendLetterHttp({ url } as never, apiKey, letterJson());
        expect(sent.status).toBe(201);
        return { id: sent.body.id as string, receipts: sent.body.events.map((e: { receipt: string }) => e.receipt) };
      });
      // The keys directory as a backup taken before any rotation keeps it.
      keysBefore = await mkdtemp(join(tmpdir(), 'postkasse-signing-keys-'));
      await cp(join(dataDir, 'keys'), keysBefore, { recursive: true });
    });
    afterAll(async () => {
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
      await rm(keysBefore, { recursive: true, force: true });
    });

    it('rotates: the new key signs, the old one stays published, and receipts of either verify', async () => {
      const before = await withServer(jwksOf);
      expect(before.keys).toHaveLength(1);
      const oldKid = before.keys[0]?.kid;
      expect(decodeProtectedHeader(first.receipts[0] as string).kid).toBe(oldKid);

      const rotated = await runCliProcess(['admin', 'signing-key', 'rotate', '--json'], env(), 60_000);
      expect(rotated.code, rotated.stderr).toBe(0);
      const { kid, retiredKid } = JSON.parse(rotated.stdout) as { kid: string; retiredKid: string };
      expect(retiredKid).toBe(oldKid);
      expect(kid).not.toBe(oldKid);
      // Only public halves are kept of a retired key; the key files stay the operator's alone.
      const retired = await readFile(join(dataDir, 'keys', 'platform-signing.retired.jwks'), 'utf8');
      expect(JSON.parse(retired).keys).toEqual([expect.not.objectContaining({ d: expect.anything() })]);
      expect((await stat(join(dataDir, 'keys', 'platform-signing.retired.jwks'))).mode & 0o077).toBe(0);
      expect((await stat(join(dataDir, 'keys', 'platform-signing.jwk'))).mode & 0o077).toBe(0);

      await withServer(async (url) => {
        const jwks = await jwksOf(url);
        expect(jwks.keys.map((k) => k.kid)).toEqual([kid, oldKid]);
        expect(jwks.keys.every((k) => k.d === undefined)).toBe(true);
        const verify = createLocalJWKSet(jwks);
        // The receipts the sender was given before the rotation…
        for (const receipt of first.receipts) await jwtVerify(receipt, verify);
        // …are the very receipts the same events carry now: each was signed once, when it happened…
        const now = (await (
          await fetch(`${url}/api/v1/messages/${first.id}`, { headers: { authorization: `Bearer ${apiKey}` } })
        ).json()) as { events: Array<{ receipt: string }> };
        expect(now.events.map((e) => e.receipt)).toEqual(first.receipts);
        // …while a new letter's events are signed by the new key.
        const later = await sendLetterHttp({ url } as never, apiKey, letterJson());
        for (const e of later.body.events as Array<{ receipt: string }>) {
          expect(decodeProtectedHeader(e.receipt).kid).toBe(kid);
          await jwtVerify(e.receipt, verify);
        }
      });

      // A second rotation keeps both earlier keys published.
      expect((await runCliProcess(['admin', 'signing-key', 'rotate'], env(), 60_000)).code).toBe(0);
      const after = await withServer(jwksOf);
      expect(after.keys).toHaveLength(3);
      expect(after.keys.slice(1).map((k) => k.kid)).toEqual([oldKid, kid]);
    });

    it('refuses a keys directory from before the rotation: the receipts signed since would not verify', async () => {
      const copy = await mkdtemp(join(tmpdir(), 'postkasse-signing-copy-'));
      try {
        await cp(dataDir, copy, { recursive: true });
        await rm(join(copy, 'keys'), { recursive: true });
        await cp(keysBefore, join(copy, 'keys'), { recursive: true });
        await expect(createContext(loadConfig(env({ POSTKASSE_DATA_DIR: copy })))).rejects.toThrow(
          /signing key at .*platform-signing\.jwk .* is not the one this installation last signed with .* restore the keys directory/,
        );
        // The keys that go with the database start, as before.
        await (await createContext(loadConfig(env()))).close();
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });

    it('refuses to start without its key file beside signed events, and makes no new key', async () => {
      const copy = await mkdtemp(join(tmpdir(), 'postkasse-signing-copy-'));
      try {
        await cp(dataDir, copy, { recursive: true });
        await rm(join(copy, 'keys', 'platform-signing.jwk'));
        await expect(createContext(loadConfig(env({ POSTKASSE_DATA_DIR: copy })))).rejects.toThrow(
          /No platform signing key at .*platform-signing\.jwk.*holds events/,
        );
        expect(await readdir(join(copy, 'keys'))).not.toContain('platform-signing.jwk');
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });
  });
}
