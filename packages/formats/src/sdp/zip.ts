/**
 * A defensive reader for the document package (an ASiC-E-like zip). The central directory is
 * read here (small and strict, so every declared size is known before anything is inflated);
 * zlib inflates each entry with its output capped at the declared size plus one byte, so an
 * entry that inflates to more than it declared is stopped there, costing neither memory nor time.
 *
 * Refused: more than 250 entries or 30 MB declared or actual uncompressed in total
 * (`zip_too_many_files`, `zip_too_large`); entry names that are absolute, contain `..`, `.` or
 * empty segments, backslashes, drive letters or control characters, or that repeat (also
 * case-insensitively) (`zip_unsafe_entry`); encryption, compression other than stored/deflate,
 * ZIP64, multi-disk archives, overlapping or out-of-bounds entries, local headers whose name
 * differs from the central directory's, and CRC mismatches (`invalid_zip`).
 */
import { inflateRawSync } from 'node:zlib';
import { FormatError, type FormatErrorCode } from '../errors.js';

export type ZipLimits = {
  /** Largest accepted archive in bytes. Default 40 MB. */
  maxZipBytes?: number | undefined;
  /** Largest total uncompressed size. Default 30 MB (the letter limit). */
  maxTotalBytes?: number | undefined;
  /** Most entries (directories included). Default 250. */
  maxFiles?: number | undefined;
};

export const defaultZipLimits = {
  maxZipBytes: 40 * 1024 * 1024,
  maxTotalBytes: 30 * 1024 * 1024,
  maxFiles: 250,
} as const;

type Entry = {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
};

const fail = (code: FormatErrorCode, path: string, message: string): never => {
  throw FormatError.single(code, path, message);
};

/** Entry name → content. Directory entries are checked but not returned. */
export function readZip(bytes: Uint8Array, limits: ZipLimits = {}): Map<string, Uint8Array> {
  const maxZipBytes = limits.maxZipBytes ?? defaultZipLimits.maxZipBytes;
  const maxTotal = limits.maxTotalBytes ?? defaultZipLimits.maxTotalBytes;
  const maxFiles = limits.maxFiles ?? defaultZipLimits.maxFiles;
  if (bytes.byteLength > maxZipBytes) fail('zip_too_large', '', `the archive is larger than ${maxZipBytes} bytes`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);

  const eocd = findEndOfCentralDirectory(bytes, u32);
  const count = u16(eocd + 10);
  const cdSize = u32(eocd + 12);
  const cdOffset = u32(eocd + 16);
  if (u16(eocd + 4) !== 0 || u16(eocd + 6) !== 0 || u16(eocd + 8) !== count) {
    fail('invalid_zip', '', 'multi-disk archives are not supported');
  }
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail('invalid_zip', '', 'ZIP64 archives are not supported');
  }
  if (count > maxFiles) fail('zip_too_many_files', '', `the archive has ${count} entries; at most ${maxFiles}`);
  if (cdOffset + cdSize > eocd) fail('invalid_zip', '', 'the central directory is out of bounds');

  const entries: Entry[] = [];
  const seen = new Set<string>();
  let declaredTotal = 0;
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cdOffset + cdSize || u32(at) !== 0x02014b50) fail('invalid_zip', '', 'broken central directory');
    const flags = u16(at + 8);
    const nameLength = u16(at + 28);
    const next = at + 46 + nameLength + u16(at + 30) + u16(at + 32);
    if (next > cdOffset + cdSize) fail('invalid_zip', '', 'broken central directory');
    const name = decodeName(bytes.subarray(at + 46, at + 46 + nameLength));
    const entry: Entry = {
      name,
      method: u16(at + 10),
      crc: u32(at + 16),
      compressedSize: u32(at + 20),
      size: u32(at + 24),
      localOffset: u32(at + 42),
    };
    at = next;

    checkEntryName(name);
    const key = name.normalize('NFC').toLowerCase();
    if (seen.has(key)) fail('zip_unsafe_entry', name, 'the archive names this entry twice');
    seen.add(key);
    if (flags & 0x1) fail('invalid_zip', name, 'encrypted entries are not supported');
    if (entry.method !== 0 && entry.method !== 8) fail('invalid_zip', name, `compression method ${entry.method}`);
    if (entry.method === 0 && entry.compressedSize !== entry.size) {
      fail('invalid_zip', name, 'a stored entry has different compressed and uncompressed sizes');
    }
    if (entry.size === 0xffffffff || entry.compressedSize === 0xffffffff || entry.localOffset === 0xffffffff) {
      fail('invalid_zip', name, 'ZIP64 entries are not supported');
    }
    declaredTotal += entry.size;
    if (declaredTotal > maxTotal) {
      fail('zip_too_large', name, `the entries declare more than ${maxTotal} bytes uncompressed`);
    }
    entries.push(entry);
  }

  // Local data must lie before the directory and must not overlap (an old zip-bomb trick).
  const located = entries.map((entry) => {
    const off = entry.localOffset;
    if (off + 30 > cdOffset || u32(off) !== 0x04034b50) fail('invalid_zip', entry.name, 'broken local header');
    const localNameLength = u16(off + 26);
    const start = off + 30 + localNameLength + u16(off + 28);
    const end = start + entry.compressedSize;
    if (end > cdOffset) fail('invalid_zip', entry.name, 'the entry data is out of bounds');
    if (decodeName(bytes.subarray(off + 30, off + 30 + localNameLength)) !== entry.name) {
      fail('zip_unsafe_entry', entry.name, 'the local header names a different file');
    }
    return { entry, off, start, end };
  });
  const byOffset = [...located].sort((a, b) => a.off - b.off);
  for (let i = 1; i < byOffset.length; i++) {
    if (byOffset[i]!.off < byOffset[i - 1]!.end) fail('invalid_zip', byOffset[i]!.entry.name, 'entries overlap');
  }

  const files = new Map<string, Uint8Array>();
  let actualTotal = 0;
  for (const { entry, start, end } of located) {
    const content = inflateEntry(entry, bytes.subarray(start, end));
    if (crc32(content) !== entry.crc) fail('invalid_zip', entry.name, 'the CRC does not match the content');
    actualTotal += content.byteLength;
    if (actualTotal > maxTotal) fail('zip_too_large', entry.name, `the entries hold more than ${maxTotal} bytes`);
    if (!entry.name.endsWith('/')) files.set(entry.name, content);
  }
  return files;
}

