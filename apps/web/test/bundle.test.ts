/**
 * The first view's JavaScript budget: what a browser must download before the inbox can show
 * (the entry script index.html loads, every chunk it preloads, and their static imports), gzipped,
 * stays at or below 200 KB. pdf.js is large and is loaded only when a letter is opened, so it must
 * not be part of the first view, but its worker must be in the build so letters can be drawn.
 *
 * Builds into a temporary directory so it does not race other tests over apps/web/dist.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebApp } from '../../../test/build-web.js';

const budgetBytes = 200 * 1024;

type ManifestChunk = {
  file: string;
  src?: string;
  name?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
  css?: string[];
};
type Manifest = Record<string, ManifestChunk>;

let outDir = '';

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'postkasse-web-bundle-'));
  // The production build, as users get it (vitest's NODE_ENV=test would bundle React's development build).
  await buildWebApp({ outDir, manifest: true });
}, 60_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

/** The script files index.html loads at once: module scripts and module preloads (paths in the output). */
function scriptsOf(html: string): string[] {
  const files: string[] = [];
  for (const tag of html.match(/<(script|link)\b[^>]*>/gi) ?? []) {
    const isModuleScript = /^<script\b/i.test(tag) && /\btype=["']?module["']?/i.test(tag);
    const isPreload = /^<link\b/i.test(tag) && /\brel=["']?modulepreload["']?/i.test(tag);
    const url = /\b(?:src|href)=["']?([^"'\s>]+)/i.exec(tag)?.[1];
    if ((isModuleScript || isPreload) && url && !/^[a-z]+:/i.test(url)) files.push(url.replace(/^\.?\//, ''));
  }
  return files;
}

/** The first view: the given files and, through the manifest, every chunk they import statically. */
function firstView(manifest: Manifest, roots: string[]): Set<string> {
  const byFile = new Map(Object.entries(manifest).map(([key, chunk]) => [chunk.file, key]));
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    const key = byFile.get(file);
    for (const imported of (key ? manifest[key]?.imports : undefined) ?? []) {
      const chunk = manifest[imported];
      if (chunk) visit(chunk.file);
    }
  };
  for (const file of roots) visit(file);
  return files;
}

describe('the web inbox bundle', () => {
  it('keeps the first view within 200 KB of gzipped JavaScript, without pdf.js', async () => {
    const html = await readFile(join(outDir, 'index.html'), 'utf8');
    const manifest = JSON.parse(await readFile(join(outDir, '.vite', 'manifest.json'), 'utf8')) as Manifest;
    const roots = scriptsOf(html);
    expect(roots.length, 'index.html loads no module script').toBeGreaterThan(0);
    // The script index.html loads is the build's entry: the manifest describes this build.
    const entries = Object.values(manifest)
      .filter((c) => c.isEntry)
      .map((c) => c.file);
    expect(
      roots.some((f) => entries.includes(f)),
      `${roots.join(', ')} is not among ${entries.join(', ')}`,
    ).toBe(true);

    const files = [...firstView(manifest, roots)];
    // pdf.js: a chunk named after it, or one holding its source.
    const pdfChunks: string[] = [];
    for (const chunk of Object.values(manifest)) {
      if (!/\.m?js$/.test(chunk.file)) continue;
      const source = await readFile(join(outDir, chunk.file), 'utf8');
      if (/pdf/i.test(chunk.file.split('/').pop() ?? '') || source.includes('pdfjs')) pdfChunks.push(chunk.file);
    }
    expect(pdfChunks.length, 'no pdf.js chunk in the build').toBeGreaterThan(0);
    expect(
      files.filter((f) => pdfChunks.includes(f)),
      'pdf.js is in the first view',
    ).toEqual([]);

    let total = 0;
    const sizes: string[] = [];
    for (const file of files) {
      const source = await readFile(join(outDir, file));
      const gzipped = gzipSync(source, { level: 9 }).length;
      total += gzipped;
      sizes.push(`${file}: ${(source.length / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped`);
    }
    // The production build: React's development build carries its warnings (and is much larger).
    const entrySource = await readFile(join(outDir, roots[0] ?? ''), 'utf8');
    expect(entrySource.includes('cannot be a child of'), 'React development build').toBe(false);
    console.log(
      `web inbox first-view JavaScript: ${(total / 1024).toFixed(1)} KB gzipped (budget ${budgetBytes / 1024} KB)\n  ${sizes.join('\n  ')}`,
    );
    expect(total).toBeLessThanOrEqual(budgetBytes);
  }, 60_000);

  it('ships the pdf.js worker so letters can be drawn', async () => {
    const assets = await readdir(join(outDir, 'assets'));
    const worker = assets.find((f) => /^pdf\.worker.*\.m?js$/.test(f));
    expect(worker, `no pdf.js worker among ${assets.join(', ')}`).toBeDefined();
    // …and the code that uses pdf.js points at that very file.
    const chunks = (await readdir(join(outDir, 'assets'))).filter((f) => /\.m?js$/.test(f) && f !== worker);
    const users = [];
    for (const f of chunks) {
      if ((await readFile(join(outDir, 'assets', f), 'utf8')).includes(worker ?? '\0')) users.push(f);
    }
    expect(users.length, `no chunk refers to ${worker}`).toBeGreaterThan(0);
  });
});
