/**
 * `postkasse batch send`: many letters from a CSV or JSON-lines file, one per row, each sent with
 * POST /api/v1/messages, a bounded number at a time. The file is streamed (memory stays flat),
 * progress goes to stderr, and the run can be interrupted and resumed without sending anything
 * twice:
 *
 * - every letter has an id: the row's own, or one derived from the row's content (`derivedId`),
 *   so a resumed run sends the same ids;
 * - rows that got an answer are appended to the state file (fsynced every second and at the end);
 *   a resumed run skips them;
 * - rows in flight when the run stopped (or done but not yet in the state file after a crash) are
 *   sent again with the same id and content, which the API answers as the same letter
 *   (`idempotent-replayed: true`) instead of storing a second one.
 */
import { createHash } from 'node:crypto';
import { createReadStream, fsyncSync, writeSync } from 'node:fs';
import { type FileHandle, open, readFile, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { canonicalJson, parseDateTime } from '@postkasse/core';
import {
  isPostkasseError,
  type LetterFile,
  type LetterJson,
  type PostkasseClient,
  PostkasseError,
  recipientFromId,
  sendLetter,
} from '@postkasse/sdk';
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { print } from '../output.js';
import { type Fields, type InputRow, readRows, rowFormat } from '../rows.js';
import { apiClient, CliError, failWith, UUID } from '../sdk-client.js';
import { readDocumentFile } from './send.js';

const STATE_MAGIC = '# postkasse batch state v1';

// ---- the input --------------------------------------------------------------------------------

/** The input's SHA-256 and its number of lines, read as a stream. */
async function fingerprint(path: string): Promise<{ sha256: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  let last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  if (last !== 10) lines++;
  return { sha256: hash.digest('hex'), lines };
}

/**
 * A stable id for a row without one: a name-based (v5-style) UUID of the row's content. Editing
 * or moving other rows changes nothing for this one, so a run over an edited file sends again
 * only the rows that changed; two identical rows without ids are one letter.
 */
export function derivedId(fields: Fields): string {
  const b = createHash('sha1')
    .update(`postkasse-batch-row:${canonicalJson({ ...fields, id: undefined })}`)
    .digest()
    .subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---- the state and failures files -------------------------------------------------------------

/** An append-only file written in the background: lines are buffered, written every 100 ms, fsynced every second. */
class AppendLog {
  private pending: string[] = [];
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout;
  private lastSync = Date.now();
  private dirty = false;

  private constructor(private readonly fh: FileHandle) {
    this.timer = setInterval(() => void this.flush(), 100);
    this.timer.unref();
  }

  static async open(path: string, mode: 'a' | 'w'): Promise<AppendLog> {
    return new AppendLog(await open(path, mode, 0o600));
  }

  append(line: string): void {
    this.pending.push(`${line}\n`);
  }

  /** Writes what is buffered; fsyncs when asked or when the last sync is a second old. */
  flush(sync = false): Promise<void> {
    this.writing = this.writing.then(async () => {
      if (this.pending.length > 0) {
        const text = this.pending.join('');
        this.pending = [];
        await this.fh.write(text);
        this.dirty = true;
      }
      if (this.dirty && (sync || Date.now() - this.lastSync >= 1000)) {
        await this.fh.datasync();
        this.dirty = false;
        this.lastSync = Date.now();
      }
    });
    return this.writing;
  }

  /** For a second Ctrl-C: write and sync what is buffered, now, without waiting for anything. */
  flushNow(): void {
    const text = this.pending.join('');
    this.pending = [];
    if (text) writeSync(this.fh.fd, text);
    fsyncSync(this.fh.fd);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush(true);
    await this.fh.close();
  }
}

type PreviousState = { sha256: string | null; rows: Set<number>; outcomes: Record<string, number> };

/**
 * Reads a state file: the input hash it belongs to, the rows already done and their outcomes
 * (`failed` for rows that failed for good). A torn last line (a crash mid-write) is ignored.
 */
async function readState(path: string): Promise<PreviousState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const rows = new Set<number>();
  const outcomes: Record<string, number> = {};
  let sha256: string | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith(STATE_MAGIC)) {
      sha256 = /sha256=([0-9a-f]{64})/.exec(line)?.[1] ?? null;
      continue;
    }
    const m = /^(\d+)\t[0-9a-f-]{36}\t([A-Za-z_:]+)$/.exec(line);
    if (!m || rows.has(Number(m[1]))) continue;
    rows.add(Number(m[1]));
    const key = (m[2] as string).startsWith('failed') ? 'failed' : (m[2] as string);
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return { sha256, rows, outcomes };
}

