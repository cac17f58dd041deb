/**
 * The SDK as an integration developer gets it: `npm run sdk:pack`'s tarball, installed into an
 * empty project outside this repository, used from plain JavaScript (no TypeScript loader) against
 * a real server, and type-checked by a TypeScript consumer that gets a wrong call refused.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, startTestServer, type TestServer, tinyPdf } from '../../../test/harness.js';
import { repoRoot } from '../../../test/spawn-server.js';
import { packSdk } from '../scripts/pack.js';

const run = promisify(execFile);

/** Links a package and what it depends on from this repository's node_modules (offline "npm install"). */
async function linkDependencies(project: string, names: string[], seen = new Set<string>()): Promise<void> {
  for (const name of names) {
    if (seen.has(name)) continue;
    seen.add(name);
    const from = join(repoRoot, 'node_modules', name);
    const to = join(project, 'node_modules', name);
    await mkdir(join(to, '..'), { recursive: true });
    await symlink(from, to, 'dir');
    const manifest = JSON.parse(await readFile(join(from, 'package.json'), 'utf8'));
    await linkDependencies(project, Object.keys(manifest.dependencies ?? {}), seen);
  }
}

describe('the packed SDK in a project of its own', () => {
  let server: TestServer;
  let apiKey: string;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    server = await startTestServer('sqlite');
    ({ apiKey } = await server.sender('public'));
    await server.person(people.kari);
    project = await mkdtemp(join(tmpdir(), 'postkasse-sdk-consumer-'));
    tarball = await packSdk(project);
    await mkdir(join(project, 'node_modules', '@postkasse'), { recursive: true });
    await run('tar', ['xzf', tarball, '-C', join(project, 'node_modules', '@postkasse')]);
    await rename(
      join(project, 'node_modules', '@postkasse', 'package'),
      join(project, 'node_modules', '@postkasse', 'sdk'),
    );
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules', '@postkasse', 'sdk', 'package.json'), 'utf8'),
    );
    await linkDependencies(project, Object.keys(manifest.dependencies));
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(join(project, 'letter.pdf'), tinyPdf);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (project) await rm(project, { recursive: true, force: true });
  });

  it('holds compiled JavaScript, type declarations, the README and the API description, and no sources', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'package/index.js',
        'package/index.d.ts',
        'package/client.js',
        'package/recipient.js',
        'package/recipient.d.ts',
        'package/README.md',
        'package/openapi.json',
        'package/package.json',
      ]),
    );
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /test|scripts/.test(f))).toEqual([]);
    const manifest = JSON.parse(
      await readFile(join(project, 'node_modules', '@postkasse', 'sdk', 'package.json'), 'utf8'),
    );
    expect(manifest.private).toBeUndefined();
    expect(manifest.exports['.']).toEqual({ types: './index.d.ts', default: './index.js' });
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['jose', 'openapi-fetch']);
  });

  it('sends a letter from plain JavaScript, verifies its receipt, and throws the API errors', async () => {
    await writeFile(
      join(project, 'send.mjs'),
      `import { readFile } from 'node:fs/promises';
import { createPostkasseClient, getMessage, PostkasseError, sendLetter, verifyReceipt } from '@postkasse/sdk';
import { listMailboxes } from '@postkasse/sdk/recipient';

const client = createPostkasseClient({ baseUrl: process.env.URL, token: process.env.KEY });
const letter = { id: crypto.randomUUID(), recipient: { nationalId: process.env.TO }, subject: 'Fra pakken' };
const files = [{ filename: 'brev.pdf', mediaType: 'application/pdf', content: await readFile('letter.pdf') }];
const first = await sendLetter(client, { letter, files });
const again = await sendLetter(client, { letter, files });
const status = await getMessage(client, letter.id);
const receipt = await verifyReceipt(status.events[0].receipt, process.env.URL + '/.well-known/jwks.json');
let error;
try {
  await sendLetter(client, { letter: { ...letter, id: crypto.randomUUID() }, files: [] });
} catch (e) {
  error = { isPostkasseError: e instanceof PostkasseError, code: e.code, status: e.status, retryable: e.retryable };
}
let refused;
try {
  await listMailboxes(client);
} catch (e) {
  refused = e.status;
}
console.log(JSON.stringify({ status: first.message.status, replayed: again.replayed, events: status.events.map((e) => e.type), receiptValid: receipt.valid, error, refused }));
`,
    );
    const { stdout } = await run(process.execPath, ['send.mjs'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', URL: server.url, KEY: apiKey, TO: people.kari },
    });
    expect(JSON.parse(stdout)).toEqual({
      status: 'DELIVERED',
      replayed: true,
      events: ['ACCEPTED', 'DELIVERED'],
      receiptValid: true,
      error: { isPostkasseError: true, code: 'validation_failed', status: 400, retryable: false },
      // An API key is no person's token.
      refused: 401,
    });
  });

  it("gives a TypeScript consumer the API's types: a right call compiles, a wrong one is refused", async () => {
    const tsc = join(repoRoot, 'node_modules', '.bin', 'tsc');
    // A consumer's own strict settings, without Node's types: the SDK's declarations stand alone.
    const config = (file: string) =>
      JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, target: 'es2022', module: 'nodenext', types: [] },
        files: [file],
      });
    await writeFile(join(project, 'tsconfig.right.json'), config('right.ts'));
    await writeFile(join(project, 'tsconfig.wrong.json'), config('wrong.ts'));
    await writeFile(
      join(project, 'right.ts'),
      `import { createPostkasseClient, type SentMessage, sendLetter } from '@postkasse/sdk';
import { type Letter, getLetter } from '@postkasse/sdk/recipient';
const client = createPostkasseClient({ baseUrl: 'http://localhost:8080', token: 'pk_x' });
export async function send(content: Uint8Array): Promise<SentMessage['status']> {
  const { message } = await sendLetter(client, {
    letter: { id: '0b0e3c5a-2f4e-4b8a-9a55-1f1f0b0e3c5a', recipient: { nationalId: '12858510129' }, subject: 'Hei', authLevel: 'high' },
    files: [{ filename: 'a.pdf', mediaType: 'application/pdf', content }],
  });
  return message.status;
}
export const read = (mailboxId: string, id: string): Promise<Letter> => getLetter(client, mailboxId, id);
`,
    );
    await writeFile(
      join(project, 'wrong.ts'),
      `import { createPostkasseClient, sendLetter } from '@postkasse/sdk';
const client = createPostkasseClient({ baseUrl: 'http://localhost:8080' });
export const sent = sendLetter(client, {
  letter: { id: 'x', recipient: { nationalId: '12858510129' }, subject: 'Hei', authLevel: 'medium' },
  files: [],
});
`,
    );
    // Rejects (and fails the test, with tsc's output) unless right.ts compiles.
    const right = await run(tsc, ['-p', 'tsconfig.right.json'], { cwd: project });
    expect(right.stdout, 'right.ts compiles').toBe('');
    const wrong = await run(tsc, ['-p', 'tsconfig.wrong.json'], { cwd: project }).catch((e) => e);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toMatch(/wrong\.ts\(4,.*"medium"/);
  }, 120_000);
});
