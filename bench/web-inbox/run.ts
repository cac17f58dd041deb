/**
 * bench/web-inbox: how the web inbox's letter list performs in a real browser (Chromium through
 * playwright-core) with 5,000 letters, against a baseline mailbox of 10 letters measured in the
 * same run on the same server.
 *
 * A real server runs in-process (test/harness.ts, SQLite) and serves a built apps/web. The letters
 * are written straight into the store through the repositories (DELIVERED, in the inbox, subjects
 * and senders varied, received over two years, some unread). The browser gets a session cookie
 * made by the domain's `completeLogin` (what the OIDC callback does) and opens the inbox.
 *
 * Per mailbox, five fresh page loads (a new page each time, one browser context per mailbox, so
 * the first load is cold and the others have the assets cached): the app's
 * `postkasse:list-rendered` mark (ms since navigation start), first contentful paint, long tasks.
 * Then, for the 5,000 mailbox: scrolling to the end until every letter is loaded (time, requests,
 * frame rate, long tasks, total blocking time), and a steady scroll from the top to the bottom of
 * the full list (frame rate, long tasks). No asserts on timings: it prints figures and exits 0.
 *
 *   npx tsx bench/web-inbox/run.ts
 *   BENCH_LETTERS=20000 BENCH_LOADS=7 npx tsx bench/web-inbox/run.ts
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { completeLogin, createSender, type Letter, type NewEvent, type Sender } from '@postkasse/core';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildWebApp } from '../../test/build-web.js';
import { startTestServer, type TestServer, testOrgNumbers } from '../../test/harness.js';
import { letterRecord } from '../../test/letter-record.js';

const bigId = '12858510129';
const baseId = '03917210194';
const bigCount = Number(process.env.BENCH_LETTERS ?? 5_000);
const baseCount = 10;
const loads = Number(process.env.BENCH_LOADS ?? 5);
const log = (m: string) => process.stderr.write(`[bench:web] ${m}\n`);

const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Installed before any page script: collects long tasks (the buffered flag keeps the early ones).
 * tsx compiles the functions given to page.evaluate with esbuild's keepNames, which wraps named
 * inner functions in `__name(…)`: the page gets a no-op one.
 */
const initScript = `(() => {
  if (!globalThis.__name) Object.defineProperty(globalThis, '__name', { value: (f) => f });
  const bench = { longTasks: [] };
  Object.defineProperty(window, '__bench', { value: bench });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
})();`;

// ---------------------------------------------------------------------------------------------
// The web app

/**
 * The directory the server serves: a production build of the current apps/web made for this run
 * in its own directory (about a second), so the figures are of the code as it is, and other runs
 * rebuilding apps/web/dist cannot take the hashed assets away from under the running server.
 */
async function webDir(tmp: string): Promise<{ dir: string; note: string }> {
  const dir = join(tmp, 'web');
  await buildWebApp({ outDir: dir });
  return { dir, note: 'production build of apps/web made for this run' };
}

// ---------------------------------------------------------------------------------------------
// The letters

