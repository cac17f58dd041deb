import { isAppError } from '@postkasse/core';
import { SingleBar } from 'cli-progress';

/**
 * Progress on stderr for someone at a terminal (nothing with --json or when stderr is not one):
 * `report(0, total)` starts it, `report(done, total)` moves it.
 */
export function progressBar(json: boolean, format: string) {
  const bar = !json && process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format, fps: 5 }) : null;
  return {
    report(done: number, total: number) {
      if (done === 0) bar?.start(total, 0);
      else bar?.update(done);
    },
    stop: () => bar?.stop(),
  };
}

/** Prints a result for people, or as one JSON document with --json. */
export function print(json: boolean, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** Errors: the problem's code and what to do, never a stack trace for expected failures. */
export function fail(error: unknown, json: boolean): never {
  if (isAppError(error)) {
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ error: { code: error.code, detail: error.message, errors: error.errors } }, null, 2)}\n`,
      );
    } else {
      process.stderr.write(`error: ${error.code}: ${error.message}\n`);
    }
    process.exit(1);
  }
  // Not a refusal but a failure to run (configuration, storage, the master key): exit 2. With
  // --json the caller still gets one JSON document on stdout.
  const detail = error instanceof Error ? error.message : String(error);
  if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'failed', detail } }, null, 2)}\n`);
  process.stderr.write(`error: ${detail}\n`);
  process.exit(2);
}
