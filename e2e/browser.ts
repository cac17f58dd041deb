/**
 * Browser tests' tools: Debian's Chromium driven by playwright-core (never a downloaded browser),
 * logging in through the test identity provider like a person does, axe-core at WCAG 2.1 A/AA,
 * screenshots for reviewers, and a watch for script errors and CSP violations.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** The page's DOM, inside evaluate() callbacks (this module is type-checked for Node). */
declare const document: any;

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const screenshotDir = fileURLToPath(new URL('./screenshots/', import.meta.url));

/** Under CI a missing browser is a failure; elsewhere the browser tests are skipped loudly. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) throw new Error(`Chromium is required under CI at ${CHROMIUM} (apt-get install -y chromium)`);
  console.warn(`\n!!! Browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n`);
  return false;
}

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Problems a page showed: uncaught script errors and Content-Security-Policy violations. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content.Security.Policy/i.test(text)) problems.push(`csp: ${text}`);
  });
  return problems;
}

export async function newPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  return { page, problems: watch(page) };
}

/**
 * Logs in from the app's login page through the test identity provider, as a person would:
 * the "Log in" link, the provider's form (national id and level), and back to where they were.
 */
export async function login(page: Page, nationalId: string, level: 'substantial' | 'high' = 'substantial') {
  await page.getByRole('link', { name: /^(Log in|Logg inn|Log ind)$/ }).click();
  await identityProvider(page, nationalId, level);
}

/** Fills in the test identity provider's form and waits to be back in the app. */
export async function identityProvider(page: Page, nationalId: string, level: 'substantial' | 'high') {
  await page.waitForURL(/\/test-idp\//);
  await page.locator('#pid').fill(nationalId);
  await page.getByLabel(level === 'high' ? /High \(level 4\)/ : /Substantial \(level 3\)/).check();
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/test-idp') && !url.pathname.startsWith('/auth/'));
}

let axeSource: string | undefined;

/** axe-core on the whole page at WCAG 2.0/2.1 A and AA: no violations. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  axeSource ??= await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // evaluate() runs outside the page's CSP, which (rightly) refuses injected script tags.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, options: object) => Promise<any> } }).axe;
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return {
      passes: r.passes.length as number,
      violations: (r.violations as any[]).map((v) => ({
        id: v.id as string,
        impact: v.impact as string,
        help: v.help as string,
        nodes: (v.nodes as any[]).slice(0, 3).map((n) => n.target.join(' ')),
      })),
    };
  });
  expect(result.violations, `${label}: ${JSON.stringify(result.violations, null, 2)}`).toEqual([]);
  expect(result.passes).toBeGreaterThan(5);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${screenshotDir}${name}.png`, fullPage: false });
}

export const phone = { width: 390, height: 844 };
export const desktop = { width: 1440, height: 900 };
