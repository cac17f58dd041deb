/**
 * How the server serves the web inbox: the app's pages with a strict policy, hashed assets cached
 * for good, pdf.js's data files, no way out of the build directory, and a plain notice when the
 * app was never built. (What the app does is tested in a real browser in e2e/.)
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../test/harness.js';

const dist = fileURLToPath(new URL('../../web/dist/', import.meta.url));

describe('the web inbox as the server serves it', () => {
  let server: TestServer;
  let unbuilt: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    unbuilt = await startTestServer('sqlite', { POSTKASSE_WEB_DIR: '/nonexistent/postkasse-web' });
  });
  afterAll(async () => {
    await server?.close();
    await unbuilt?.close();
  });

  it("serves the app's page at its paths, uncached, with a policy that allows only this origin's scripts", async () => {
    for (const path of ['/', '/settings', `/inbox/${randomUUID()}`, `/inbox/${randomUUID()}/${randomUUID()}`]) {
      const res = await fetch(`${server.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("'unsafe-eval'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await res.text()).toContain('<div id="root">');
    }
    // Not an id, or no page of the app: 404, as a problem for a client, as the app for a browser
    // (which then says "not found" itself, in the reader's language).
    const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
    for (const path of ['/inbox/..%2f..%2fetc', `/inbox/${randomUUID()}/garbage`, '/foo/bar', '/settings/x']) {
      const api = await fetch(`${server.url}${path}`);
      expect(api.status, path).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const browser = await fetch(`${server.url}${path}`, { headers: html });
      expect(browser.status, path).toBe(404);
      expect(browser.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(browser.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await browser.text()).toContain('<div id="root">');
    }
    // The API's own unknown paths and methods stay problems, for browsers too.
    const unknown = await fetch(`${server.url}/api/v1/nothing-here`, { headers: html });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const method = await fetch(`${server.url}/api/v1/messages`, { headers: html });
    expect(method.status).toBe(405);
  });

  it('serves hashed assets for a year and pdf.js data files, each with a policy of its own', async () => {
    const assets = await readdir(`${dist}assets`);
    const script = assets.find((f) => /^index-.*\.js$/.test(f));
    const res = await fetch(`${server.url}/assets/${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toContain('immutable');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const wasm = await fetch(`${server.url}/pdfjs/wasm/openjpeg.wasm`);
    expect(wasm.status).toBe(200);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
  });

  it('never serves a file outside the build, and answers unknown assets with 404', async () => {
    for (const path of [
      '/assets/..%2f..%2f..%2fpackage.json',
      '/assets/%2e%2e/%2e%2e/package.json',
      '/pdfjs/..%2f..%2findex.html',
      '/assets/nothing-here.js',
    ]) {
      const res = await fetch(`${server.url}${path}`);
      expect([403, 404], path).toContain(res.status);
      expect(await res.text(), path).not.toContain('"workspaces"');
    }
  });

  it('says plainly when the app was never built', async () => {
    const res = await fetch(`${unbuilt.url}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});
