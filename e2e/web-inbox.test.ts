/**
 * The citizen's web inbox in a real browser (Debian's Chromium through playwright-core), against a
 * real server on SQLite serving the built app: logging in through the test identity provider,
 * live arrival, reading (pdf.js), download, move, trash and restore, step-up, actions, folders,
 * search, read access for a delegate, settings, languages, keyboard use; axe-core at WCAG 2.1 AA
 * on every kind of page; screenshots at phone and desktop widths under e2e/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PDFDocument from 'pdfkit';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { samplePdf } from '../apps/cli/src/sample-pdf.js';
import { api, letterJson, people, sendLetterHttp, startTestServer, type TestServer } from '../test/harness.js';
import {
  browserAvailable,
  desktop,
  expectAccessible,
  identityProvider,
  launch,
  login,
  newPage,
  phone,
  screenshot,
} from './browser.js';

/** The page's DOM, inside evaluate() callbacks (this module is type-checked for Node). */
declare const document: any;

const run = browserAvailable();
const DAY = 24 * 3600_000;

describe.skipIf(!run)('the web inbox in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let kari: BrowserContext;
  let page: Page;
  let problems: string[];
  let apiKey: string;
  let kariBox: string;
  let pdf: Buffer;
  /** The letter ids the sender chose, by subject. */
  const sent = new Map<string, string>();

  async function send(subject: string, extra: Record<string, unknown> = {}) {
    const message = letterJson({
      subject,
      nonSensitiveTitle: 'Brev fra kommunen',
      documents: [{ part: 'main', role: 'main', filename: 'vedtak.pdf', mediaType: 'application/pdf', title: subject }],
      ...extra,
    });
    const res = await sendLetterHttp(server, apiKey, message, [
      { name: 'main', content: pdf, type: 'application/pdf' },
    ]);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    sent.set(subject, message.id);
    return res.body;
  }

  /** The reader's view of a letter through the API (the truth the page must show). */
  async function apiLetter(subject: string) {
    const token = await server.token(people.kari, 'high');
    const list = await api(
      server,
      token,
      'GET',
      `/api/v1/mailboxes/${kariBox}/messages?q=${encodeURIComponent(subject)}`,
    );
    const trash = await api(server, token, 'GET', `/api/v1/mailboxes/${kariBox}/messages?folder=trash`);
    const found = [...list.body.items, ...trash.body.items].find((l: { subject: string }) => l.subject === subject);
    if (!found) throw new Error(`no letter ${subject}`);
    return (await api(server, token, 'GET', `/api/v1/mailboxes/${kariBox}/messages/${found.id}`)).body;
  }

  const row = (p: Page, subject: string) => p.locator('.letters .letter', { hasText: subject });

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    kariBox = (await server.person(people.kari, 'Kari Nordmann')).mailboxId;
    await server.person(people.ola, 'Ola Nordmann');
    ({ apiKey } = await server.sender('public', '974000008'));
    pdf = await samplePdf({ title: 'Vedtak om bostøtte', reference: '2026/4711' });
    browser = await launch();
    kari = await browser.newContext({ viewport: desktop, locale: 'en-GB', acceptDownloads: true });
    ({ page, problems } = await newPage(kari));
  });

  // A failing step leaves a picture of the page behind (in the temp dir, not the repository).
  beforeEach(({ task }) => {
    onTestFailed(async () => {
      const file = join(tmpdir(), `postkasse-e2e-failed-${task.name.replace(/\W+/g, '-').slice(0, 60)}.png`);
      await page?.screenshot({ path: file }).catch(() => undefined);
      console.error(`screenshot of the failed step: ${file} (at ${page?.url()})`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the login page is accessible and leads by keyboard through the test provider to an empty inbox', async () => {
    await page.goto(`${server.url}/`);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Log in to your digital mailbox');
    await expectAccessible(page, 'login page');

    // Keyboard only: Tab to the login link, Enter.
    let focused = '';
    for (let i = 0; i < 10 && focused !== 'Log in'; i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');
    }
    expect(focused).toBe('Log in');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/test-idp\//);
    await expectAccessible(page, 'test identity provider');
    await identityProvider(page, people.kari, 'substantial');

    await page.waitForURL(`${server.url}/inbox/${kariBox}`);
    await page.getByText('There are no letters here.').waitFor();
  });

  it('a letter sent through the sender API while the page is open appears without reload, unread', async () => {
    const before = Date.now();
    await send('Vedtak om bostøtte', { replyBy: new Date(Date.now() + 14 * DAY).toISOString() });
    await row(page, 'Vedtak om bostøtte').waitFor({ timeout: 10_000 });
    console.log(`live arrival shown ${Date.now() - before} ms after the sender's request started`);

    await expect(row(page, 'Vedtak om bostøtte').getAttribute('class')).resolves.toContain('unread');
    await expect(row(page, 'Vedtak om bostøtte').textContent()).resolves.toContain('Unread');
    await expect(row(page, 'Vedtak om bostøtte').textContent()).resolves.toMatch(/Reply by \d{1,2} \w{3} \d{4}/);
    await page.getByRole('navigation', { name: 'Folders' }).getByText('1 unread').waitFor();
    await page.getByRole('status').filter({ hasText: 'A new letter has arrived.' }).waitFor();
    await expectAccessible(page, 'inbox');
    await screenshot(page, 'inbox-desktop');
  });

  it('opens the letter: pdf.js draws it, it is marked read and opened, and downloads byte-identical', async () => {
    await row(page, 'Vedtak om bostøtte').getByRole('link').click();
    await page.getByRole('heading', { level: 1, name: 'Vedtak om bostøtte' }).waitFor();
    await page.locator('.pdf-pages[data-rendered]').waitFor({ timeout: 15_000 });
    // Drawn, not blank: the canvas has dark pixels, and the text layer carries the letter's words.
    const ink = await page.evaluate(() => {
      const canvas = document.querySelector('.pdf-page canvas') as any;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128) dark++;
      return dark;
    });
    expect(ink).toBeGreaterThan(1000);
    await expect(page.locator('.textLayer').first().textContent()).resolves.toContain('Vi viser til din henvendelse');
    await expect(page.getByRole('img', { name: /^Page 1 of \d+$/ }).count()).resolves.toBe(1);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('group', { name: 'Letter actions' }).getByRole('link', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('vedtak.pdf');
    expect(Buffer.compare(await readFile((await download.path()) as string), pdf)).toBe(0);

    const letter = await apiLetter('Vedtak om bostøtte');
    expect(letter.read).toBe(true);
    expect(letter.openedAt).toEqual(expect.any(String));
    await expectAccessible(page, 'letter');
    await screenshot(page, 'letter-desktop');
  });

  it('moves the letter to the archive, deletes it and restores it from the trash', async () => {
    await page.getByLabel('Move to').selectOption({ label: 'Archive' });
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.getByText('The letter was moved to Archive.').waitFor();
    const archived = await apiLetter('Vedtak om bostøtte');
    const token = await server.token(people.kari);
    const folders = (await api(server, token, 'GET', `/api/v1/mailboxes/${kariBox}/folders`)).body.items as Array<{
      id: string;
      kind: string;
    }>;
    expect(archived.folderId).toBe(folders.find((f) => f.kind === 'archive')?.id);

    await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'Archive' }).click();
    await page.getByRole('heading', { level: 1, name: 'Archive' }).waitFor();
    await row(page, 'Vedtak om bostøtte').getByRole('link').click();
    await page.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('The letter was moved to the trash.').waitFor();
    expect((await apiLetter('Vedtak om bostøtte')).trashedAt).toEqual(expect.any(String));

    await page.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'Trash' }).click();
    await row(page, 'Vedtak om bostøtte').getByRole('link').click();
    await page
      .getByText(/^This letter is in the trash\. It will be deleted for good on \d{1,2} \w{3} \d{4}; until then/)
      .waitFor();
    await page.getByRole('button', { name: 'Restore' }).click();
    await page.getByText('The letter was restored.').waitFor();
    // Focus stays in the letter's toolbar, not back at the start of the page.
    await expect(page.evaluate(() => Boolean(document.activeElement?.closest('fieldset.toolbar')))).resolves.toBe(true);
    const restored = await apiLetter('Vedtak om bostøtte');
    expect(restored.trashedAt).toBeNull();
    expect(restored.folderId).toBe(archived.folderId);
  });

  it('a change made in another tab shows in this one within a second, without reload', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}?folder=archive`);
    await expect(row(page, 'Vedtak om bostøtte').getAttribute('class')).resolves.not.toContain('unread');
    const { page: other } = await newPage(kari);
    await other.goto(`${server.url}/inbox/${kariBox}/${(await apiLetter('Vedtak om bostøtte')).id}`);
    await other.getByRole('button', { name: 'Mark as unread' }).click();
    const before = Date.now();
    await page.locator('.letters .letter.unread', { hasText: 'Vedtak om bostøtte' }).waitFor({ timeout: 10_000 });
    console.log(`another tab's change shown after ${Date.now() - before} ms`);
    await other.close();
  });

  it('steps up from substantial to high for a letter that needs it, and comes back to it', async () => {
    await send('Skattemelding 2026', { authLevel: 'high', nonSensitiveTitle: 'Brev fra Skatteetaten' });
    await page.goto(`${server.url}/inbox/${kariBox}`);
    const locked = row(page, 'Brev fra Skatteetaten');
    await locked.waitFor();
    await expect(locked.getByRole('img', { name: 'Needs a higher security level' }).count()).resolves.toBe(1);
    await expect(locked.textContent()).resolves.not.toContain('Skattemelding');
    await locked.getByRole('link').click();
    await page.getByRole('heading', { name: 'Log in at a higher security level to read this letter' }).waitFor();
    await expect(page.locator('.pdf-pages').count()).resolves.toBe(0);
    await page.getByRole('link', { name: 'Log in at a higher level' }).click();
    await identityProvider(page, people.kari, 'high');
    await page.getByRole('heading', { level: 1, name: 'Skattemelding 2026' }).waitFor();
    await page.locator('.pdf-pages[data-rendered]').waitFor({ timeout: 15_000 });
  });

  it('shows actions as buttons: pay, an appointment as an .ics file, a self-service link', async () => {
    const start = new Date(Date.now() + 20 * DAY);
    start.setUTCHours(8, 0, 0, 0);
    await send('Tilbud om barnehageplass', {
      actions: [
        {
          type: 'pay',
          label: 'Betal foreldrebetaling',
          amount: '1250.00',
          currency: 'NOK',
          dueDate: new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10),
          creditorAccount: '12345678903',
          paymentReference: '1234567890128',
          url: 'https://betal.example.no/faktura/1',
        },
        {
          type: 'appointment',
          label: 'Oppstartsamtale',
          start: start.toISOString(),
          end: new Date(start.getTime() + 3600_000).toISOString(),
          place: 'Solsikken barnehage',
        },
        { type: 'selfService', label: 'Svar på tilbudet', url: 'https://minside.example.no/svar' },
      ],
    });
    await page.goto(`${server.url}/inbox/${kariBox}`);
    await row(page, 'Tilbud om barnehageplass').getByRole('link').click();
    const actions = page.getByRole('region', { name: 'What you can do' });
    const pay = actions.getByRole('link', { name: /Pay NOK\s?1,250\.00/ });
    await expect(pay.getAttribute('href')).resolves.toBe('https://betal.example.no/faktura/1');
    await expect(pay.getAttribute('rel')).resolves.toContain('noopener');
    const selfService = actions.getByRole('link', { name: /Svar på tilbudet/ });
    await expect(selfService.getAttribute('href')).resolves.toBe('https://minside.example.no/svar');
    const [ics] = await Promise.all([
      page.waitForEvent('download'),
      actions.getByRole('link', { name: 'Add to calendar' }).click(),
    ]);
    expect(ics.suggestedFilename()).toMatch(/\.ics$/);
    const calendar = await readFile((await ics.path()) as string, 'utf8');
    expect(calendar).toContain('BEGIN:VCALENDAR');
    expect(calendar).toContain('Oppstartsamtale');
    await expectAccessible(page, 'letter with actions');
  });

  it('creates, renames and deletes a folder', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    const nav = page.getByRole('navigation', { name: 'Folders' });
    await nav.getByRole('button', { name: '+ New folder' }).click();
    await nav.getByLabel('Folder name').fill('Skatt');
    await nav.getByRole('button', { name: 'Create' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('+ New folder');
    await nav.getByRole('link', { name: 'Skatt' }).click();
    await page.getByRole('heading', { level: 1, name: 'Skatt' }).waitFor();
    await page.getByRole('button', { name: 'Rename folder' }).click();
    await page.getByRole('main').getByLabel('Folder name').fill('Skatt og avgift');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { level: 1, name: 'Skatt og avgift' }).waitFor();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete folder' }).click();
    await page.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    // The folder list is read again after the delete; it may land just after the heading.
    await expect.poll(() => nav.getByRole('link', { name: /Skatt/ }).count()).toBe(0);
    // A refused name: the error shows and the focus stays in the form; cancelled, the form starts
    // empty next time, without the old error.
    await nav.getByRole('button', { name: '+ New folder' }).click();
    await nav.getByLabel('Folder name').fill('Inbox');
    await nav.getByRole('button', { name: 'Create' }).click();
    await nav.getByText('A folder with that name already exists.').waitFor();
    await expect(page.evaluate(() => document.activeElement?.closest('.folder-form') !== null)).resolves.toBe(true);
    await nav.getByRole('button', { name: 'Cancel' }).click();
    await nav.getByRole('button', { name: '+ New folder' }).click();
    await expect(nav.getByLabel('Folder name').inputValue()).resolves.toBe('');
    await expect(nav.getByText('A folder with that name already exists.').count()).resolves.toBe(0);
    await nav.getByRole('button', { name: 'Cancel' }).click();
  });

  it('searches by words, sender and date', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    await page.getByRole('searchbox', { name: 'Search in subject and title' }).fill('BOSTØTTE');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Search results' }).waitFor();
    await row(page, 'Vedtak om bostøtte').waitFor(); // found in the archive: a search spans the folders
    await expect(page.locator('.letters .letter').count()).resolves.toBe(1);

    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.getByRole('button', { name: 'More search options' }).click();
    await page.getByLabel('Sender').fill('974000008');
    const tomorrow = new Date(Date.now() + DAY).toISOString().slice(0, 10);
    await page.getByLabel('From date').fill(tomorrow);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No letters match your search.').waitFor();
    await page.getByLabel('From date').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await row(page, 'Tilbud om barnehageplass').waitFor();
  });

  it('settings: read access given to Ola shows him the mailbox, revoked it is gone at once', async () => {
    await page.goto(`${server.url}/settings`);
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByText('Nobody else has access to your mailbox.').waitFor();
    await expectAccessible(page, 'settings');
    await page.getByLabel('National identity number of the person').fill(people.ola);
    await page.getByRole('button', { name: 'Give access' }).click();
    await page.getByText('Access given.').waitFor();
    await page.getByText(`${people.ola}: Read letters`).waitFor();

    // Ola logs in on his own device and switches to Kari's mailbox.
    const olaContext = await browser.newContext({ viewport: desktop, locale: 'en-GB' });
    const { page: ola, problems: olaProblems } = await newPage(olaContext);
    await ola.goto(`${server.url}/`);
    await login(ola, people.ola, 'high');
    await ola.getByRole('heading', { level: 1, name: 'Inbox' }).waitFor();
    await ola.getByLabel('Mailbox').selectOption({ label: 'Kari Nordmann (Read access)' });
    await row(ola, 'Tilbud om barnehageplass').waitFor();
    await row(ola, 'Tilbud om barnehageplass').getByRole('link').click();
    await ola.getByRole('heading', { level: 1, name: 'Tilbud om barnehageplass' }).waitFor();
    // A reader may read, not delete or move.
    await expect(ola.getByRole('button', { name: 'Delete' }).count()).resolves.toBe(0);
    await expect(ola.getByLabel('Move to').count()).resolves.toBe(0);

    await page.getByRole('button', { name: `Revoke ${people.ola}` }).click();
    await page.getByText('Access revoked.').waitFor();
    await page.getByText('Nobody else has access to your mailbox.').waitFor();
    const before = Date.now();
    await ola.getByText('Your access to that mailbox has ended.').waitFor({ timeout: 10_000 });
    console.log(`revocation reached the delegate's open page after ${Date.now() - before} ms`);
    await ola.waitForURL((url) => !url.pathname.includes(kariBox));
    await expect(ola.getByLabel('Mailbox').count()).resolves.toBe(0); // only his own is left
    expect(olaProblems).toEqual([]);
    await olaContext.close();
  });

  it('saves the notification e-mail and mobile to the register', async () => {
    await page.goto(`${server.url}/settings`);
    await page.getByLabel('E-mail address').fill('kari.nordmann@example.org');
    await page.getByLabel('Mobile number').fill('+4791234567');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // Each step names itself when it fails (a run in CI once timed out here without saying where).
    await page.getByText('Saved.').waitFor({ timeout: 10_000 });
    // What the register holds, asked until it says so: a toast of the save before may still show.
    const contact = async () =>
      (await api(server, await server.token(people.kari), 'GET', '/api/v1/me/register')).body.contact;
    await expect
      .poll(contact, { timeout: 10_000 })
      .toMatchObject({ email: 'kari.nordmann@example.org', mobile: '+4791234567' });
    // Emptying a field clears it (the page sends null for it).
    await page.getByLabel('Mobile number').fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor({ timeout: 10_000 });
    await expect.poll(contact, { timeout: 10_000 }).toMatchObject({ email: 'kari.nordmann@example.org', mobile: null });
    // A number that is not one is refused next to its field, which keeps what was typed.
    await page.getByLabel('Mobile number').fill('123');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('A mobile number has 8 to 15 digits').waitFor();
    await expect(page.getByLabel('Mobile number').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Mobile number').inputValue()).resolves.toBe('123');
    await expect(page.getByLabel('E-mail address').getAttribute('aria-invalid')).resolves.toBeNull();
    // Giving access to oneself says so, instead of "something went wrong".
    await page.getByLabel('National identity number of the person').fill(people.kari);
    await page.getByRole('button', { name: 'Give access' }).click();
    await page.getByText('You cannot give access to yourself.').waitFor();
    await page.getByLabel('National identity number of the person').fill('');
    await page.getByLabel('Mobile number').fill('');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
  });

  it('switches language: Norwegian and Danish texts, dates in their formats, kept across pages', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    await page.getByRole('combobox', { name: 'Language' }).selectOption('nb');
    await page.getByRole('heading', { level: 1, name: 'Innboks' }).waitFor();
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('nb');
    const nbDate = await row(page, 'Tilbud om barnehageplass').locator('time').textContent();
    expect(nbDate).toMatch(/^\d{1,2}\. \p{L}+\.? \d{4}$/u);
    await page.goto(`${server.url}/settings`);
    await page.getByRole('heading', { level: 1, name: 'Innstillinger' }).waitFor();
    await page.getByRole('combobox', { name: 'Språk' }).selectOption('da');
    await page.getByRole('heading', { level: 1, name: 'Indstillinger' }).waitFor();
    await page.getByRole('link', { name: 'Indstillinger' }).waitFor();
    // The confirmation speaks the language just chosen.
    await page.locator('.toast', { hasText: 'Gemt.' }).waitFor();
    await page.getByRole('combobox', { name: 'Sprog' }).selectOption('en');
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.locator('.toast', { hasText: 'Saved.' }).waitFor();
  });

  it('offline, a page says there is no connection (not a spinner for ever), and loads when tried again', async () => {
    const { page: tab } = await newPage(kari);
    await tab.goto(`${server.url}/inbox/${kariBox}`);
    await row(tab, 'Tilbud om barnehageplass').waitFor();
    await kari.setOffline(true);
    try {
      await tab.getByRole('navigation', { name: 'Folders' }).getByRole('link', { name: 'Archive' }).click();
      const alert = tab.getByRole('alert');
      await alert
        .getByText('No connection to Postkasse. Check your network and try again.')
        .waitFor({ timeout: 15_000 });
    } finally {
      await kari.setOffline(false);
    }
    await tab.getByRole('alert').getByRole('button', { name: 'Try again' }).click();
    await tab.getByRole('heading', { level: 1, name: 'Archive' }).waitFor();
    await tab.getByText('No connection to Postkasse. Check your network and try again.').waitFor({ state: 'detached' });
    await tab.close();
  });

  it('works by keyboard: skip link, the list, opening a letter', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    await row(page, 'Tilbud om barnehageplass').waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Skip to content');
    await page.keyboard.press('Enter');
    let focused = '';
    for (let i = 0; i < 40 && !focused.includes('Tilbud om barnehageplass'); i++) {
      await page.keyboard.press('Tab');
      focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    }
    expect(focused).toContain('Tilbud om barnehageplass');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Tilbud om barnehageplass' }).waitFor();
    // Focus moved to the new page's heading, and every control is reachable by Tab.
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('H1');
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => document.activeElement?.textContent?.trim() ?? ''));
    }
    for (const name of ['Mark as unread', 'Move', 'Delete', 'Download', 'Print', 'Add to calendar']) {
      expect(
        [...reached].some((text) => text.startsWith(name)),
        name,
      ).toBe(true);
    }
  });

  it('at phone width: accessible, and screenshots of the inbox and a letter', async () => {
    const { page: mobile, problems: mobileProblems } = await newPage(kari);
    await mobile.setViewportSize(phone);
    await mobile.goto(`${server.url}/inbox/${kariBox}`);
    await row(mobile, 'Tilbud om barnehageplass').waitFor();
    await expectAccessible(mobile, 'inbox at phone width');
    // A letter with every badge keeps its sender and unread dot in view (the badges have a row of their own).
    await send('Varsel om tvangsmulkt', {
      replyBy: new Date(Date.now() + 7 * DAY).toISOString(),
      legalNotification: true,
      mandatory: true,
    });
    const badged = row(mobile, 'Varsel om tvangsmulkt');
    await badged.waitFor();
    for (const width of [phone.width, 320]) {
      await mobile.setViewportSize({ width, height: phone.height });
      const senderWidth = await badged.locator('.letter-sender').evaluate((e: any) => e.getBoundingClientRect().width);
      expect(senderWidth, `sender at ${width} px`).toBeGreaterThan(80);
      await expect(badged.locator('.unread-dot').isVisible()).resolves.toBe(true);
      await expect(badged.locator('.badge-legal').isVisible()).resolves.toBe(true);
      await expect(mobile.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(width);
    }
    await mobile.setViewportSize(phone);
    // Nothing wider than the screen.
    await expect(mobile.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(phone.width);
    await screenshot(mobile, 'inbox-phone');
    await row(mobile, 'Tilbud om barnehageplass').getByRole('link').click();
    await mobile.locator('.pdf-pages[data-rendered]').waitFor({ timeout: 15_000 });
    await expect(mobile.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(phone.width);
    await expectAccessible(mobile, 'letter at phone width');
    await screenshot(mobile, 'letter-phone');
    expect(mobileProblems).toEqual([]);
    await mobile.close();
  });

  it('a notification link opens the login first, then the letter', async () => {
    const letter = await apiLetter('Vedtak om bostøtte');
    const fresh = await browser.newContext({ viewport: phone, locale: 'nb-NO' });
    const { page: visitor } = await newPage(fresh);
    await visitor.goto(`${server.url}/inbox/${kariBox}/${letter.id}`);
    await visitor.getByRole('heading', { level: 1, name: 'Logg inn i din digitale postkasse' }).waitFor();
    await login(visitor, people.kari);
    expect(new URL(visitor.url()).pathname).toBe(`/inbox/${kariBox}/${letter.id}`);
    await visitor.getByRole('heading', { level: 1, name: 'Vedtak om bostøtte' }).waitFor();
    await fresh.close();
  });

  it('prints the letter, and says in plain words when the server cannot be reached', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    await row(page, 'Tilbud om barnehageplass').getByRole('link').click();
    await page.locator('.pdf-pages[data-rendered]').waitFor({ timeout: 15_000 });
    await page.evaluate(() => {
      const w = globalThis as unknown as { print: () => void; printed: number };
      w.printed = 0;
      w.print = () => {
        w.printed++;
      };
    });
    await page.getByRole('button', { name: 'Print' }).click();
    await expect(page.evaluate(() => (globalThis as unknown as { printed: number }).printed)).resolves.toBe(1);
    // On paper only the document: nothing else shows, and nothing else takes room (no blank pages).
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ({
      height: document.documentElement.scrollHeight,
      documentHeight: document.querySelector('.pdf-pages').getBoundingClientRect().height,
      others: [...document.querySelectorAll('.banner, .toolbar, .attachments, .letter-header, h1')].filter(
        (e: any) => e.getClientRects().length > 0,
      ).length,
    }));
    await page.emulateMedia({ media: 'screen' });
    expect(printed.others).toBe(0);
    expect(printed.height).toBeLessThanOrEqual(Math.ceil(printed.documentHeight) + 2);

    // The network fails: a clear message and a way to try again, never the server's or browser's words.
    await page.route('**/api/v1/mailboxes/*/messages?**', (route) => route.abort('connectionrefused'));
    await page.goto(`${server.url}/inbox/${kariBox}?folder=archive`);
    const alert = page.getByRole('alert');
    await alert.getByText('No connection to Postkasse. Check your network and try again.').waitFor({ timeout: 15_000 });
    await expect(alert.textContent()).resolves.not.toMatch(/fetch|ERR_|TypeError|500/i);
    await page.unroute('**/api/v1/mailboxes/*/messages?**');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await row(page, 'Vedtak om bostøtte').waitFor();
  });

  it('a PDF longer than the page draws (101 pages) says so, also on paper, and prints whole from the browser viewer', async () => {
    const doc = new PDFDocument({ autoFirstPage: false });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise((resolve) => doc.on('end', resolve));
    for (let n = 1; n <= 101; n++) doc.addPage({ size: 'A4' }).fontSize(14).text(`Side ${n} av 101`);
    doc.end();
    await done;
    const message = letterJson({
      subject: 'Lang rapport',
      documents: [{ part: 'main', role: 'main', filename: 'rapport.pdf', mediaType: 'application/pdf' }],
    });
    const res = await sendLetterHttp(server, apiKey, message, [
      { name: 'main', content: Buffer.concat(chunks), type: 'application/pdf' },
    ]);
    expect(res.status).toBe(201);
    const { page: tab } = await newPage(kari);
    await tab.goto(`${server.url}/inbox/${kariBox}`);
    await row(tab, 'Lang rapport').getByRole('link').click();
    await tab.locator('.pdf-pages[data-rendered="100"]').waitFor({ timeout: 60_000 });
    const notice = tab.getByText('Showing the first 100 of 101 pages. Download the document to read the rest.');
    await notice.waitFor();
    await tab.evaluate(() => {
      const w = globalThis as unknown as { print: () => void; printed: number };
      w.printed = 0;
      w.print = () => {
        w.printed++;
      };
    });
    const [viewer] = await Promise.all([tab.waitForEvent('popup'), tab.getByRole('button', { name: 'Print' }).click()]);
    expect(new URL(viewer.url()).pathname).toMatch(/\/documents\/[0-9a-f-]{36}\/content$/);
    await expect(tab.evaluate(() => (globalThis as unknown as { printed: number }).printed)).resolves.toBe(0);
    await viewer.close();
    // Printed from this page all the same (the browser's own menu), the paper says what is missing.
    await tab.emulateMedia({ media: 'print' });
    await expect(notice.isVisible()).resolves.toBe(true);
    await tab.close();
  });

  it('a part of the app that cannot be loaded (offline) says so and loads when tried again, not a blank page', async () => {
    const { page: tab } = await newPage(kari);
    await tab.goto(`${server.url}/inbox/${kariBox}`);
    await row(tab, 'Tilbud om barnehageplass').waitFor();
    // The letter page's code comes only when a letter is first opened; the network is gone by then.
    await tab.route('**/assets/LetterPage-*.js', (route) => route.abort('internetdisconnected'));
    await row(tab, 'Tilbud om barnehageplass').getByRole('link').click();
    const alert = tab.getByRole('alert');
    await alert.getByText('No connection to Postkasse. Check your network and try again.').waitFor({ timeout: 15_000 });
    // The frame of the app is still there: the way back to the inbox, settings, logging out.
    await tab.getByRole('link', { name: 'Settings' }).waitFor();
    await tab.unroute('**/assets/LetterPage-*.js');
    await alert.getByRole('button', { name: 'Try again' }).click();
    await tab.getByRole('heading', { level: 1, name: 'Tilbud om barnehageplass' }).waitFor();
    await tab.close();
  });

  it('logging out ends the session: the login page, also for the pages that were open', async () => {
    await page.goto(`${server.url}/inbox/${kariBox}`);
    const { page: other } = await newPage(kari);
    await other.goto(`${server.url}/settings`);
    await other.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await page.getByRole('button', { name: /^Log out/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Log in to your digital mailbox' }).waitFor();
    // The other tab finds out at its next request to the server.
    await other.getByRole('link', { name: 'Settings' }).click();
    await other.getByLabel('E-mail address').fill('x@example.org');
    await other.getByRole('button', { name: 'Save', exact: true }).click();
    await other.getByRole('heading', { level: 1, name: 'Log in to your digital mailbox' }).waitFor();
    await other.close();
  });

  it("another person's letter link sends the visitor to their own mailbox with a notice, and no page broke along the way", async () => {
    const { page: ola } = await newPage(await browser.newContext({ viewport: desktop, locale: 'en-GB' }));
    await ola.goto(`${server.url}/inbox/${kariBox}/${randomUUID()}`);
    await login(ola, people.ola);
    // Ola has no access to Kari's mailbox: he is sent to his own, told why.
    await ola.getByText('Your access to that mailbox has ended.').waitFor();
    await ola.waitForURL((url) => !url.pathname.includes(kariBox));
    // A letter that is not there (in one's own mailbox) gets a page with a heading that says so.
    const olaBox = new URL(ola.url()).pathname.split('/')[2];
    await ola.goto(`${server.url}/inbox/${olaBox}/${randomUUID()}`);
    await ola.getByRole('heading', { level: 1, name: 'Letter not available' }).waitFor();
    await ola
      .getByRole('alert')
      .getByText(/^We could not find this\./)
      .waitFor();
    await expectAccessible(ola, 'a letter that is not there');
    // An address that is no page of the app gets the app's own "not found", not an error document.
    await ola.goto(`${server.url}/inbox/${olaBox}/garbage`);
    await ola.getByRole('heading', { level: 1, name: 'Not found' }).waitFor();
    expect(problems).toEqual([]);
  });
});
