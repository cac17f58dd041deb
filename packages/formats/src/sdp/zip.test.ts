import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { catchFormatError, utf8 } from '../test-helpers.js';
import { readZip } from './zip.js';

const issue = (path: string, code: string) => expect.objectContaining({ path, code });

/** Offsets of every central directory header (signature PK\1\2). */
function centralHeaders(zip: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 4 <= zip.length; i++) {
    if (zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 0x01 && zip[i + 3] === 0x02) out.push(i);
  }
  return out;
}

describe('readZip', () => {
  it('reads stored and deflated entries, leaving out directories', () => {
    const zip = zipSync({
      'a.txt': [utf8('hello'), { level: 0 }],
      'b.txt': [utf8('x'.repeat(10_000)), { level: 9 }],
      'META-INF/': new Uint8Array(0),
    });
    const files = readZip(zip);
    expect([...files.keys()].sort()).toEqual(['a.txt', 'b.txt']);
    expect(new TextDecoder().decode(files.get('b.txt'))).toBe('x'.repeat(10_000));
  });

  it('refuses a zip bomb by its declared sizes before inflating', () => {
    const zip = zipSync({ 'bomb.bin': [new Uint8Array(31 * 1024 * 1024), { level: 9 }] });
    expect(zip.byteLength).toBeLessThan(100_000);
    const err = catchFormatError(() => readZip(zip));
    expect(err.code).toBe('zip_too_large');
    expect(err.issues).toEqual([issue('bomb.bin', 'zip_too_large')]);
  });

  it('refuses an entry that inflates to more than it declares', () => {
    const zip = zipSync({ 'liar.bin': [new Uint8Array(1024 * 1024), { level: 9 }] });
    const [cd] = centralHeaders(zip);
    new DataView(zip.buffer, zip.byteOffset).setUint32(cd! + 24, 1000, true);
    const err = catchFormatError(() => readZip(zip));
    expect(err.code).toBe('zip_too_large');
    expect(err.issues).toEqual([issue('liar.bin', 'zip_too_large')]);
  });

  it('stops inflating a lying entry at its declared size (64 MB of zeros declared as 10 bytes)', () => {
    // The reader must stop after 11 bytes instead of inflating all of it.
    const zip = zipSync({ 'bomb.bin': [new Uint8Array(64 * 1024 * 1024), { level: 9 }] });
    const [cd] = centralHeaders(zip);
    new DataView(zip.buffer, zip.byteOffset).setUint32(cd! + 24, 10, true);
    const err = catchFormatError(() => readZip(zip));
    expect(err.code).toBe('zip_too_large');
    expect(err.issues).toEqual([issue('bomb.bin', 'zip_too_large')]);
  });

  it('refuses an entry that inflates to less than it declares, and a bad CRC', () => {
    const zip = zipSync({ 'short.bin': [utf8('abc'.repeat(100)), { level: 9 }] });
    const [cd] = centralHeaders(zip);
    const view = new DataView(zip.buffer, zip.byteOffset);
    view.setUint32(cd! + 24, 1000, true);
    expect(catchFormatError(() => readZip(zip)).issues).toEqual([issue('short.bin', 'invalid_zip')]);
    view.setUint32(cd! + 24, 300, true);
    view.setUint32(cd! + 16, 12345, true);
    expect(catchFormatError(() => readZip(zip)).issues).toEqual([issue('short.bin', 'invalid_zip')]);
  });

  it('honours a lower total limit', () => {
    const zip = zipSync({ 'a.bin': new Uint8Array(600), 'b.bin': new Uint8Array(600) });
    expect(catchFormatError(() => readZip(zip, { maxTotalBytes: 1000 })).issues).toEqual([
      issue('b.bin', 'zip_too_large'),
    ]);
  });

  it('refuses more than 250 entries', () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 251; i++) files[`f${i}.txt`] = utf8('x');
    const err = catchFormatError(() => readZip(zipSync(files)));
    expect(err.code).toBe('zip_too_many_files');
    expect(err.issues).toEqual([issue('', 'zip_too_many_files')]);
  });

  it('refuses an archive larger than the limit', () => {
    expect(catchFormatError(() => readZip(new Uint8Array(2000), { maxZipBytes: 1000 })).code).toBe('zip_too_large');
  });

  for (const name of [
    '../evil.pdf',
    'a/../../evil.pdf',
    '/etc/passwd',
    'a\\b.pdf',
    'C:evil.pdf',
    'a//b.pdf',
    './a.pdf',
    'a\u0000b.pdf',
  ]) {
    it(`refuses the entry name ${JSON.stringify(name)}`, () => {
      const err = catchFormatError(() => readZip(zipSync({ [name]: utf8('x') })));
      expect(err.code).toBe('zip_unsafe_entry');
      expect(err.issues).toEqual([issue(name, 'zip_unsafe_entry')]);
    });
  }

  it('refuses names that differ only in case', () => {
    const err = catchFormatError(() => readZip(zipSync({ 'Brev.pdf': utf8('a'), 'brev.pdf': utf8('b') })));
    expect(err.issues).toEqual([issue('brev.pdf', 'zip_unsafe_entry')]);
  });

  it('refuses what is not a zip', () => {
    expect(catchFormatError(() => readZip(utf8('not a zip at all, just text'))).code).toBe('invalid_zip');
    expect(catchFormatError(() => readZip(new Uint8Array(0))).code).toBe('invalid_zip');
  });
});
