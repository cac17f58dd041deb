import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '@postkasse/core';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testDialects } from '../../../test/postgres.js';
import { openPostgresStore, openSqliteStore } from '../src/index.js';
import { migrationProvider } from '../src/migrations/index.js';

/**
 * Migration 012 chains the audit entries a database already holds, in the order they were
 * written, and later entries continue those chains.
 */
describe.each(await testDialects())('audit chains over existing entries (%s)', (dialect) => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('chains the entries written before the migration and continues the chains after it', async () => {
    let raw: Kysely<unknown>;
    let open: () => Promise<Store>;
    if (dialect === 'sqlite') {
      const dir = await mkdtemp(join(tmpdir(), 'pk-audit-chain-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'db.sqlite');
      raw = new Kysely({ dialect: new SqliteDialect({ database: new SQLite(file) }) });
      open = () => openSqliteStore(file);
    } else {
      const database = await createTestDatabase();
      cleanups.push(() => database.drop());
      raw = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }) });
      open = () => openPostgresStore(database.url);
    }
    const migrator = new Migrator({ db: raw, provider: migrationProvider(dialect) });
    const before = await migrator.migrateTo('011-partial-letter-indexes');
    expect(before.error).toBeUndefined();
    const [a, b] = [randomUUID(), randomUUID()];
    const entries = [a, b, a, a, b].map((mailboxId, i) => ({
      id: randomUUID(),
      mailbox_id: mailboxId,
      actor_national_id: '12858510129',
      actor_role: 'owner',
      action: 'document.read',
      letter_id: randomUUID(),
      details: JSON.stringify({ documentId: randomUUID(), n: i }),
      at: new Date(Date.UTC(2026, 11, 1, 10, 0, i)).toISOString(),
    }));
    for (const e of entries) {
      await sql`insert into audit_log (id, mailbox_id, actor_national_id, actor_role, action, letter_id, details, at)
        values (${e.id}, ${e.mailbox_id}, ${e.actor_national_id}, ${e.actor_role}, ${e.action}, ${e.letter_id},
        ${e.details}, ${e.at})`.execute(raw);
    }
    await raw.destroy();

    const store = await open();
    try {
      expect(await store.read.audit.verify()).toEqual({ chains: 2, entries: 5, broken: [] });
      const chainA = await store.read.audit.listByMailbox(a, 10);
      expect(chainA.map((e) => e.id)).toEqual([entries[3]?.id, entries[2]?.id, entries[0]?.id]);
      expect(chainA.at(-1)?.prevHash).toBe('0'.repeat(64));
      expect(chainA[0]?.prevHash).toBe(chainA[1]?.hash);

      await store.write((repos) =>
        repos.audit.append({
          id: randomUUID(),
          mailboxId: a,
          actorNationalId: '12858510129',
          actorRole: 'owner',
          action: 'letter.trash',
          letterId: null,
          details: {},
          at: new Date().toISOString(),
        }),
      );
      const [newest] = await store.read.audit.listByMailbox(a, 1);
      expect(newest?.prevHash).toBe(chainA[0]?.hash);
      expect(await store.read.audit.verify(a)).toEqual({ chains: 1, entries: 4, broken: [] });
    } finally {
      await store.close();
    }
  });
});