// ---- progress ---------------------------------------------------------------------------------

type Tally = { handled: number; sent: number; failed: number; startedAt: number };

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

/** A bar with rate and ETA on a terminal, a plain line every few seconds otherwise. */
function progressReporter(total: number, tally: Tally, enabled: boolean) {
  const rate = () => tally.sent / Math.max(0.001, (performance.now() - tally.startedAt) / 1000);
  const eta = () => (total - tally.handled) / Math.max(rate(), 0.001);
  if (!enabled) return { update() {}, stop() {} };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      stream: process.stderr,
      format: 'batch |{bar}| {value}/{total} rows | {rate} letters/s | ETA {etaText} | {failed} failed',
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    });
    bar.start(Math.max(total, tally.handled), tally.handled, { rate: '0', etaText: '?', failed: 0 });
    return {
      update() {
        bar.setTotal(Math.max(total, tally.handled));
        bar.update(tally.handled, {
          rate: rate().toFixed(0),
          etaText: tally.sent > 0 ? formatSeconds(eta()) : '?',
          failed: tally.failed,
        });
      },
      stop() {
        this.update();
        bar.stop();
      },
    };
  }
  const every = Number(process.env.POSTKASSE_PROGRESS_INTERVAL_MS ?? 2000);
  const line = () => {
    const pct = total > 0 ? ` (${((100 * tally.handled) / total).toFixed(1)}%)` : '';
    process.stderr.write(
      `batch: ${tally.handled}/${total} rows${pct}, ${rate().toFixed(0)} letters/s, ETA ${formatSeconds(eta())}, ${tally.failed} failed\n`,
    );
  };
  const timer = setInterval(line, every);
  timer.unref();
  return {
    update() {},
    stop() {
      clearInterval(timer);
      line();
    },
  };
}

// ---- one row ----------------------------------------------------------------------------------

const text = (v: unknown): string | undefined => {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
};

class RowError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The letter a row describes (without its documents), or a RowError saying what is wrong. */
function letterFromRow(fields: Fields, id: string): { letter: LetterJson; file: string; attachments: string[] } {
  const to = text(fields.to);
  const subject = text(fields.subject);
  const file = text(fields.file);
  const missing = [!to && 'to', !subject && 'subject', !file && 'file'].filter(Boolean);
  if (missing.length > 0) throw new RowError('invalid_row', `missing ${missing.join(', ')}`);
  let recipient: LetterJson['recipient'];
  try {
    recipient = recipientFromId(to as string);
  } catch (error) {
    throw new RowError('invalid_recipient', (error as Error).message);
  }
  const authLevel = text(fields.authLevel);
  if (authLevel && authLevel !== 'substantial' && authLevel !== 'high') {
    throw new RowError('invalid_row', `authLevel is substantial or high, not ${JSON.stringify(authLevel)}`);
  }
  const deliverAt = text(fields.deliverAt);
  if (deliverAt && Number.isNaN(parseDateTime(deliverAt))) {
    throw new RowError(
      'invalid_row',
      'deliverAt is not a date and time with its offset, e.g. 2026-12-01T07:00:00+01:00',
    );
  }
  const raw = fields.attachments;
  const attachments = (Array.isArray(raw) ? raw.map(String) : (text(raw)?.split(';') ?? []))
    .map((a) => a.trim())
    .filter((a) => a !== '');
  const nonSensitiveTitle = text(fields.nonSensitiveTitle);
  const senderReference = text(fields.senderReference);
  const openingReceipt = text(fields.openingReceipt);
  return {
    letter: {
      id,
      recipient,
      subject: subject as string,
      ...(nonSensitiveTitle ? { nonSensitiveTitle } : {}),
      ...(authLevel ? { authLevel: authLevel as 'substantial' | 'high' } : {}),
      ...(senderReference ? { senderReference } : {}),
      ...(deliverAt ? { deliverAt } : {}),
      ...(openingReceipt === 'true' || openingReceipt === '1' ? { openingReceipt: true } : {}),
    },
    file: file as string,
    attachments,
  };
}

/** Documents by path, shared between rows (most batches reuse a few files), up to 64 MB cached. */
class DocumentCache {
  private cache = new Map<string, Promise<LetterFile>>();
  private sizes = new Map<string, number>();
  private bytes = 0;

