import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replaceKeyFile, writeKeyFile } from './key-file.js';

describe('key files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pk-key-file-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a new key file for its owner alone, and never over one another process made', async () => {
    const path = join(dir, 'master.key');
    await writeKeyFile(path, 'first\n', { exclusive: true });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await expect(writeKeyFile(path, 'second\n', { exclusive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('first\n');
  });

  it('replaces a key file whole, leaving no copy behind', async () => {
    const path = join(dir, 'platform-signing.jwk');
    await writeKeyFile(path, '{"kid":"old"}', { exclusive: true });
    await replaceKeyFile(path, '{"kid":"new"}');
    expect(await readFile(path, 'utf8')).toBe('{"kid":"new"}');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