function findEndOfCentralDirectory(bytes: Uint8Array, u32: (at: number) => number): number {
  const last = bytes.byteLength - 22;
  for (let at = last; at >= 0 && at >= last - 0xffff; at--) {
    if (bytes[at] === 0x50 && u32(at) === 0x06054b50) return at;
  }
  return fail('invalid_zip', '', 'not a zip archive (no end of central directory)');
}

function decodeName(raw: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('zip_unsafe_entry', '', 'an entry name is not valid UTF-8');
  }
}

/** Refuses names that could escape a directory or confuse a reader; directories end with `/`. */
export function checkEntryName(name: string): void {
  const bad = (why: string) => fail('zip_unsafe_entry', name, `unsafe entry name: ${why}`);
  if (name.length === 0 || name.length > 255) bad('empty or longer than 255');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) bad('control characters');
  if (name.includes('\\')) bad('backslash');
  if (name.startsWith('/')) bad('absolute path');
  if (/^[A-Za-z]:/.test(name)) bad('drive letter');
  const segments = (name.endsWith('/') ? name.slice(0, -1) : name).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) bad('empty, "." or ".." path segment');
}

function inflateEntry(entry: Entry, data: Uint8Array): Uint8Array {
  if (entry.method === 0) return data.slice();
  let out: Uint8Array;
  try {
    // zlib stops in native code once the output passes the declared size: a small entry that
    // inflates to gigabytes costs no more than its declared size (fflate would decode it all).
    const inflated = inflateRawSync(data, { maxOutputLength: entry.size + 1 });
    out = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      fail('zip_too_large', entry.name, 'the entry inflates to more than it declares');
    }
    return fail('invalid_zip', entry.name, 'the entry cannot be decompressed');
  }
  if (out.byteLength > entry.size) fail('zip_too_large', entry.name, 'the entry inflates to more than it declares');
  if (out.byteLength < entry.size) fail('invalid_zip', entry.name, 'the entry inflates to less than it declares');
  return out;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
