/**
 * What the sender commands share: the API client from the environment (POSTKASSE_URL,
 * POSTKASSE_API_KEY) and how a failure is told: the problem's code, what it means, and a hint.
 */
import { createPostkasseClient, isPostkasseError, type PostkasseClient } from '@postkasse/sdk';

export const DEFAULT_URL = 'http://localhost:8080';

/** A letter's or mailbox's id as the CLI takes it (any case). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function serverUrl(): string {
  return (process.env.POSTKASSE_URL || DEFAULT_URL).replace(/\/+$/, '');
}

/** A failure of the command itself (bad arguments, unreadable files), with a code like the API's. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The client for the sender API; refuses to start without an API key. */
export function apiClient(): PostkasseClient {
  const token = process.env.POSTKASSE_API_KEY;
  if (!token) {
    throw new CliError(
      'missing_api_key',
      'POSTKASSE_API_KEY is not set',
      'export POSTKASSE_API_KEY=pk_… (the sender API key from `postkasse admin sender create` or `admin sender key create`)',
    );
  }
  return createPostkasseClient({ baseUrl: serverUrl(), token });
}

/** What to do about an error code, for people at a terminal. */
export function hintFor(code: string, status?: number): string {
  switch (code) {
    case 'network_error':
      return `is the server running at ${serverUrl()}? Set POSTKASSE_URL to its address`;
    case 'unauthenticated':
    case 'invalid_token':
      return 'check POSTKASSE_API_KEY: the key may be mistyped, revoked or rotated';
    case 'forbidden':
      return 'this API key may not do that (ask the operator for the scope it needs)';
    case 'idempotency_conflict':
      return 'this id was already used for a letter with other content: send with a new --id, or the same content';
    case 'validation_failed':
    case 'invalid_letter':
    case 'malformed_request':
      return 'fix the fields named above and send again (the same id is fine: nothing was stored)';
    case 'invalid_recipient':
      return 'check the national id / organization number (its check digits)';
    case 'not_allowed_for_private_sender':
      return 'private senders cannot use this option; leave it out';
    case 'payload_too_large':
      return 'a letter may hold at most 30 MB of documents: split it or compress the files';
    case 'unsupported_media_type':
    case 'unsupported_file_type':
      return 'documents must be PDF, text, HTML, XML, images or office files (by file extension)';
    case 'not_found':
      return 'check the id: a sender sees only its own letters';
    case 'invalid_operation':
      return 'the letter or batch is not in a state that allows this';
    case 'rate_limited':
    case 'service_unavailable':
    case 'internal_error':
      return 'a temporary problem at the server: try again in a moment (resending the same id is safe)';
    case 'missing_api_key':
      return 'export POSTKASSE_API_KEY=pk_…';
    default:
      return status && status >= 500 ? 'try again later; resending the same id is safe' : 'see the detail above';
  }
}

/**
 * Prints a failure and exits 1: `error: <code>: <detail>` and `hint: …` on stderr, or one JSON
 * document `{ error: { code, detail, hint, … } }` on stdout with --json.
 */
export function failWith(error: unknown, json: boolean, about: { messageId?: string; hint?: string } = {}): never {
  let out: {
    code: string;
    detail: string;
    hint: string;
    status?: number;
    errors?: unknown;
    correlationId?: string;
    messageId?: string;
  };
  if (isPostkasseError(error)) {
    out = {
      code: error.code,
      detail: error.detail,
      hint: hintFor(error.code, error.status),
      status: error.status,
      ...(error.errors ? { errors: error.errors } : {}),
      ...(error.correlationId ? { correlationId: error.correlationId } : {}),
    };
  } else if (error instanceof CliError) {
    out = { code: error.code, detail: error.message, hint: error.hint ?? hintFor(error.code) };
  } else {
    out = {
      code: 'unexpected_error',
      detail: error instanceof Error ? error.message : String(error),
      hint: 'this looks like a bug in the CLI; please report it with the command you ran',
    };
  }
  // What the command knows better: the letter the failure concerns, and what to do about it.
  if (about.messageId) out.messageId = about.messageId;
  if (about.hint) out.hint = `${out.hint}; ${about.hint}`;
  if (json) {
    process.stdout.write(`${JSON.stringify({ error: out }, null, 2)}\n`);
  } else {
    const fields = Array.isArray(out.errors)
      ? (out.errors as Array<{ path: string; message: string }>).map((e) => `  ${e.path}: ${e.message}\n`).join('')
      : '';
    const corr = out.correlationId ? ` (correlation id ${out.correlationId})` : '';
    process.stderr.write(`error: ${out.code}: ${out.detail}${corr}\n${fields}hint: ${out.hint}\n`);
  }
  process.exit(1);
}
