import { AppError } from '@postkasse/core';

/** Cursors are opaque to clients: base64url JSON, checked on the way back in. */
export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(text: string | undefined, check: (v: unknown) => v is T, parameter: string): T | null {
  if (text === undefined || text === '') return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (check(value)) return value;
  } catch {
    // fall through to the error below
  }
  throw new AppError(
    'validation_failed',
    `The ${parameter === 'cursor' ? 'cursor' : `${parameter} cursor`} is not valid; use nextCursor from a previous answer`,
    {
      errors: [{ path: `query.${parameter}`, code: 'invalid_cursor', message: 'not a cursor we issued' }],
    },
  );
}
