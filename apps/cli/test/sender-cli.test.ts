/**
 * The sender commands (send, batch send, events tail, receipts verify) run as the real CLI in
 * child processes against a real server, the way a sender's scripts would use them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostkasseClient, type FeedEvent, events as feedPage, getMessage } from '@postkasse/sdk';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, startTestServer, type TestServer, tinyPdf } from '../../../test/harness.js';
import { type CliResult, childEnv, repoRoot, runCliProcess } from '../../../test/spawn-server.js';
import { samplePdf } from '../src/sample-pdf.js';

const cliEntry = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse.js');
const memoFixture = join(repoRoot, 'packages', 'formats', 'fixtures', 'memo', 'MeMo_Minimum_Example.xml');
/** A valid CVR number (mod 11): the MeMo fixture's sender is rewritten to it. */
const cvrSender = '12345674';

/** Starts `postkasse <args>` and returns the child (to signal it) and its result when it ends. */
function startCli(
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; done: Promise<CliResult>; stdout(): string } {
  const child = spawn(process.execPath, [cliEntry, ...args], {
    cwd: repoRoot,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const done = new Promise<CliResult>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

/** Lines of the state file that record a row (not the header). */
async function stateRows(path: string): Promise<Array<{ row: number; id: string; outcome: string }>> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => /^\d+\t/.test(l))
    .map((l) => {
      const [row, id, outcome] = l.split('\t') as [string, string, string];
      return { row: Number(row), id, outcome };
    });
}

async function allEvents(url: string, apiKey: string): Promise<FeedEvent[]> {
  const client = createPostkasseClient({ baseUrl: url, token: apiKey });
  const out: FeedEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await feedPage(client, { after, limit: 1000 });
    out.push(...page.items);
    if (page.items.length < 1000) return out;
    after = page.nextCursor ?? undefined;
  }
}