/** A small deterministic generator, so every run has the same mailbox. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const senderNames = [
  'Skatteetaten',
  'NAV',
  'Oslo kommune',
  'Statens lånekasse for utdanning',
  'Helse Sør-Øst RHF',
  'Statens vegvesen',
  'Politiet',
];
const months = ['januar', 'februar', 'mars', 'april', 'mai', 'juni', 'juli', 'august', 'september', 'oktober'];
const subjects: ((n: number, year: number, month: string) => string)[] = [
  (_n, year) => `Skattemelding for ${year - 1}`,
  (_n, year, month) => `Vedtak om bostøtte for ${month} ${year}`,
  (n) => `Faktura ${100_000 + n} – eiendomsavgift`,
  (_n, _y, month) => `Innkalling til time på poliklinikken, ${month}`,
  (_n, year) => `Endring i utbetaling av sykepenger fra ${year}`,
  (n) => `Påminnelse: EU-kontroll for kjøretøy EL ${10_000 + (n % 90_000)}`,
  (_n, year) => `Årsoppgave ${year - 1} for studielån`,
  (n) => `Svar på søknad om parkeringstillatelse, sak ${2024_000 + n}`,
  () => 'Vedtak om barnehageplass',
  (_n, year, month) => `Utbetaling av barnetrygd ${month} ${year}`,
  () => 'Informasjon om endringer i regelverket for dagpenger – les dette før du sender neste meldekort',
  (n) => `Bekreftelse på mottatt klage (saksnummer ${20_000 + n})`,
];

async function seedLetters(
  server: TestServer,
  nationalId: string,
  mailboxId: string,
  senders: Sender[],
  count: number,
  seed: number,
): Promise<{ unread: number }> {
  const store = server.ctx.deps.store;
  const inbox = await store.read.folders.findSystem(mailboxId, 'inbox');
  if (!inbox) throw new Error('the mailbox has no inbox');
  const rnd = random(seed);
  const now = Date.now();
  const span = 2 * 365 * 86_400_000;
  let unread = 0;
  for (let from = 0; from < count; from += 1_000) {
    const rows: Letter[] = [];
    for (let i = from; i < Math.min(count, from + 1_000); i++) {
      // Newest first, spread over two years with some jitter.
      const at = new Date(now - 60_000 - (i / count) * span - rnd() * 3_600_000);
      const sender = senders[Math.floor(rnd() * senders.length)] ?? senders[0]!;
      const subject = subjects[Math.floor(rnd() * subjects.length)]!(
        i,
        at.getUTCFullYear(),
        months[at.getUTCMonth() % months.length]!,
      );
      // The newest few are unread, and now and then an older one was left unread.
      const isUnread = i < Math.max(3, count * 0.01) || rnd() < 0.04;
      if (isUnread) unread++;
      const readAt = isUnread ? null : new Date(at.getTime() + rnd() * 3 * 86_400_000).toISOString();
      rows.push(
        letterRecord({
          senderId: sender.id,
          recipientId: nationalId,
          mailboxId,
          requestHash: 'x'.repeat(64),
          status: 'DELIVERED',
          subject,
          nonSensitiveTitle: `Brev fra ${sender.name}`,
          authLevel: rnd() < 0.25 ? 'high' : 'substantial',
          sensitivity: rnd() < 0.05 ? 'sensitive' : 'normal',
          legalNotification: rnd() < 0.03,
          senderReference: `sak-${i}`,
          createdAt: at.toISOString(),
          deliveredAt: at.toISOString(),
          readAt,
          openedAt: readAt,
          folderId: inbox.id,
          documentCount: 1,
          totalBytes: 20_000 + Math.floor(rnd() * 200_000),
          replyBy: rnd() < 0.05 ? new Date(at.getTime() + 21 * 86_400_000).toISOString() : null,
        }),
      );
    }
    const events: NewEvent[] = rows.flatMap((l) =>
      (['ACCEPTED', 'DELIVERED'] as const).map((type) => ({
        id: randomUUID(),
        letterId: l.id,
        senderId: l.senderId,
        type,
        at: l.deliveredAt ?? l.createdAt,
        data: {},
      })),
    );
    await store.write(async (r) => {
      await r.letters.insertManyIfAbsent(rows);
      await r.events.append(events);
    });
  }
  return { unread };
}

// ---------------------------------------------------------------------------------------------
// Measuring in the browser

type LongTask = { start: number; duration: number };
type Stalls = { count: number; longest: number; blocking: number };

function stalls(tasks: LongTask[]): Stalls {
  return {
    count: tasks.length,
    longest: Math.max(0, ...tasks.map((t) => t.duration)),
    blocking: tasks.reduce((sum, t) => sum + Math.max(0, t.duration - 50), 0),
  };
}

async function longTasks(page: Page, since = 0, until = Number.POSITIVE_INFINITY): Promise<LongTask[]> {
  const all = await page.evaluate(() => (globalThis as any).__bench.longTasks as LongTask[]);
  return all.filter((t) => t.start >= since && t.start < until);
}

type LoadFigures = {
  listRendered: number;
  fcp: number;
  domContentLoaded: number;
  rows: number;
  stalls: Stalls;
  requests: number;
};

async function newContext(browser: Browser, server: TestServer, nationalId: string): Promise<BrowserContext> {
  const { token } = await completeLogin(server.ctx.deps, { nationalId, authLevel: 'high' });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  await context.addCookies([{ name: 'pk_session', value: token, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
  await context.addInitScript(initScript);
  return context;
}

/** One fresh page load of the inbox: the moment the list is on screen, and what blocked until then. */
async function loadOnce(context: BrowserContext, url: string): Promise<LoadFigures> {
  const page = await context.newPage();
  let requests = 0;
  page.on('request', () => {
    requests++;
  });
  try {
    await page.goto(url);
    await page.waitForSelector('.letters .letter', { timeout: 60_000 });
    await page.waitForFunction(() => performance.getEntriesByName('postkasse:list-rendered').length > 0, null, {
      timeout: 10_000,
    });
    const figures = await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const nav = (globalThis as any).performance.getEntriesByType('navigation')[0];
      return {
        listRendered: performance.getEntriesByName('postkasse:list-rendered')[0]?.startTime ?? Number.NaN,
        fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
        domContentLoaded: Number(nav?.domContentLoadedEventEnd ?? Number.NaN),
        rows: doc.querySelectorAll('.letters .letter').length as number,
      };
    });
    return {
      ...figures,
      stalls: stalls(await longTasks(page, 0, figures.listRendered)),
      requests,
    };
  } finally {
    await page.close();
  }
}