  constructor(
    private readonly root: string,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(name: string): Promise<LetterFile> {
    const path = resolve(this.root, name);
    const rel = relative(this.root, path);
    if (isAbsolute(name) || rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
      return Promise.reject(new RowError('invalid_row', `${name}: documents must be inside --documents`));
    }
    const hit = this.cache.get(path);
    if (hit) {
      this.cache.delete(path);
      this.cache.set(path, hit);
      return hit;
    }
    // Kept as a Blob: every letter's form then shares the same bytes instead of copying them.
    // A link inside --documents may not lead outside it.
    const loading = (async () => {
      const [real, root] = await Promise.all([realpath(path).catch(() => path), realpath(this.root)]);
      const inside = relative(root, real);
      if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
        throw new RowError('invalid_row', `${name}: documents must be inside --documents`);
      }
      return readDocumentFile(real, basename(path));
    })().then(
      (f): LetterFile => ({ ...f, content: new Blob([f.content as Uint8Array<ArrayBuffer>], { type: f.mediaType }) }),
    );
    const guarded = loading.catch((error: unknown) => {
      this.cache.delete(path);
      if (error instanceof CliError) throw new RowError(error.code, `${name}: ${error.message.split(': ').pop()}`);
      throw error;
    });
    this.cache.set(path, guarded);
    void guarded.then(
      (f) => {
        if (this.cache.get(path) !== guarded) return;
        const size = f.content instanceof Blob ? f.content.size : f.content.byteLength;
        this.sizes.set(path, size);
        this.bytes += size;
        for (const old of this.cache.keys()) {
          if (this.bytes <= this.maxBytes) break;
          if (old === path) continue;
          this.bytes -= this.sizes.get(old) ?? 0;
          this.sizes.delete(old);
          this.cache.delete(old);
        }
      },
      () => undefined,
    );
    return guarded;
  }
}

// ---- the command ------------------------------------------------------------------------------

type BatchOptions = {
  documents?: string;
  state?: string;
  failures?: string;
  concurrency: string;
  format?: string;
  retries: string;
  progress: boolean;
  json?: boolean;
};

export function batchCommands(program: Command): void {
  const batch = program.command('batch').description('send many letters at once, as a sender');
  batch
    .command('send')
    .description('send one letter per row of a CSV or JSON-lines file; resumable after an interruption')
    .argument('<input>', 'letters.csv or letters.jsonl')
    .option('--documents <dir>', "where the rows' files are (default: the input's directory)")
    .option('--state <file>', 'rows already done, to resume (default: <input>.state)')
    .option('--failures <file>', 'rows that failed, as JSON lines (default: <input>.failures.jsonl)')
    .option('--concurrency <n>', 'letters in flight at once', '8')
    .option('--format <format>', 'csv or jsonl (default: from the extension)')
    .option('--retries <n>', 'retries of a temporary failure (network, 5xx, 429) per letter', '5')
    .option('--no-progress', 'no progress output on stderr')
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      `
Columns (CSV header) or fields (JSON lines):
  id                 optional UUID; derived from the row's content when left out (two identical rows are one
                     letter; give ids, e.g. per campaign, to send the same row again another time)
  to                 national id (11 digits, CPR 10) or organization number (9, CVR 8)
  subject            the letter's subject
  file               the main document, relative to --documents
  attachments        optional, ';'-separated (or an array in JSON), relative to --documents
  authLevel          optional: substantial or high
  nonSensitiveTitle, senderReference, deliverAt, openingReceipt   optional

Rows are numbered from 1 (CSV: after the header; JSON lines: by line). Ctrl-C stops taking rows,
waits for the letters in flight, saves the state and exits 130; run the same command again to
continue. The failures file can be given back as input once the rows are fixed.
Environment: POSTKASSE_URL (default http://localhost:8080), POSTKASSE_API_KEY.`,
    )
    .action(async (input: string, opts: BatchOptions) => {
      const json = Boolean(opts.json);
      try {
        const code = await runBatch(apiClient(), input, opts);
        process.exit(code);
      } catch (error) {
        failWith(error, json);
      }
    });
}

