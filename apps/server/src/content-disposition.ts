import contentDisposition from 'content-disposition';

/** Letters that Unicode normalization does not take apart into an ASCII letter and a mark. */
const ASCII_FOR: Record<string, string> = {
  ø: 'o',
  Ø: 'O',
  æ: 'ae',
  Æ: 'AE',
  đ: 'd',
  Đ: 'D',
  ł: 'l',
  Ł: 'L',
  ß: 'ss',
  þ: 'th',
  Þ: 'TH',
  œ: 'oe',
  Œ: 'OE',
  '–': '-',
  '—': '-',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
};

/**
 * The plain-ASCII stand-in for a file name, for clients that do not read `filename*`: accents are
 * dropped (é → e, å → a), ø/æ/ß and friends spelled out, and any other run of characters outside
 * ASCII becomes one underscore.
 */
export function asciiFilename(name: string): string {
  return [...name.normalize('NFKD')]
    .map((c) => ASCII_FOR[c] ?? c)
    .join('')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\x20-\x7e]+/g, '_');
}

/**
 * A Content-Disposition header (RFC 6266) that every client can read and that HTTP can carry: the
 * name in full as UTF-8 in `filename*` (RFC 8187) and its ASCII stand-in in `filename` (a name that
 * is ASCII already goes in `filename` alone). Latin-1 letters in a quoted `filename` would not
 * survive: HTTP header values are ASCII here.
 */
export function dispositionHeader(filename: string, type: 'inline' | 'attachment'): string {
  return contentDisposition(filename, { type, fallback: asciiFilename(filename) });
}
