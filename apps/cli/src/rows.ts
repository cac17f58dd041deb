/**
 * Input files of rows, as the batch and import commands read them: CSV with a header row, or
 * JSON Lines (one object a line), streamed one row at a time.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { maskNationalIdsInText } from '@postkasse/core';
import { parse } from 'csv-parse';

export type Fields = Record<string, unknown>;
export type InputRow = { row: number; fields: Fields | null; parseError?: string };

/**
 * The format a `--format` option names, or else the file's extension says (.jsonl, .ndjson,
 * .json: JSON Lines; anything else: CSV); null when the option names neither.
 */
export function rowFormat(input: string, option: string | undefined): 'csv' | 'jsonl' | null {
  const format = (option ?? (/\.(jsonl|ndjson|json)$/i.test(input) ? 'jsonl' : 'csv')).toLowerCase();
  return format === 'csv' || format === 'jsonl' ? format : null;
}

/** Rows one at a time: CSV records numbered from 1 after the header, JSON lines by line number. */
export async function* readRows(path: string, format: 'csv' | 'jsonl'): AsyncGenerator<InputRow> {
  if (format === 'csv') {
    const source = createReadStream(path);
    const parser = source.pipe(
      // A row is small; a stray quote must not make the parser hold the rest of the file.
      parse({
        columns: true,
        bom: true,
        trim: true,
        skip_empty_lines: true,
        relax_column_count: true,
        max_record_size: 1024 * 1024,
      }),
    );
    source.once('error', (error) => parser.destroy(error));
    let row = 0;
    try {
      for await (const record of parser as AsyncIterable<Fields>) yield { row: ++row, fields: record };
    } finally {
      source.destroy();
    }
    return;
  }
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Number.POSITIVE_INFINITY });
  let row = 0;
  for await (const raw of lines) {
    row++;
    const line = row === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (line.trim() === '') continue;
    if (line.length > 1024 * 1024) {
      yield { row, fields: null, parseError: 'the line is longer than 1 MB' };
      continue;
    }
    try {
      const value = JSON.parse(line) as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        yield { row, fields: null, parseError: 'the line is not a JSON object' };
      } else {
        yield { row, fields: value as Fields };
      }
    } catch (error) {
      // The parser's message quotes the line, which may hold a national id: masked like in logs.
      yield { row, fields: null, parseError: `not valid JSON: ${maskNationalIdsInText((error as Error).message)}` };
    }
  }
}
