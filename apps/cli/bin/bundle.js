/**
 * The CLI's compiled form: the TypeScript sources of the CLI, the server and the packages bundled
 * by esbuild into ES modules under `apps/cli/dist/<key>/` (npm packages stay imports from
 * node_modules; each command group is a chunk of its own, so the sender commands never load the
 * server). Built on the first run and again whenever a source it was built from has changed.
 *
 * Why: running the sources through tsx keeps a loader thread and the transpiled sources alive
 * for the life of the process, about 45 MB of a server's resident memory (192 MB idle with tsx,
 * 146 MB from the bundle), and every command starts faster. There is still no build step between
 * an edit and a run: the next command rebuilds (about half a second).
 *
 * `<key>` is a hash of every input's path, size and modification time; `current.json` names the
 * newest build and its inputs. A build is used only while every input is unchanged. A build is
 * written under a temporary name and renamed, so commands started together never see half of one;
 * builds other than the current one are removed a minute after they were replaced (a process
 * loads its chunks when it starts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const cliRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(cliRoot, '..', '..');
const defaultOutDir = join(cliRoot, 'dist');
const require = createRequire(import.meta.url);
// What a build depends on besides the sources esbuild reports: the workspaces' package files
// (they map @postkasse/* to sources), the TypeScript settings, this file and esbuild itself.
const alwaysInputs = ['tsconfig.json', 'apps/cli/bin/bundle.js'];

function stamp(files) {
  const hash = createHash('sha256');
  for (const file of files) {
    const s = statSync(join(repoRoot, file), { throwIfNoEntry: false });
    hash.update(`${file}\0${s ? `${s.size}:${s.mtimeMs}` : 'missing'}\n`);
  }
  return hash.digest('hex').slice(0, 32);
}

/** The entry module of the current build, when the sources are still those it was built from. */
function currentBuild(outDir) {
  const currentFile = join(outDir, 'current.json');
  let current;
  try {
    current = JSON.parse(readFileSync(currentFile, 'utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(current.inputs) || typeof current.key !== 'string') return null;
  const entry = join(outDir, current.key, 'main.js');
  return stamp(current.inputs) === current.key && existsSync(entry) ? entry : null;
}

function writeAtomically(file, contents) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, file);
}

async function build(outDir) {
  const esbuild = await import(require.resolve('esbuild'));
  const temporary = join(outDir, `.build-${process.pid}-${randomUUID()}`);
  const result = await esbuild
    .build({
      entryPoints: [join(cliRoot, 'src', 'main.ts')],
      outdir: temporary,
      absWorkingDir: repoRoot,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          // Only the workspace's own TypeScript is bundled; npm packages load from node_modules.
          name: 'npm-packages-external',
          setup(b) {
            b.onResolve({ filter: /^[^./]/ }, (args) =>
              args.path.startsWith('@postkasse/') ? undefined : { external: true },
            );
          },
        },
      ],
    })
    .catch((error) => {
      rmSync(temporary, { recursive: true, force: true });
      throw error;
    });
  const inputs = [
    ...Object.keys(result.metafile.inputs).map((file) => relative(repoRoot, resolve(repoRoot, file))),
    ...['apps', 'packages'].flatMap((dir) =>
      readdirSync(join(repoRoot, dir)).map((name) => `${dir}/${name}/package.json`),
    ),
    ...alwaysInputs,
    relative(repoRoot, require.resolve('esbuild/package.json')),
  ].sort();
  const key = stamp(inputs);
  const target = join(outDir, key);
  if (existsSync(target)) rmSync(temporary, { recursive: true, force: true });
  else renameSync(temporary, target);
  writeAtomically(join(outDir, 'current.json'), `${JSON.stringify({ key, inputs })}\n`);
  removeOldBuilds(outDir, key);
  return join(target, 'main.js');
}

function removeOldBuilds(outDir, key) {
  const aMinuteAgo = Date.now() - 60_000;
  for (const name of readdirSync(outDir)) {
    if (name === key || name === 'current.json') continue;
    const path = join(outDir, name);
    const s = statSync(path, { throwIfNoEntry: false });
    if (s && s.mtimeMs < aMinuteAgo) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * The entry module to run: the current build, or a fresh one. Null when none can be built here
 * (a read-only install, esbuild missing): the caller then runs the sources.
 */
export async function cliEntry(outDir = defaultOutDir) {
  const current = currentBuild(outDir);
  if (current) return current;
  try {
    mkdirSync(outDir, { recursive: true });
    return await build(outDir);
  } catch {
    return null;
  }
}