async function runBatch(client: PostkasseClient, input: string, opts: BatchOptions): Promise<number> {
  const json = Boolean(opts.json);
  const concurrency = Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
    throw new CliError('invalid_arguments', '--concurrency is a whole number from 1 to 256');
  }
  const retries = Number(opts.retries);
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) {
    throw new CliError('invalid_arguments', '--retries is a whole number from 0 to 20');
  }
  const format = rowFormat(input, opts.format);
  if (!format) throw new CliError('invalid_arguments', '--format is csv or jsonl');
  const inputStat = await stat(input).catch(() => null);
  if (!inputStat?.isFile()) throw new CliError('input_not_found', `${input}: no such file`);
  const documentsDir = resolve(opts.documents ?? dirname(input));
  if (!(await stat(documentsDir).catch(() => null))?.isDirectory()) {
    throw new CliError('invalid_arguments', `--documents ${documentsDir}: no such directory`);
  }
  const statePath = opts.state ?? `${input}.state`;
  const failuresPath = opts.failures ?? `${input}.failures.jsonl`;
  // Each of the three is a file of its own: writing the failures (or the state) into the input
  // would destroy the rows before they are read.
  const real = async (path: string) => realpath(path).catch(() => resolve(path));
  const [inputReal, stateReal, failuresReal] = await Promise.all([real(input), real(statePath), real(failuresPath)]);
  if (stateReal === inputReal || failuresReal === inputReal || stateReal === failuresReal) {
    throw new CliError(
      'invalid_arguments',
      'The input, --state and --failures must be three different files (to send the failures again, give them ' +
        'as input with another --failures file)',
    );
  }

  const { sha256, lines } = await fingerprint(input);
  const total = Math.max(0, format === 'csv' ? lines - 1 : lines);
  const previous = await readState(statePath);
  if (previous?.sha256 && previous.sha256 !== sha256) {
    throw new CliError(
      'state_mismatch',
      `${statePath} belongs to another version of ${basename(input)} (the file changed since that run)`,
      `rows may have moved, so this state cannot say which are done; start a new state with --state <file>: rows
      already sent are answered again by the API (their ids come from their content), not sent twice`.replace(
        /\n\s+/g,
        ' ',
      ),
    );
  }
  const done = previous?.rows ?? new Set<number>();
  const resuming = done.size > 0;
  const state = await AppendLog.open(statePath, 'a');
  if (!previous?.sha256) state.append(`${STATE_MAGIC} sha256=${sha256} input=${basename(input)}`);
  const failures = await AppendLog.open(failuresPath, resuming ? 'a' : 'w');

  const counts: Record<string, number> = {};
  const overall: Record<string, number> = { ...previous?.outcomes };
  const tally: Tally = { handled: 0, sent: 0, failed: 0, startedAt: performance.now() };
  let replayed = 0;
  let skipped = 0;
  let unfinished = 0;
  let stopSignal: NodeJS.Signals | null = null;
  const docs = new DocumentCache(documentsDir);
  const progress = progressReporter(total, tally, opts.progress !== false);
  const inflight = new Set<Promise<void>>();

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopSignal) {
      // A second signal: save what we know and go.
      state.flushNow();
      failures.flushNow();
      process.stderr.write('\nstopped at once; letters in flight are sent again (same id) when you resume\n');
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
    stopSignal = signal;
    progress.stop();
    process.stderr.write(
      `\ninterrupted: waiting for ${inflight.size} letter(s) in flight, then saving the state (${signal} again to stop at once)\n`,
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const fail = (row: number, id: string, fields: Fields | null, error: { code: string; detail: string } & Fields) => {
    failures.append(JSON.stringify({ ...(fields ?? {}), row, id, ...error }));
  };

  // The same id is safe to send again; a server that hangs costs one attempt, not the run.
  const sendWithRetry = (letter: LetterJson, files: LetterFile[]) =>
    sendLetter(client, {
      letter,
      files,
      retry: { retries, attemptTimeoutMs: 120_000, shouldRetry: () => !stopSignal },
    });

  async function processRow({ row, fields, parseError }: InputRow): Promise<void> {
    const given = fields ? text(fields.id) : undefined;
    const id = (given ?? derivedId(fields ?? { unreadableRow: String(row) })).toLowerCase();
    try {
      if (!fields) throw new RowError('invalid_row', parseError ?? 'unreadable row');
      if (given && !UUID.test(given)) throw new RowError('invalid_row', `id ${JSON.stringify(given)} is not a UUID`);
      const { letter, file, attachments } = letterFromRow(fields, id);
      const files = await Promise.all([file, ...attachments].map((f) => docs.get(f)));
      const result = await sendWithRetry(letter, files);
      const status = result.message.status;
      counts[status] = (counts[status] ?? 0) + 1;
      overall[status] = (overall[status] ?? 0) + 1;
      if (result.replayed) replayed++;
      tally.sent++;
      state.append(`${row}\t${id}\t${status}`);
    } catch (error) {
      // A temporary fault, or one we do not know (a proxy's HTML page …): not done, so a resumed
      // run sends it again with the same id, which the API answers without sending twice.
      const unknown = !isPostkasseError(error) && !(error instanceof RowError);
      if ((isPostkasseError(error) && error.retryable) || unknown) {
        if (stopSignal) {
          unfinished++;
          return;
        }
        fail(row, id, fields, {
          code: isPostkasseError(error) ? error.code : 'unexpected_error',
          detail: isPostkasseError(error) ? error.detail : error instanceof Error ? error.message : String(error),
          retryable: true,
          ...(isPostkasseError(error) && error.correlationId ? { correlationId: error.correlationId } : {}),
        });
        counts.failed = (counts.failed ?? 0) + 1;
        tally.failed++;
        return;
      }
      const problem =
        error instanceof PostkasseError
          ? {
              code: error.code,
              detail: error.detail,
              ...(error.errors ? { errors: error.errors } : {}),
              ...(error.correlationId ? { correlationId: error.correlationId } : {}),
            }
          : { code: (error as RowError).code, detail: (error as RowError).message };
      fail(row, id, fields, { ...problem, retryable: false });
      state.append(`${row}\t${id}\tfailed:${problem.code.replace(/[^A-Za-z_]/g, '_')}`);
      counts.failed = (counts.failed ?? 0) + 1;
      overall.failed = (overall.failed ?? 0) + 1;
      tally.failed++;
    } finally {
      tally.handled++;
      progress.update();
    }
  }

  try {
    for await (const r of readRows(input, format)) {
      if (stopSignal) break;
      if (done.has(r.row)) {
        skipped++;
        tally.handled++;
        continue;
      }
      while (inflight.size >= concurrency && !stopSignal) await Promise.race(inflight);
      if (stopSignal) {
        unfinished++;
        break;
      }
      const p: Promise<void> = processRow(r).finally(() => inflight.delete(p));
      inflight.add(p);
    }
  } catch (error) {
    // The input itself is broken (a CSV quote never closed…): finish what is in flight, keep the state.
    await Promise.allSettled(inflight);
    await Promise.all([state.close(), failures.close()]);
    progress.stop();
    throw new CliError(
      'invalid_input',
      `${input}: ${(error as Error).message}`,
      'fix the file at that place; rows before it are done and kept in the state file',
    );
  }
  await Promise.allSettled(inflight);
  await Promise.all([state.close(), failures.close()]);
  if (!stopSignal) progress.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const elapsedMs = performance.now() - tally.startedAt;
  const failedThisRun = counts.failed ?? 0;
  const outcome = Object.fromEntries(Object.entries(counts).filter(([k]) => k !== 'failed'));
  const summary = {
    input,
    rows: tally.handled,
    interrupted: stopSignal !== null,
    sent: tally.sent,
    replayed,
    failed: failedThisRun,
    skipped,
    counts: outcome,
    total: overall,
    failuresFile: failuresPath,
    stateFile: statePath,
    elapsedMs: Math.round(elapsedMs),
    lettersPerSecond: Math.round((tally.sent / Math.max(elapsedMs, 1)) * 1000),
  };
  const list = (c: Record<string, number>) =>
    Object.entries(c)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  print(json, summary, () =>
    [
      `batch send ${input}${summary.interrupted ? ' (interrupted)' : ''}`,
      `  this run:  ${tally.sent} sent (${list(outcome)}), ${failedThisRun} failed, ${skipped} already done before` +
        (replayed > 0 ? `, ${replayed} answered as already sent` : ''),
      `  overall:   ${list(overall)}`,
      `  failures:  ${failedThisRun > 0 ? `${failuresPath} (${failedThisRun} this run: fix those rows, then give the file back as input)` : 'none this run'}`,
      `  state:     ${statePath}`,
      `  time:      ${(elapsedMs / 1000).toFixed(1)} s, ${summary.lettersPerSecond} letters/s`,
      ...(summary.interrupted
        ? [`  ${unfinished > 0 ? `${unfinished} row(s) not finished; ` : ''}run the same command again to continue`]
        : []),
    ].join('\n'),
  );
  if (stopSignal) return stopSignal === 'SIGTERM' ? 143 : 130;
  return failedThisRun > 0 ? 1 : 0;
}