type ScrollFigures = {
  timedOut: boolean;
  rows: number;
  ms: number;
  frames: number;
  fps: number;
  longestFrame: number;
  buttonClicks: number;
  stalls: Stalls;
  letterRequests: number;
  allRequests: number;
  letterRequestMs: number[];
  /** Per list response after the first: from its last byte to the frame showing its rows. */
  renderMs: number[];
  idleFps: number;
  allShownText: boolean;
};

type SteadyFigures = { ms: number; frames: number; fps: number; longestFrame: number; px: number; stalls: Stalls };

type Metrics = Record<string, number>;

/** Chromium's page metrics (counters run from Performance.enable on this session). */
async function pageMetrics(page: Page): Promise<() => Promise<Metrics>> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  };
}

/**
 * Scrolls to the end of the list every frame until every letter is loaded (the list reads the next
 * 100 when its end comes within 800 px), pressing "Show more letters" only when nothing happened
 * for 5 s; then scrolls steadily from the top to the bottom of the full list.
 */
async function scrollAll(
  context: BrowserContext,
  url: string,
  expected: number,
): Promise<{ load: ScrollFigures; steady: SteadyFigures; metrics: Metrics[] }> {
  const page = await context.newPage();
  try {
    const metrics = await pageMetrics(page);
    await page.goto(url);
    await page.waitForSelector('.letters .letter', { timeout: 60_000 });
    await page.waitForFunction(() => performance.getEntriesByName('postkasse:list-rendered').length > 0);
    // Let the first view settle (the session, folders and live stream requests) before measuring.
    await page.waitForTimeout(500);
    const before = await metrics();

    let letterRequests = 0;
    let allRequests = 0;
    const letterRequestMs: number[] = [];
    // The list: GET /api/v1/mailboxes/{id}/messages?folder…&limit=100&cursor=…
    const isList = (url: string) => /\/api\/v1\/mailboxes\/[^/]+\/messages(\?|$)/.test(url);
    page.on('request', (request) => {
      allRequests++;
      if (isList(request.url())) letterRequests++;
    });
    page.on('requestfinished', (request) => {
      if (!isList(request.url())) return;
      const t = request.timing();
      if (t.responseEnd > 0) letterRequestMs.push(t.responseEnd - Math.max(0, t.requestStart));
    });

    const run = await page.evaluate(
      ({ expected }) =>
        new Promise<{
          start: number;
          end: number;
          timedOut: boolean;
          rows: number;
          frames: number;
          longestFrame: number;
          clicks: number;
          allShownText: boolean;
          changes: { at: number; rows: number }[];
        }>((done) => {
          const w = globalThis as any;
          const doc = w.document;
          const start = performance.now();
          let frames = 0;
          let prev = start;
          let longestFrame = 0;
          let lastRows = 0;
          let lastChange = start;
          let clicks = 0;
          const changes: { at: number; rows: number }[] = [];
          const step = (now: number) => {
            frames++;
            longestFrame = Math.max(longestFrame, now - prev);
            prev = now;
            const rows = doc.querySelectorAll('.letters .letter').length as number;
            if (rows !== lastRows) {
              lastRows = rows;
              lastChange = now;
              changes.push({ at: now, rows });
            }
            const more = doc.querySelector('.list-end button');
            const finish = (timedOut: boolean) =>
              done({
                start,
                end: now,
                timedOut,
                rows,
                frames,
                longestFrame,
                clicks,
                changes,
                allShownText: /\d/.test(doc.querySelector('.list-end p')?.textContent ?? ''),
              });
            if (rows >= expected && !more) return finish(false);
            if (now - start > 180_000) return finish(true);
            if (more && !more.disabled && now - lastChange > 5_000) {
              more.click();
              clicks++;
              lastChange = now;
            }
            w.scrollTo(0, doc.documentElement.scrollHeight);
            w.requestAnimationFrame(step);
          };
          w.requestAnimationFrame(step);
        }),
      { expected },
    );
    const loaded = await metrics();
    // Each list response, and the first frame that shows its rows: the cost of rendering a page
    // of letters onto a list of growing length.
    const responses = await page.evaluate(
      (since) =>
        ((globalThis as any).performance.getEntriesByType('resource') as { name: string; responseEnd: number }[])
          .filter((e) => /\/api\/v1\/mailboxes\/[^/]+\/messages\?/.test(e.name) && e.responseEnd >= since)
          .map((e) => e.responseEnd)
          .sort((a, b) => a - b),
      run.start,
    );
    const firstRows = run.changes[0]?.rows ?? 0;
    const renderMs = responses.flatMap((end, i) => {
      const target = Math.min(expected, firstRows + 100 * (i + 1));
      const shown = run.changes.find((c) => c.rows >= target && c.at >= end);
      return shown ? [shown.at - end] : [];
    });
    const loadTasks = await longTasks(page, run.start, run.end + 1);
    const ms = run.end - run.start;
    const load: ScrollFigures = {
      timedOut: run.timedOut,
      rows: run.rows,
      ms,
      frames: run.frames,
      fps: (run.frames / ms) * 1000,
      longestFrame: run.longestFrame,
      buttonClicks: run.clicks,
      stalls: stalls(loadTasks),
      letterRequests,
      allRequests,
      letterRequestMs,
      allShownText: run.allShownText,
      renderMs,
      idleFps: 0,
    };

    // For scale: the frame rate of this page doing nothing (what the machine and headless Chromium
    // give at all).
    await page.waitForTimeout(300);
    load.idleFps = await page.evaluate(
      () =>
        new Promise<number>((done) => {
          const w = globalThis as any;
          let frames = 0;
          const start = performance.now();
          const step = (now: number) => {
            frames++;
            if (now - start >= 2_000) return done((frames / (now - start)) * 1000);
            w.requestAnimationFrame(step);
          };
          w.requestAnimationFrame(step);
        }),
    );

    // A steady scroll through everything: from the top to the bottom in a fixed number of frames.
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await page.waitForTimeout(300);
    const steadyRun = await page.evaluate(
      () =>
        new Promise<{ start: number; end: number; frames: number; longestFrame: number; px: number }>((done) => {
          const w = globalThis as any;
          const doc = w.document;
          const total = doc.documentElement.scrollHeight - w.innerHeight;
          const frames = 600;
          const start = performance.now();
          let prev = start;
          let longestFrame = 0;
          let n = 0;
          const step = (now: number) => {
            if (n > 0) longestFrame = Math.max(longestFrame, now - prev);
            prev = now;
            n++;
            w.scrollTo(0, Math.round((total * n) / frames));
            if (n >= frames) return done({ start, end: now, frames: n, longestFrame, px: total });
            w.requestAnimationFrame(step);
          };
          w.requestAnimationFrame(step);
        }),
    );
    const steadyMs = steadyRun.end - steadyRun.start;
    const steady: SteadyFigures = {
      ms: steadyMs,
      frames: steadyRun.frames,
      fps: (steadyRun.frames / steadyMs) * 1000,
      longestFrame: steadyRun.longestFrame,
      px: steadyRun.px,
      stalls: stalls(await longTasks(page, steadyRun.start, steadyRun.end + 1)),
    };
    const scrolled = await metrics();
    return { load, steady, metrics: [before, loaded, scrolled] };
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a');
const spread = (xs: number[], f: (v: number) => string = ms) =>
  `${f(median(xs))} (${f(Math.min(...xs)).replace(/ ms$/, '')}–${f(Math.max(...xs))})`;
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '–');

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('   ')}`.trimEnd()).join('\n');
}

function loadRows(big: LoadFigures[], base: LoadFigures[]): string[][] {
  const pick = (xs: LoadFigures[], f: (l: LoadFigures) => number) => xs.map(f);
  const row = (label: string, f: (l: LoadFigures) => number, fmt: (v: number) => string = ms) => [
    label,
    spread(pick(big, f), fmt),
    spread(pick(base, f), fmt),
    ratio(median(pick(big, f)), median(pick(base, f))),
  ];
  return [
    ['', `${int(bigCount)} letters`, `${baseCount} letters (baseline)`, 'ratio'],
    row('list rendered (postkasse:list-rendered)', (l) => l.listRendered),
    row('first contentful paint', (l) => l.fcp),
    row('DOMContentLoaded', (l) => l.domContentLoaded),
    row('rows on first render', (l) => l.rows, int),
    row('requests until the list shows', (l) => l.requests, int),
    row('long tasks until the list shows', (l) => l.stalls.count, int),
    row('longest task until the list shows', (l) => l.stalls.longest),
    row('total blocking time until the list shows', (l) => l.stalls.blocking),
  ];
}

// ---------------------------------------------------------------------------------------------

const tmp = await mkdtemp(join(tmpdir(), 'pk-bench-web-'));
let server: TestServer | undefined;
let browser: Browser | undefined;
try {
  const web = await webDir(tmp);
  const assets = await readdir(join(web.dir, 'assets'));
  server = await startTestServer('sqlite', { POSTKASSE_WEB_DIR: web.dir });
  log(`server at ${server.url}, serving the web app from ${web.note}`);

  const senders: Sender[] = [];
  for (const [i, name] of senderNames.entries()) {
    senders.push(
      await createSender(server.ctx.deps, { orgNumber: testOrgNumbers[i] ?? '974000008', name, kind: 'public' }),
    );
  }
  const big = await server.person(bigId, 'Kari Nordmann');
  const base = await server.person(baseId, 'Ola Nordmann');
  let seeded = performance.now();
  const bigSeed = await seedLetters(server, bigId, big.mailboxId, senders, bigCount, 1);
  const baseSeed = await seedLetters(server, baseId, base.mailboxId, senders, baseCount, 2);
  seeded = performance.now() - seeded;
  log(`seeded ${bigCount} + ${baseCount} letters in ${Math.round(seeded)} ms`);

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
  const bigUrl = `${server.url}/inbox/${big.mailboxId}`;
  const baseUrl = `${server.url}/inbox/${base.mailboxId}`;

  const measureLoads = async (nationalId: string, url: string) => {
    const context = await newContext(browser!, server!, nationalId);
    try {
      const figures: LoadFigures[] = [];
      for (let i = 0; i < loads; i++) figures.push(await loadOnce(context, url));
      return { figures, context };
    } catch (error) {
      await context.close();
      throw error;
    }
  };
  log(`loading the baseline inbox (${baseCount} letters) ${loads} times`);
  const baseLoads = await measureLoads(baseId, baseUrl);
  await baseLoads.context.close();
  log(`loading the big inbox (${bigCount} letters) ${loads} times`);
  const bigLoads = await measureLoads(bigId, bigUrl);
  log('scrolling the big inbox to its end');
  const scroll = await scrollAll(bigLoads.context, bigUrl, bigCount);
  await bigLoads.context.close();

  const cpu = cpus();
  const { load, steady } = scroll;
  const [before = {}, loaded = {}, scrolled = {}] = scroll.metrics;
  const mb = (v: number | undefined) => `${((v ?? 0) / 1024 / 1024).toFixed(1)} MB`;
  const lines = [
    `bench:web-inbox: the inbox list in Chromium, ${int(bigCount)} letters against a ${baseCount}-letter baseline`,
    `  Chromium ${browser.version()} headless (${chromiumArgs.join(' ')}), viewport 1280×800`,
    `  machine: ${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 1024 ** 3).toFixed(1)} GB RAM, ${platform()} ${release()} ${arch()}, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `  server: in-process, SQLite; web app: ${web.note} (${assets.filter((a) => a.endsWith('.js')).length} JS files)`,
    `  mailboxes: ${int(bigCount)} letters (${int(bigSeed.unread)} unread) and ${baseCount} (${baseSeed.unread} unread), ${senderNames.length} senders, received over two years; seeded in ${ms(seeded)}`,
    '',
    `page loads: median of ${loads} fresh pages (min–max); the first of each is cold, the rest have the assets cached; ms since navigation start`,
    table(loadRows(bigLoads.figures, baseLoads.figures)),
    '',
    `scrolling the ${int(bigCount)}-letter inbox to its end (scrolled to the bottom every frame until every letter is loaded)`,
    table([
      [
        'letters loaded',
        `${int(load.rows)} of ${int(bigCount)}${load.timedOut ? ' (TIMED OUT after 180 s)' : ''}${load.allShownText ? ', "All … letters are shown" displayed' : ''}`,
      ],
      ['time to load all', `${ms(load.ms)} (${int((load.rows / load.ms) * 1000)} letters/s)`],
      [
        'requests',
        `${int(load.letterRequests)} letter-list requests (${int(load.allRequests)} requests in all); "Show more letters" pressed ${load.buttonClicks}×`,
      ],
      [
        'letter-list request time',
        load.letterRequestMs.length
          ? `median ${ms(median(load.letterRequestMs))}, slowest ${ms(Math.max(...load.letterRequestMs))}`
          : 'n/a',
      ],
      [
        'response → rows on screen',
        load.renderMs.length >= 2
          ? `pages 2–${Math.min(11, load.renderMs.length + 1)}: median ${ms(median(load.renderMs.slice(0, 10)))}; last ${Math.min(10, load.renderMs.length)} pages: median ${ms(median(load.renderMs.slice(-10)))}; slowest ${ms(Math.max(...load.renderMs))}`
          : 'n/a',
      ],
      [
        'frame rate',
        `${load.fps.toFixed(1)} fps (${int(load.frames)} frames), longest frame ${ms(load.longestFrame)}; the idle page runs at ${load.idleFps.toFixed(1)} fps`,
      ],
      [
        'long tasks',
        `${int(load.stalls.count)}, longest ${ms(load.stalls.longest)}, total blocking time ${ms(load.stalls.blocking)}`,
      ],
    ]),
    '',
    `steady scroll through all ${int(load.rows)} loaded letters, top to bottom (${int(steady.px)} px in ${steady.frames} frames)`,
    table([
      ['time', ms(steady.ms)],
      ['frame rate', `${steady.fps.toFixed(1)} fps, longest frame ${ms(steady.longestFrame)}`],
      [
        'long tasks',
        `${int(steady.stalls.count)}, longest ${ms(steady.stalls.longest)}, total blocking time ${ms(steady.stalls.blocking)}`,
      ],
    ]),
    '',
    'where the browser spent its time (Chromium page metrics, per phase; heap and DOM nodes at its end)',
    table([
      ['', 'layouts', 'style recalcs', 'script', 'task time', 'JS heap used', 'DOM nodes'],
      ...[
        ['first view', undefined, before] as const,
        ['loading all', before, loaded] as const,
        ['steady scroll', loaded, scrolled] as const,
      ].map(([label, from, to]) => {
        const d = (k: string) => (to[k] ?? 0) - (from?.[k] ?? 0);
        return [
          label,
          `${int(d('LayoutCount'))} (${ms(d('LayoutDuration') * 1000)})`,
          `${int(d('RecalcStyleCount'))} (${ms(d('RecalcStyleDuration') * 1000)})`,
          ms(d('ScriptDuration') * 1000),
          ms(d('TaskDuration') * 1000),
          mb(to.JSHeapUsedSize),
          int(to.Nodes ?? 0),
        ];
      }),
    ]),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await browser?.close().catch(() => undefined);
  await server?.close().catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
}
process.exit(0);
