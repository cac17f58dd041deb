/**
 * Builds the SDK as the package an integration developer installs from a registry: compiled
 * JavaScript (ES modules) with its type declarations in packages/sdk/dist, a package.json of its
 * own whose exports point there, this package's README and the OpenAPI document it was generated
 * from; then packs it with `npm pack`. Inside this repository the workspace keeps using the
 * TypeScript sources (packages/sdk/package.json), so nothing else needs a build first.
 *
 *   npm run sdk:pack                   writes packages/sdk/dist and packages/sdk/postkasse-sdk-<version>.tgz
 *   npm run sdk:pack -- --out DIR      the tarball into DIR instead
 *   npm publish packages/sdk/dist      publishes what was packed
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const sdkRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = join(sdkRoot, '..', '..');
const dist = join(sdkRoot, 'dist');

/** The entry points, as the workspace names them (`.`, `./client`, `./recipient`). */
const ENTRIES = { '.': 'index', './client': 'client', './recipient': 'recipient' } as const;

export async function packSdk(outDir: string): Promise<string> {
  const own = JSON.parse(await readFile(join(sdkRoot, 'package.json'), 'utf8'));
  const root = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
  await rm(dist, { recursive: true, force: true });
  execFileSync(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', join(sdkRoot, 'tsconfig.build.json')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  const manifest = {
    name: own.name,
    version: own.version,
    description:
      'Typed client for the Postkasse API: send letters, follow their events, verify receipts, read a mailbox',
    license: root.license,
    type: 'module',
    engines: { node: '>=20' },
    exports: Object.fromEntries(
      Object.entries(ENTRIES).map(([path, file]) => [path, { types: `./${file}.d.ts`, default: `./${file}.js` }]),
    ),
    types: './index.d.ts',
    files: ['*.js', '*.d.ts', 'openapi.json', 'README.md'],
    dependencies: own.dependencies,
    sideEffects: false,
  };
  await writeFile(join(dist, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await copyFile(join(sdkRoot, 'README.md'), join(dist, 'README.md'));
  await copyFile(join(sdkRoot, 'openapi.json'), join(dist, 'openapi.json'));
  await mkdir(outDir, { recursive: true });
  const packed = JSON.parse(
    execFileSync('npm', ['pack', dist, '--pack-destination', outDir, '--json', '--silent'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  ) as Array<{ filename: string }>;
  const filename = packed[0]?.filename;
  if (!filename) throw new Error('npm pack named no tarball');
  return join(outDir, filename);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const tarball = await packSdk(resolve(values.out ?? sdkRoot));
  process.stdout.write(`${tarball}\n`);
}
