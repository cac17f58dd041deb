import { describe, expect, it } from 'vitest';
import { problemFrom } from './problem.js';

const withCode = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('problems from errors the server did not expect', () => {
  it('answers 503, try again, when the database or the disk cannot be used just now', () => {
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('08006', 'connection failure'),
      withCode('53100', 'could not extend file: No space left on device'),
      withCode('SQLITE_IOERR_WRITE'),
      new Error('Connection terminated unexpectedly'),
      new Error('could not write the blob', { cause: withCode('ENOSPC') }),
    ]) {
      expect(problemFrom(error, 'c-1'), error.message).toMatchObject({
        status: 503,
        code: 'service_unavailable',
        retryable: true,
        correlationId: 'c-1',
      });
    }
  });

  it('answers 500 for anything else, saying nothing of it', () => {
    const problem = problemFrom(new TypeError("Cannot read properties of undefined (reading 'x')"), 'c-2');
    expect(problem).toMatchObject({ status: 500, code: 'internal_error' });
    expect(problem.detail).not.toMatch(/undefined/);
  });
});
