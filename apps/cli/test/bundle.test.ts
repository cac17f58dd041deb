/**
 * The CLI runs from a bundle built from its sources (bin/bundle.js): built when there is none,
 * used while the sources are unchanged, built again when one changed, never seen half-written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/spawn-server.js';
import { cliEntry } from '../bin/bundle.js';

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function current(outDir: string): Promise<{ key: string; inputs: string[] }> {
  return JSON.parse(await readFile(join(outDir, 'current.json'), 'utf8'));
}

describe('the CLI bundle', () => {
  it('is built once, reused while the sources are unchanged, and rebuilt when one changes', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'pk-bundle-'));
    made.push(outDir);
    const first = await cliEntry(outDir);
    expect(first).not.toBeNull();
    expect(existsSync(first!)).toBe(true);
    const built = await current(outDir);
    expect(first).toBe(join(outDir, built.key, 'main.js'));
    // Every workspace's sources it was built from are inputs; npm packages are not bundled.
    expect(built.inputs).toContain('apps/server/src/app.ts');
    expect(built.inputs).toContain('packages/core/src/send-letter.ts');
    expect(built.inputs.some((f) => f.startsWith('node_modules/') && !f.startsWith('node_modules/esbuild/'))).toBe(
      false,
    );
    const { mtimeMs } = await stat(first!);
    expect(await cliEntry(outDir)).toBe(first);
    expect((await stat(first!)).mtimeMs).toBe(mtimeMs);

    // A source changed (its modification time is enough): a new build under a new key.
    const source = join(repoRoot, 'apps', 'cli', 'src', 'output.ts');
    const before = await stat(source);
    try {
      await utimes(source, before.atime, new Date(before.mtimeMs + 2000));
      const second = await cliEntry(outDir);
      expect(second).not.toBe(first);
      expect(dirname(second!)).not.toBe(dirname(first!));
      expect(existsSync(second!)).toBe(true);
    } finally {
      await utimes(source, before.atime, before.mtime);
    }
    // Put back (to the millisecond: the key may differ from the first one's), and still a build
    // that runs.
    const third = await cliEntry(outDir);
    expect(existsSync(third!)).toBe(true);
    expect((await readdir(outDir)).filter((name) => name.startsWith('.build-'))).toEqual([]);
  });

  it('is what the launcher runs', async () => {
    const launcher = join(repoRoot, 'apps', 'cli', 'bin', 'postkasse.js');
    const help = spawnSync(process.execPath, [launcher, 'send', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('send a letter');
    // The launcher left (or found) a current build of the default folder, and it runs by itself.
    const entry = await cliEntry();
    expect(entry).toBe(
      join(repoRoot, 'apps', 'cli', 'dist', (await current(join(repoRoot, 'apps', 'cli', 'dist'))).key, 'main.js'),
    );
    const direct = spawnSync(process.execPath, [entry!, 'send', '--help'], { cwd: repoRoot, encoding: 'utf8' });
    expect(direct.stdout).toBe(help.stdout);
  });
});
