/** Shared by the tests of this package. */
import { FormatError } from './errors.js';

/** Runs `fn` and returns the FormatError it throws (fails when it throws nothing or something else). */
export function catchFormatError(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FormatError) return e;
    throw e;
  }
  throw new Error('expected a FormatError, nothing was thrown');
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
