import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseDateTime } from '@postkasse/core';
import {
  isPostkasseError,
  type LetterFile,
  type LetterJson,
  mediaTypeFor,
  mediaTypes,
  recipientFromId,
  type SendResult,
  sendLetter,
  sendMemo,
} from '@postkasse/sdk';
import type { Command } from 'commander';
import { print } from '../output.js';
import { apiClient, CliError, failWith, UUID } from '../sdk-client.js';

/** Retries of a temporary failure (network, 5xx, 429) before `send` gives up. */
const SEND_RETRIES = 3;

type SendOptions = {
  to?: string;
  subject?: string;
  memo?: string;
  authLevel?: string;
  title?: string;
  nonSensitiveTitle?: string;
  id?: string;
  deliverAt?: string;
  senderReference?: string;
  openingReceipt?: boolean;
  json?: boolean;
};

/** A document from a path, its media type from the extension; unknown extensions are refused. */
export async function readDocumentFile(path: string, name = basename(path)): Promise<LetterFile> {
  const mediaType = mediaTypeFor(name);
  if (!mediaType) {
    throw new CliError(
      'unsupported_file_type',
      `${name}: unknown file extension (known: ${Object.keys(mediaTypes).join(', ')})`,
      'documents are sent with the media type of their extension; rename the file or convert it (PDF is safest)',
    );
  }
  try {
    return { filename: name, mediaType, content: await readFile(path) };
  } catch (error) {
    throw new CliError(
      'document_not_found',
      `${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'check the path of the document',
    );
  }
}

function recipient(to: string) {
  try {
    return recipientFromId(to);
  } catch (error) {
    throw new CliError('invalid_recipient', (error as Error).message, 'give --to a national id or organization number');
  }
}

function summary(result: SendResult): string {
  const m = result.message;
  const reason = m.rejectReason ? ` (${m.rejectReason})` : '';
  const lines = [`${result.replayed ? 'already sent' : 'sent'} ${m.id}: ${m.status}${reason}`];
  lines.push(`  ${m.documentCount} document${m.documentCount === 1 ? '' : 's'}, subject ${JSON.stringify(m.subject)}`);
  for (const e of m.events) lines.push(`  ${e.at}  ${e.type}`);
  if (result.replayed) lines.push('  (the same id with the same content: nothing new was stored)');
  return lines.join('\n');
}

export function sendCommand(program: Command): void {
  program
    .command('send')
    .description('send a letter (a main document and attachments) or a MeMo message, as a sender')
    .argument('[files...]', 'the main document, then attachments (media type from the extension)')
    .option('--to <id>', 'recipient: national id (11 digits, CPR 10) or organization number (9, CVR 8)')
    .option('--subject <subject>', "the letter's subject")
    .option('--memo <file>', 'send a MeMo XML message as it is (instead of --to/--subject/files)')
    .option('--auth-level <level>', 'substantial or high: the login level needed to read it')
    .option('--title <title>', 'title of the main document')
    .option('--non-sensitive-title <title>', 'what readers with a lower login level see')
    .option('--id <uuid>', 'the letter id (idempotency key); random when left out, and printed when sending fails')
    .option('--deliver-at <time>', 'deliver later, at this time (RFC 3339 with offset, e.g. 2026-12-01T07:00:00+01:00)')
    .option('--sender-reference <ref>', 'your own reference (case number)')
    .option('--opening-receipt', 'ask to learn when the letter is opened')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nEnvironment: POSTKASSE_URL (default http://localhost:8080), POSTKASSE_API_KEY (the sender API key).\n' +
        'Examples:\n  postkasse send --to 12858510129 --subject "Vedtak" vedtak.pdf vedlegg.pdf\n' +
        '  postkasse send --memo message.xml',
    )
    .action(async (files: string[], opts: SendOptions) => {
      const json = Boolean(opts.json);
      let letterId: string | undefined;
      try {
        const client = apiClient();
        if (opts.memo) {
          if (files.length > 0 || opts.to || opts.subject) {
            throw new CliError('invalid_arguments', '--memo sends the XML as it is: give no --to, --subject or files');
          }
          const xml = await readFile(opts.memo).catch((error: NodeJS.ErrnoException) => {
            throw new CliError('document_not_found', `${opts.memo}: ${error.code ?? error.message}`);
          });
          // Its MessageUUID is its id: sent again after a temporary failure, it is stored once.
          const result = await sendMemo(client, xml, { retry: { retries: SEND_RETRIES, attemptTimeoutMs: 120_000 } });
          print(json, { ...result.message, replayed: result.replayed }, () => summary(result));
          return;
        }
        if (!opts.to || !opts.subject || files.length === 0) {
          throw new CliError(
            'invalid_arguments',
            'give --to, --subject and at least one document (or --memo <file>)',
            'postkasse send --to <nationalId|orgNumber> --subject <subject> letter.pdf [attachments…]',
          );
        }
        if (opts.authLevel && opts.authLevel !== 'substantial' && opts.authLevel !== 'high') {
          throw new CliError('invalid_arguments', '--auth-level is substantial or high');
        }
        if (opts.id && !UUID.test(opts.id)) throw new CliError('invalid_arguments', '--id must be a UUID');
        if (opts.deliverAt && Number.isNaN(parseDateTime(opts.deliverAt))) {
          throw new CliError(
            'invalid_arguments',
            '--deliver-at must be a date and time with its offset (RFC 3339), e.g. 2026-12-01T07:00:00+01:00 or 2026-12-01T06:00:00Z',
          );
        }
        const docs = await Promise.all(files.map((f) => readDocumentFile(f)));
        if (opts.title && docs[0]) docs[0].title = opts.title;
        const letter: LetterJson = {
          id: (opts.id ?? randomUUID()).toLowerCase(),
          recipient: recipient(opts.to),
          subject: opts.subject,
          ...(opts.nonSensitiveTitle ? { nonSensitiveTitle: opts.nonSensitiveTitle } : {}),
          ...(opts.authLevel ? { authLevel: opts.authLevel as 'substantial' | 'high' } : {}),
          ...(opts.deliverAt ? { deliverAt: new Date(opts.deliverAt).toISOString() } : {}),
          ...(opts.senderReference ? { senderReference: opts.senderReference } : {}),
          ...(opts.openingReceipt ? { openingReceipt: true } : {}),
        };
        letterId = letter.id;
        // A temporary failure is sent again with the same id: the letter is never stored twice.
        const result = await sendLetter(client, {
          letter,
          files: docs,
          retry: { retries: SEND_RETRIES, attemptTimeoutMs: 120_000 },
        });
        print(json, { ...result.message, replayed: result.replayed }, () => summary(result));
      } catch (error) {
        // After a temporary failure the letter may have arrived: sent again with its id it is
        // never stored twice, sent without it it could be.
        const unsure = letterId !== undefined && (!isPostkasseError(error) || error.retryable);
        failWith(
          error,
          json,
          unsure
            ? {
                messageId: letterId,
                hint: `the letter may have arrived: send it again with --id ${letterId} (it is never stored twice)`,
              }
            : {},
        );
      }
    });
}