describe('postkasse sender commands (the real CLI against a real server)', () => {
  let server: TestServer;
  let work: string;
  let env: Record<string, string>;
  let sender: { id: string; apiKey: string };

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    sender = await server.sender('public', cvrSender);
    for (const p of [people.kari, people.ola, people.per, people.mette]) await server.person(p);
    await server.unregisteredPerson(people.ingrid); // no mailbox: a public sender's letter is REJECTED
    env = { POSTKASSE_URL: server.url, POSTKASSE_API_KEY: sender.apiKey };
    work = await mkdtemp(join(tmpdir(), 'pk-sender-cli-'));
    await writeFile(join(work, 'vedtak.pdf'), await samplePdf({ title: 'Vedtak' }));
    await writeFile(join(work, 'vedlegg.pdf'), tinyPdf);
    await writeFile(join(work, 'notat.txt'), 'Et notat.\n');
    await writeFile(join(work, 'program.exe'), 'MZ');
  });
  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const cli = (...args: string[]) => runCliProcess(args, env, 60_000);

  describe('send', () => {
    it('sends a PDF with an attachment, and the same id again is answered as already sent', async () => {
      const id = '0b6f3d3e-5f1e-4f57-9a53-0d8f3c1e2a01';
      const args = [
        'send',
        '--to',
        people.kari,
        '--subject',
        'Vedtak om bostøtte',
        '--title',
        'Vedtak',
        '--non-sensitive-title',
        'Brev fra kommunen',
        '--auth-level',
        'substantial',
        '--id',
        id,
        join(work, 'vedtak.pdf'),
        join(work, 'notat.txt'),
        '--json',
      ];
      const res = await cli(...args);
      expect(res.code, res.stderr).toBe(0);
      const out = JSON.parse(res.stdout);
      expect(out).toMatchObject({ id, status: 'DELIVERED', documentCount: 2, replayed: false });
      expect(out.events.map((e: { type: string }) => e.type)).toEqual(['ACCEPTED', 'DELIVERED']);

      const again = await cli(...args);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ id, status: 'DELIVERED', replayed: true });

      const human = await cli('send', '--to', people.ola, '--subject', 'Hei', join(work, 'vedtak.pdf'));
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(/^sent [0-9a-f-]{36}: DELIVERED/);
    });

    it('sends again with the same id when an answer is lost, so the letter is stored once', async () => {
      // A proxy that passes the first letter on to the server but loses its answer (503), then
      // passes on what follows as it is.
      const seen: string[] = [];
      const proxy = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks);
        const headers = Object.fromEntries(
          Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
        ) as Record<string, string>;
        const answer = await fetch(`${server.url}${req.url}`, { method: req.method, headers, body });
        seen.push(`${req.method} ${req.url} ${answer.status}`);
        if (seen.length === 1) {
          res.writeHead(503, { 'content-type': 'application/problem+json', 'retry-after': '0' });
          res.end(JSON.stringify({ code: 'service_unavailable', retryable: true, status: 503, detail: 'lost' }));
          return;
        }
        const replayed = answer.headers.get('idempotent-replayed');
        res.writeHead(answer.status, {
          'content-type': answer.headers.get('content-type') ?? 'application/json',
          ...(replayed ? { 'idempotent-replayed': replayed } : {}),
        });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      try {
        const res = await runCliProcess(
          ['send', '--to', people.per, '--subject', 'Tapt svar', join(work, 'vedtak.pdf'), '--json'],
          { ...env, POSTKASSE_URL: proxyUrl },
          60_000,
        );
        expect(res.code, res.stdout + res.stderr).toBe(0);
        const out = JSON.parse(res.stdout);
        // The second attempt found the letter the first had stored.
        expect(out).toMatchObject({ status: 'DELIVERED', replayed: true });
        expect(seen).toEqual(['POST /api/v1/messages 201', 'POST /api/v1/messages 201']);
        const stored = new Database(join(server.dataDir, 'postkasse.sqlite'), { readonly: true });
        try {
          expect(stored.prepare('select count(*) as n from letters where external_id = ?').get(out.id)).toEqual({
            n: 1,
          });
        } finally {
          stored.close();
        }
      } finally {
        await new Promise((resolve) => proxy.close(resolve));
      }

      // With no server at all: it gives up after its retries and says how to send the same letter again.
      const down = await runCliProcess(
        ['send', '--to', people.per, '--subject', 'Ingen server', join(work, 'vedtak.pdf'), '--json'],
        { ...env, POSTKASSE_URL: 'http://127.0.0.1:9' },
        60_000,
      );
      expect(down.code).toBe(1);
      const failed = JSON.parse(down.stdout).error;
      expect(failed).toMatchObject({ code: 'network_error', messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
      expect(failed.hint).toContain(`--id ${failed.messageId}`);
      // A letter refused for its content was not stored: no such advice.
      const refused = await cli('send', '--to', '12345678901', '--subject', 'Feil', join(work, 'vedtak.pdf'), '--json');
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout).error.messageId).toBeUndefined();
    }, 90_000);

    it('sends to an organization number, and schedules with --deliver-at', async () => {
      await server.organization('974000008');
      const res = await cli(
        'send',
        '--to',
        '974000008',
        '--subject',
        'Til bedriften',
        '--deliver-at',
        new Date(Date.now() + 86_400_000).toISOString(),
        join(work, 'vedtak.pdf'),
        '--json',
      );
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ status: 'SCHEDULED', recipient: { orgNumber: '974000008' } });
    });

    it('refuses what it cannot send with the code and a hint, exit 1', async () => {
      const ext = await cli('send', '--to', people.kari, '--subject', 'X', join(work, 'program.exe'));
      expect(ext.code).toBe(1);
      expect(ext.stderr).toContain('error: unsupported_file_type');
      expect(ext.stderr).toContain('hint:');

      const missing = await cli('send', '--to', people.kari, '--subject', 'X', join(work, 'nope.pdf'), '--json');
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'document_not_found', hint: expect.any(String) });

      const badId = await cli('send', '--to', '12858510128', '--subject', 'X', join(work, 'vedtak.pdf'), '--json');
      expect(badId.code).toBe(1);
      expect(JSON.parse(badId.stdout).error).toMatchObject({ code: 'invalid_recipient', status: 422 });

      // Date.parse takes "5" (May 2001) and "2026-12-10T07:00" (in the machine's own zone): the CLI does not.
      for (const when of ['5', '2026-12-10T07:00', '2026-02-31T07:00:00Z', 'tomorrow']) {
        const late = await cli(
          'send',
          '--to',
          people.kari,
          '--subject',
          'X',
          '--deliver-at',
          when,
          join(work, 'vedtak.pdf'),
        );
        expect(late.code, when).toBe(1);
        expect(late.stderr).toContain('error: invalid_arguments: --deliver-at must be a date and time with its offset');
      }

      const digits = await cli('send', '--to', '1234567', '--subject', 'X', join(work, 'vedtak.pdf'));
      expect(digits.code).toBe(1);
      expect(digits.stderr).toContain('invalid_recipient');

      const key = await runCliProcess(['send', '--to', people.kari, '--subject', 'X', join(work, 'vedtak.pdf')], {
        ...env,
        POSTKASSE_API_KEY: 'pk_not_a_key',
      });
      expect(key.code).toBe(1);
      expect(key.stderr).toMatch(/error: invalid_token: .*\nhint: check POSTKASSE_API_KEY/);

      const noKey = await runCliProcess(['send', '--to', people.kari, '--subject', 'X', join(work, 'vedtak.pdf')], {
        POSTKASSE_URL: server.url,
      });
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toContain('missing_api_key');

      const down = await runCliProcess(['send', '--to', people.kari, '--subject', 'X', join(work, 'vedtak.pdf')], {
        ...env,
        POSTKASSE_URL: 'http://127.0.0.1:9',
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain('error: network_error');
      expect(down.stderr).toContain('is the server running at http://127.0.0.1:9');
    });

    it('sends a MeMo message as it is', async () => {
      // The sample's placeholders filled in: our sender's CVR, and a real PDF for "This is a test".
      const xml = (await readFile(memoFixture, 'utf8'))
        .replace('<memo:senderID>12345678</memo:senderID>', `<memo:senderID>${cvrSender}</memo:senderID>`)
        .replace(Buffer.from('This is a test').toString('base64'), tinyPdf.toString('base64'));
      const file = join(work, 'memo.xml');
      await writeFile(file, xml);
      const res = await cli('send', '--memo', file, '--json');
      expect(res.code, res.stdout + res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({
        id: '8c2ea15d-61fb-4ba9-9366-42f8b194c114',
        status: 'DELIVERED',
        recipient: { nationalId: people.mette },
        subject: 'Pladsanvisning',
      });
      const broken = join(work, 'broken.xml');
      await writeFile(broken, '<memo:Message');
      const bad = await cli('send', '--memo', broken);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('error: malformed_request');
    });
  });

  describe('batch send', () => {
    const rows = 300;
    const recipients = [people.kari, people.ola, people.per];

    it('is interrupted with SIGINT halfway, resumed, and sends every letter exactly once', async () => {
      const batchSender = await server.sender('public', '958300018');
      const benv = { ...env, POSTKASSE_API_KEY: batchSender.apiKey, POSTKASSE_PROGRESS_INTERVAL_MS: '200' };
      const dir = await mkdtemp(join(work, 'batch-'));
      await copyFile(join(work, 'vedtak.pdf'), join(dir, 'brev.pdf'));
      await copyFile(join(work, 'vedlegg.pdf'), join(dir, 'vedlegg.pdf'));
      const lines = ['to,subject,file,attachments,authLevel,nonSensitiveTitle,senderReference'];
      for (let i = 1; i <= rows; i++) {
        // Every 60th row goes to a person without a mailbox: REJECTED, an outcome, not a failure.
        const to = i % 60 === 0 ? people.ingrid : recipients[i % recipients.length];
        const attachments = i % 3 === 0 ? 'vedlegg.pdf' : '';
        lines.push(`${to},"Årsoppgave ${i}, 2026",brev.pdf,${attachments},substantial,Brev fra oss,REF-${i}`);
      }
      const input = join(dir, 'letters.csv');
      await writeFile(input, `${lines.join('\n')}\n`);
      const args = ['batch', 'send', input, '--documents', dir, '--concurrency', '2'];

      const first = startCli(args, benv);
      const state = `${input}.state`;
      let exited = false;
      void first.done.then(() => {
        exited = true;
      });
      while (!exited && (await stateRows(state)).length < 100) await new Promise((r) => setTimeout(r, 10));
      first.child.kill('SIGINT');
      const stopped = await first.done;
      expect(stopped.code, stopped.stdout + stopped.stderr).toBe(130);
      expect(stopped.stdout).toContain('(interrupted)');
      expect(stopped.stdout).toContain('run the same command again to continue');
      const afterFirst = await stateRows(state);
      expect(afterFirst.length).toBeGreaterThanOrEqual(100);
      expect(afterFirst.length).toBeLessThan(rows);

      const second = await runCliProcess([...args, '--json'], benv, 120_000);
      expect(second.code, second.stdout + second.stderr).toBe(0);
      const summary = JSON.parse(second.stdout);
      expect(summary).toMatchObject({ interrupted: false, failed: 0, skipped: afterFirst.length, rows });
      expect(summary.sent).toBe(rows - afterFirst.length);
      expect(summary.total).toEqual({ DELIVERED: rows - rows / 60, REJECTED: rows / 60 });

      // The state names every row once, with one id each.
      const done = await stateRows(state);
      expect(done.map((d) => d.row).sort((a, b) => a - b)).toEqual(Array.from({ length: rows }, (_, i) => i + 1));
      const ids = new Set(done.map((d) => d.id));
      expect(ids.size).toBe(rows);

      // The server has exactly these letters, once each: in the database, in the feed, by id.
      const db = new Database(join(server.dataDir, 'postkasse.sqlite'), { readonly: true });
      try {
        const stored = db
          .prepare('select external_id as id from letters where sender_id = ?')
          .all(batchSender.id) as Array<{ id: string }>;
        expect(stored.length).toBe(rows);
        expect(new Set(stored.map((s) => s.id))).toEqual(ids);
      } finally {
        db.close();
      }
      // Each letter's events once: ACCEPTED + DELIVERED, or only REJECTED (no mailbox).
      const feed = await allEvents(server.url, batchSender.apiKey);
      expect(new Set(feed.map((e) => e.messageId))).toEqual(ids);
      expect(new Set(feed.map((e) => `${e.messageId} ${e.type}`)).size).toBe(feed.length);
      expect(feed.filter((e) => e.type === 'ACCEPTED').length).toBe(rows - rows / 60);
      expect(feed.filter((e) => e.type === 'REJECTED').length).toBe(rows / 60);
      const client = createPostkasseClient({ baseUrl: server.url, token: batchSender.apiKey });
      const row3 = done.find((d) => d.row === 3);
      const letter = await getMessage(client, row3?.id as string);
      expect(letter).toMatchObject({ subject: 'Årsoppgave 3, 2026', senderReference: 'REF-3', documentCount: 2 });

      // Once more: nothing left to do, nothing sent.
      const third = await runCliProcess([...args, '--json'], benv, 60_000);
      expect(third.code).toBe(0);
      expect(JSON.parse(third.stdout)).toMatchObject({ sent: 0, skipped: rows });
    }, 180_000);

    it('writes failures to a file that can be fixed and given back as input', async () => {
      const failSender = await server.sender('public', '915000002');
      const fenv = { ...env, POSTKASSE_API_KEY: failSender.apiKey };
      const dir = await mkdtemp(join(work, 'fail-'));
      await copyFile(join(work, 'vedtak.pdf'), join(dir, 'brev.pdf'));
      await writeFile(join(dir, 'script.exe'), 'MZ');
      const input = join(dir, 'letters.jsonl');
      const good = (i: number) => ({ to: people.kari, subject: `Brev ${i}`, file: 'brev.pdf' });
      await writeFile(
        input,
        [
          JSON.stringify(good(1)),
          JSON.stringify({ ...good(2), file: 'missing.pdf' }),
          JSON.stringify({ ...good(3), to: '12858510128' }),
          JSON.stringify({ ...good(4), file: 'script.exe' }),
          '{ not json',
          JSON.stringify({ ...good(6), subject: 'x'.repeat(300) }),
          JSON.stringify({ ...good(7), file: '../../etc/passwd.pdf' }),
          JSON.stringify(good(8)),
          JSON.stringify({ ...good(9), deliverAt: '2026-12-10T07:00' }),
        ].join('\n'),
      );
      const res = await runCliProcess(['batch', 'send', input, '--json'], fenv, 60_000);
      expect(res.code, res.stderr).toBe(1);
      expect(JSON.parse(res.stdout)).toMatchObject({ sent: 2, failed: 7, counts: { DELIVERED: 2 } });
      const failures = (await readFile(`${input}.failures.jsonl`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      failures.sort((a, b) => a.row - b.row);
      expect(failures.map((f) => [f.row, f.code])).toEqual([
        [2, 'document_not_found'],
        [3, 'invalid_recipient'],
        [4, 'unsupported_file_type'],
        [5, 'invalid_row'],
        [6, 'validation_failed'],
        [7, 'invalid_row'],
        [9, 'invalid_row'],
      ]);
      for (const f of failures) {
        expect(f.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(f.detail).toEqual(expect.any(String));
      }
      expect(failures.find((f) => f.row === 6).errors[0].path).toBe('message.subject');
      expect(failures.find((f) => f.row === 9).detail).toContain('deliverAt is not a date and time with its offset');

      // Fix the rows and send the failures file itself: its ids are kept, so this is safe to repeat.
      const fixed = join(dir, 'fixed.jsonl');
      await writeFile(fixed, failures.map((f) => JSON.stringify({ ...good(f.row), id: f.id, row: f.row })).join('\n'));
      const retry = await runCliProcess(['batch', 'send', fixed, '--documents', dir, '--json'], fenv, 60_000);
      expect(retry.code, retry.stderr).toBe(0);
      expect(JSON.parse(retry.stdout)).toMatchObject({ sent: 7, failed: 0 });
      const client = createPostkasseClient({ baseUrl: server.url, token: failSender.apiKey });
      for (const f of failures) expect((await getMessage(client, f.id)).status).toBe('DELIVERED');
    }, 120_000);

    it('reads JSON lines with a byte-order mark, and no document through a link out of --documents', async () => {
      const dir = await mkdtemp(join(work, 'bom-'));
      await copyFile(join(work, 'vedtak.pdf'), join(dir, 'brev.pdf'));
      await symlink('/etc/hostname', join(dir, 'leak.pdf'));
      const input = join(dir, 'letters.jsonl');
      await writeFile(
        input,
        `\uFEFF${JSON.stringify({ to: people.kari, subject: 'Med BOM', file: 'brev.pdf' })}\n${JSON.stringify({
          to: people.kari,
          subject: 'Lenke',
          file: 'leak.pdf',
        })}\n`,
      );
      const res = await cli('batch', 'send', input, '--json');
      const summary = JSON.parse(res.stdout);
      expect(summary.outcomes?.DELIVERED ?? summary.counts?.DELIVERED).toBe(1);
      const failures = (await readFile(`${input}.failures.jsonl`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ row: 2, code: 'invalid_row' });
      expect(failures[0].detail).toContain('inside --documents');
    });

    it('refuses to resume with a state file of another version of the input', async () => {
      const dir = await mkdtemp(join(work, 'changed-'));
      await copyFile(join(work, 'vedtak.pdf'), join(dir, 'brev.pdf'));
      const input = join(dir, 'letters.csv');
      await writeFile(input, `to,subject,file\n${people.kari},A,brev.pdf\n`);
      expect((await cli('batch', 'send', input)).code).toBe(0);
      await writeFile(input, `to,subject,file\n${people.ola},B,brev.pdf\n${people.kari},A,brev.pdf\n`);
      const res = await cli('batch', 'send', input);
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('error: state_mismatch');
      expect(res.stderr).toContain('hint:');
    });

    it('refuses --failures or --state naming the input (or each other), and leaves the input as it was', async () => {
      const dir = await mkdtemp(join(work, 'same-'));
      await copyFile(join(work, 'vedtak.pdf'), join(dir, 'brev.pdf'));
      const input = join(dir, 'letters.csv');
      const rows = `to,subject,file\n${people.kari},Samme fil,brev.pdf\n`;
      await writeFile(input, rows);
      for (const args of [
        ['--failures', input],
        ['--state', input],
        ['--failures', join(dir, 'x'), '--state', join(dir, 'x')],
        // The same file under another name.
        ['--failures', join(dir, '.', 'letters.csv')],
      ]) {
        const res = await cli('batch', 'send', input, ...args);
        expect(res.code, args.join(' ')).toBe(1);
        expect(res.stderr).toContain('must be three different files');
      }
      expect(await readFile(input, 'utf8')).toBe(rows);
    });
  });

  describe('events tail and receipts verify', () => {
    it('prints the feed as lines, pages with --after and --limit, and follows new events', async () => {
      const all = await cli('events', 'tail', '--json');
      expect(all.code, all.stderr).toBe(0);
      const lines = all.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.length).toBeGreaterThan(4);
      expect(lines[0]).toMatchObject({ type: 'ACCEPTED', messageId: expect.any(String), receipt: expect.any(String) });

      const two = await cli('events', 'tail', '--limit', '2', '--json');
      expect(two.stdout.trim().split('\n')).toHaveLength(2);
      const rest = await cli('events', 'tail', '--after', lines[1].cursor, '--json');
      expect(rest.stdout.trim().split('\n')).toHaveLength(lines.length - 2);

      const human = await cli('events', 'tail', '--limit', '1');
      expect(human.stdout).toMatch(/^\S+Z {2}ACCEPTED {5}/);
      expect(human.stderr).toContain('next cursor: ');

      const follow = startCli(
        ['events', 'tail', '--follow', '--after', (lines.at(-1) as FeedEvent).cursor, '--poll-ms', '50', '--json'],
        env,
      );
      const sent = await cli('send', '--to', people.per, '--subject', 'Ny', join(work, 'vedtak.pdf'), '--json');
      const id = JSON.parse(sent.stdout).id;
      for (let i = 0; i < 800 && follow.stdout().trim().split('\n').length < 2; i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      follow.child.kill('SIGINT');
      const ended = await follow.done;
      expect(ended.code).toBe(0);
      const out = ended.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(out.map((e) => [e.messageId, e.type])).toEqual([
        [id, 'ACCEPTED'],
        [id, 'DELIVERED'],
      ]);
    });

    it('verifies receipts (feed lines, a message, one JWS, a JWKS file) and exits 1 on a tampered one', async () => {
      const feed = join(work, 'events.jsonl');
      const tail = await cli('events', 'tail', '--json');
      await writeFile(feed, tail.stdout);
      const count = tail.stdout.trim().split('\n').length;
      const ok = await cli('receipts', 'verify', feed);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/^valid +ACCEPTED +message [0-9a-f-]{36} +event [0-9a-f-]{36}/);
      expect(ok.stdout).toContain(`${count} valid, 0 invalid`);

      const sent = await cli(
        'send',
        '--to',
        people.kari,
        '--subject',
        'Kvittering',
        join(work, 'vedtak.pdf'),
        '--json',
      );
      const message = join(work, 'message.json');
      await writeFile(message, sent.stdout);
      const one = await cli('receipts', 'verify', message, '--json');
      expect(one.code).toBe(0);
      const verdicts = JSON.parse(one.stdout);
      expect(verdicts).toMatchObject({ valid: 2, invalid: 0 });
      expect(verdicts.receipts.map((r: { type: string }) => r.type)).toEqual(['ACCEPTED', 'DELIVERED']);
      expect(verdicts.receipts[0].messageId).toBe(JSON.parse(sent.stdout).id);
      // The receipts name the letter's sender and (masked in the output) its recipient.
      expect(verdicts.receipts[0]).toMatchObject({ sender: cvrSender, recipient: '128585*****' });
      // A saved answer whose recipient was changed no longer matches its receipts.
      const moved = join(work, 'moved.json');
      await writeFile(moved, JSON.stringify({ ...JSON.parse(sent.stdout), recipient: { nationalId: people.ola } }));
      const other = await cli('receipts', 'verify', moved, '--json');
      expect(other.code).toBe(1);
      expect(JSON.parse(other.stdout)).toMatchObject({ valid: 0, invalid: 2 });
      expect(JSON.parse(other.stdout).receipts[0]).toMatchObject({ code: 'event_mismatch' });

      const first = JSON.parse(tail.stdout.split('\n')[0] as string) as FeedEvent;
      const jws = join(work, 'receipt.jws');
      await writeFile(jws, `${first.receipt}\n`);
      const jwks = join(work, 'jwks.json');
      await writeFile(jwks, await (await fetch(`${server.url}/.well-known/jwks.json`)).text());
      const offline = await runCliProcess(['receipts', 'verify', jws, '--jwks', jwks], {}, 60_000);
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toContain(`valid    ${first.type.padEnd(12)}  message ${first.messageId}`);
      expect(offline.stdout).toContain(`from ${cvrSender} to `);

      // The receipt's claims changed: the signature no longer matches.
      const [h, p, s] = first.receipt.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
      claims.event.type = 'OPENED';
      const forged = join(work, 'forged.jws');
      await writeFile(forged, `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`);
      const bad = await cli('receipts', 'verify', forged);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(/^INVALID +OPENED .*ERR_JWS_SIGNATURE_VERIFICATION_FAILED/);
      expect(bad.stdout).toContain('0 valid, 1 invalid');

      // The JSON around a genuine receipt lies about the event: also invalid.
      const lying = join(work, 'lying.json');
      await writeFile(lying, JSON.stringify([{ ...first, type: 'OPENED' }]));
      const lie = await cli('receipts', 'verify', lying, '--json');
      expect(lie.code).toBe(1);
      expect(JSON.parse(lie.stdout).receipts[0]).toMatchObject({ valid: false, code: 'event_mismatch' });
      // So does a time or data moved next to the receipt.
      for (const [name, changed] of [
        ['late.json', { ...first, at: '2020-01-01T00:00:00.000Z' }],
        ['data.json', { ...first, data: { reason: 'recipient_has_no_mailbox' } }],
      ] as const) {
        await writeFile(join(work, name), JSON.stringify([changed]));
        const moved = await cli('receipts', 'verify', join(work, name), '--json');
        expect(moved.code, name).toBe(1);
        expect(JSON.parse(moved.stdout).receipts[0]).toMatchObject({ valid: false, code: 'event_mismatch' });
      }
    });
  });
});
