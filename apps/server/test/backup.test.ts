/**
 * `postkasse admin backup --to <dir>` on the embedded SQLite database: taken by the real CLI while
 * letters stream in, it restores into a server that reads every letter acknowledged before the
 * backup began, byte-identical, including one whose document is a file of the blob store; the
 * backup holds no plaintext and says it is whole. Refusals write nothing.
 */
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, letterJson, people, sendLetterHttp, startTestServer, type TestServer } from '../../../test/harness.js';
import { runCliProcess } from '../../../test/spawn-server.js';
import { type BackupResult, backupInstallation } from '../src/backup.js';
import { loadConfig } from '../src/config.js';

const pdfWith = (marker: string, size: number) => {
  const head = `%PDF-1.4\n% ${marker}\n`;
  return Buffer.from(`${head}${'personopplysninger '.repeat(Math.ceil(size / 19))}\n%%EOF\n`);
};

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('admin backup (sqlite)', () => {
  let server: TestServer;
  let apiKey: string;
  let root: string;
  const env = () => ({ LOG_LEVEL: 'silent', POSTKASSE_DATA_DIR: server.dataDir });

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    apiKey = (await server.sender('public')).apiKey;
    await server.person(people.kari);
    root = await mkdtemp(join(tmpdir(), 'postkasse-backup-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('taken while letters stream in, restores every letter acknowledged before it, byte-identical', async () => {
    const marker = `KONFIDENSIELT-${randomUUID()}`;
    // Five letters kept in the database (small) and one whose 300 KiB document is a file.
    const before = new Map<string, Buffer>();
    for (const size of [2_000, 2_000, 2_000, 2_000, 2_000, 300 * 1024]) {
      const subject = `Før ${before.size} ${randomUUID()}`;
      const pdf = pdfWith(marker, size);
      const sent = await sendLetterHttp(server, apiKey, letterJson({ subject }), [
        { name: 'main', content: pdf, type: 'application/pdf' },
      ]);
      expect(sent.status).toBe(201);
      before.set(subject, pdf);
    }
    expect((await readdir(join(server.dataDir, 'blobs'), { recursive: true })).length).toBeGreaterThan(1);

    let streaming = true;
    let during = 0;
    const stream = (async () => {
      while (streaming) {
        const big = during % 3 === 0;
        const sent = await sendLetterHttp(server, apiKey, letterJson({ subject: `Under ${during}` }), [
          { name: 'main', content: pdfWith(marker, big ? 300 * 1024 : 2_000), type: 'application/pdf' },
        ]);
        expect(sent.status).toBe(201);
        during++;
      }
    })();
    const to = join(root, 'backup-1');
    const res = await runCliProcess(['admin', 'backup', '--to', to, '--json'], env(), 60_000);
    streaming = false;
    await stream;
    expect(res.code, res.stderr).toBe(0);
    expect(during).toBeGreaterThan(0);
    const result = JSON.parse(res.stdout) as BackupResult;
    expect(result.missing).toEqual({ count: 0, letters: [] });
    expect(result.database.letters).toBeGreaterThanOrEqual(6);
    expect(result.blobs.found).toBeGreaterThanOrEqual(1);
    expect(result.installation).toBe((await server.ctx.deps.store.read.installation.get())?.id);
    expect(JSON.parse(await readFile(join(to, 'backup.json'), 'utf8'))).toEqual(result);
    // A data dir without keys: the database, the blobs and the manifest, none of it for others.
    expect((await readdir(to)).sort()).toEqual(['backup.json', 'blobs', 'postkasse.sqlite']);
    expect((await stat(to)).mode & 0o777).toBe(0o700);
    expect((await stat(join(to, 'postkasse.sqlite'))).mode & 0o777).toBe(0o600);
    // Checking it left the snapshot as VACUUM INTO made it: a rollback-journal file (header bytes
    // 18-19 are 1, not WAL's 2), migrated by nobody.
    expect([...(await readFile(join(to, 'postkasse.sqlite'))).subarray(18, 20)]).toEqual([1, 1]);
    // Sealed bytes only.
    for (const file of await filesUnder(to)) {
      const bytes = await readFile(file);
      expect(bytes.includes(Buffer.from(marker)), file).toBe(false);
      expect(bytes.includes(Buffer.from('personopplysninger personopplysninger')), file).toBe(false);
    }

    // The restore: a copy of the backup with keys/ from the key backup, as a data dir.
    const restoredDir = join(root, 'restored');
    await cp(to, restoredDir, { recursive: true });
    await cp(join(server.dataDir, 'keys'), join(restoredDir, 'keys'), { recursive: true });
    const restored = await startTestServer('sqlite', { POSTKASSE_DATA_DIR: restoredDir });
    try {
      const token = await restored.token(people.kari);
      const [mailbox] = (await api(restored, token, 'GET', '/api/v1/me/mailboxes')).body.items;
      const items: Array<{ id: string; subject: string }> = [];
      let cursor: string | null = null;
      do {
        const page = await api(
          restored,
          token,
          'GET',
          `/api/v1/mailboxes/${mailbox.id}/messages?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(items.length).toBe(result.database.letters);
      for (const [subject, pdf] of before) {
        const item = items.find((i) => i.subject === subject);
        expect(item, subject).toBeDefined();
        const base = `/api/v1/mailboxes/${mailbox.id}/messages/${item?.id}`;
        const doc = (await api(restored, token, 'GET', base)).body.documents[0];
        const content = await api(restored, token, 'GET', `${base}/documents/${doc.id}/content`);
        expect(content.status).toBe(200);
        expect(Buffer.compare(content.body, pdf), subject).toBe(0);
      }
    } finally {
      await restored.close();
    }
  });

  it('refuses a directory that is not empty, one inside the data dir, and PostgreSQL, writing nothing', async () => {
    const config = loadConfig({ POSTKASSE_DATA_DIR: server.dataDir });
    const used = join(root, 'used');
    await mkdir(used);
    await writeFile(join(used, 'note.txt'), 'earlier backup');
    await expect(backupInstallation(config, used)).rejects.toMatchObject({
      code: 'invalid_operation',
      message: expect.stringMatching(/is not empty/),
    });
    expect(await readdir(used)).toEqual(['note.txt']);
    // A file where the directory should be.
    await expect(backupInstallation(config, join(used, 'note.txt'))).rejects.toThrow(/exists and is not a directory/);
    expect(await readFile(join(used, 'note.txt'), 'utf8')).toBe('earlier backup');

    const inside = join(server.dataDir, 'backups', 'today');
    await expect(backupInstallation(config, inside)).rejects.toThrow(/inside the data dir/);
    // A name that starts with two dots is still inside; so is a way in through a link.
    await expect(backupInstallation(config, join(server.dataDir, '..bak'))).rejects.toThrow(/inside the data dir/);
    await symlink(server.dataDir, join(root, 'link'));
    await expect(backupInstallation(config, join(root, 'link', 'today'))).rejects.toThrow(/inside the data dir/);
    const before = (await readdir(server.dataDir)).sort();
    expect(before).not.toContain('backups');
    expect(before).not.toContain('..bak');
    expect(before).not.toContain('today');

    // A blob store marked by another installation: refused before anything is written.
    const mark = join(server.dataDir, 'blobs', '.installation');
    const ours = await readFile(mark);
    await writeFile(mark, randomUUID());
    try {
      await expect(backupInstallation(config, join(root, 'foreign'))).rejects.toThrow(/belongs to installation/);
      await expect(stat(join(root, 'foreign'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await writeFile(mark, ours);
    }

    const pg = loadConfig({ POSTKASSE_DATA_DIR: server.dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' });
    const elsewhere = join(root, 'pg');
    await expect(backupInstallation(pg, elsewhere)).rejects.toThrow(/pg_dump/);
    await expect(stat(elsewhere)).rejects.toMatchObject({ code: 'ENOENT' });

    // Through the CLI: the same refusal as one line and exit 1, nothing written.
    const res = await runCliProcess(['admin', 'backup', '--to', used], env());
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is not empty/);
  });

  it('a backup that fails part way leaves nothing behind', async () => {
    // A blob that cannot be read (here a directory where a blob's file would be) fails the copy
    // after the database's snapshot was written.
    const key = `${randomUUID().slice(0, -2)}ab`;
    const broken = join(server.dataDir, 'blobs', 'ab', key);
    await mkdir(broken, { recursive: true });
    const cut = join(root, 'cut');
    const empty = join(root, 'empty');
    await mkdir(empty);
    try {
      const config = loadConfig({ POSTKASSE_DATA_DIR: server.dataDir });
      await expect(backupInstallation(config, cut)).rejects.toMatchObject({ code: 'EISDIR' });
      await expect(stat(cut)).rejects.toMatchObject({ code: 'ENOENT' });
      // A directory given empty is left empty.
      await expect(backupInstallation(config, empty)).rejects.toMatchObject({ code: 'EISDIR' });
      expect(await readdir(empty)).toEqual([]);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('a data dir with no database yet has nothing to back up', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'postkasse-empty-'));
    try {
      const config = loadConfig({ POSTKASSE_DATA_DIR: empty });
      await expect(backupInstallation(config, join(root, 'none'))).rejects.toThrow(/No database at/);
      await expect(stat(join(root, 'none'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
