/**
 * Sending a letter again after a temporary failure (a network error, a 5xx, a 429) is safe: the
 * letter's id is its idempotency key, so a letter the server stored before its answer was lost is
 * answered again (`replayed`), never stored twice. `postkasse send` and `postkasse batch` both
 * send this way.
 */
import {
  isPostkasseError,
  type LetterFile,
  type LetterJson,
  type PostkasseClient,
  type SendResult,
  sendLetter,
} from '@postkasse/sdk';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function sendLetterWithRetry(
  client: PostkasseClient,
  letter: LetterJson,
  files: LetterFile[],
  options: { retries: number; stopped?: () => boolean },
): Promise<SendResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      // A server that hangs costs one attempt, not the run.
      return await sendLetter(client, { letter, files, signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      if (!isPostkasseError(error) || !error.retryable || attempt >= options.retries || options.stopped?.())
        throw error;
      // The server's Retry-After when it said (rate limits), else a growing pause with jitter.
      const backoff = Math.min(8000, 250 * 2 ** attempt) * (0.5 + Math.random());
      await sleep(error.retryAfterSeconds !== undefined ? Math.min(60_000, error.retryAfterSeconds * 1000) : backoff);
      if (options.stopped?.()) throw error;
    }
  }
}
