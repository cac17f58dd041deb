import { readFile } from 'node:fs/promises';
import { canonicalJson, maskNationalId } from '@postkasse/core';
import { type ReceiptVerification, verifyReceipt } from '@postkasse/sdk';
import type { Command } from 'commander';
import type { JSONWebKeySet } from 'jose';
import { print } from '../output.js';
import { CliError, failWith, serverUrl } from '../sdk-client.js';

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A receipt found in the file, with what the JSON around it claims (to be checked against it). */
type Found = {
  receipt: string;
  where: string;
  claimed: { id?: unknown; type?: unknown; messageId?: unknown; at?: unknown; data?: unknown; recipient?: unknown };
};

/** Every `receipt` in a JSON value: an event, a sent message with events, a feed page, an array… */
function collect(value: unknown, where: string, out: Found[], parent?: Record<string, unknown>): void {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) collect(v, `${where}[${i}]`, out, parent);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  if (typeof obj.receipt === 'string') {
    out.push({
      receipt: obj.receipt,
      where,
      // A message's events carry no messageId of their own: it is the message's id.
      claimed: {
        id: obj.id,
        type: obj.type,
        messageId: obj.messageId ?? parent?.id,
        at: obj.at,
        data: obj.data,
        // A sent message names its recipient beside its events: the receipts must name the same.
        recipient: parent?.recipient,
      },
    });
  }
  for (const [k, v] of Object.entries(obj)) {
    if (k !== 'receipt' && v && typeof v === 'object') collect(v, where ? `${where}.${k}` : k, out, obj);
  }
}

/** Receipts in a file: one compact JWS, a JSON document, or JSON lines (as `events tail --json` prints). */
export function findReceipts(text: string): Found[] {
  const trimmed = text.trim();
  if (COMPACT_JWS.test(trimmed)) return [{ receipt: trimmed, where: 'file', claimed: {} }];
  const out: Found[] = [];
  try {
    collect(JSON.parse(trimmed), '', out);
    return out;
  } catch {
    // not one JSON document: JSON lines, or one receipt per line
  }
  trimmed.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (COMPACT_JWS.test(line)) {
      out.push({ receipt: line, where: `line ${i + 1}`, claimed: {} });
      return;
    }
    try {
      collect(JSON.parse(line), `line ${i + 1}`, out);
    } catch {
      throw new CliError('invalid_input', `line ${i + 1} is neither JSON nor a receipt`);
    }
  });
  return out;
}

async function keySet(jwks: string | undefined): Promise<string | JSONWebKeySet> {
  if (!jwks) return `${serverUrl()}/.well-known/jwks.json`;
  if (/^https?:\/\//.test(jwks)) return jwks;
  try {
    const set = JSON.parse(await readFile(jwks, 'utf8')) as JSONWebKeySet;
    if (!Array.isArray(set.keys)) throw new Error('no "keys" array');
    return set;
  } catch (error) {
    throw new CliError('invalid_jwks', `${jwks}: ${(error as Error).message}`, 'give --jwks a JWKS URL or a JWKS file');
  }
}

type Verdict = {
  where: string;
  valid: boolean;
  type: string | null;
  messageId: string | null;
  eventId: string | null;
  at: string | null;
  /** Whom the receipt says the letter is from (organization number) and to (masked). */
  sender: string | null;
  recipient: string | null;
  error?: string;
  code?: string;
};

type SignedLetter = { sender?: { orgNumber?: string }; recipient?: { nationalId?: string; orgNumber?: string } };

function recipientShown(r: SignedLetter['recipient']): string | null {
  if (r?.nationalId) return maskNationalId(r.nationalId);
  return r?.orgNumber ?? null;
}

/** A valid signature is not enough: the JSON around the receipt must say what the receipt says. */
function judge(f: Found, v: ReceiptVerification): Verdict {
  const e = v.event;
  const letter = (v.valid ? v.payload.letter : undefined) as SignedLetter | undefined;
  const base = {
    where: f.where,
    type: e?.type ?? null,
    messageId: e?.messageId ?? null,
    eventId: e?.id ?? null,
    at: e?.at ?? null,
    sender: letter?.sender?.orgNumber ?? null,
    recipient: recipientShown(letter?.recipient),
  };
  if (!v.valid) return { ...base, valid: false, code: v.code, error: v.error };
  // Receipts issued before they named the letter's parties have no `letter` claim to compare.
  if (
    letter &&
    f.claimed.recipient !== undefined &&
    canonicalJson(f.claimed.recipient) !== canonicalJson(letter.recipient)
  ) {
    return {
      ...base,
      valid: false,
      code: 'event_mismatch',
      error: 'the JSON names another recipient than the signed receipt',
    };
  }
  // Everything the JSON around the receipt claims must be what the receipt signs.
  for (const key of ['id', 'type', 'messageId', 'at', 'data'] as const) {
    const claimed = f.claimed[key];
    if (claimed !== undefined && canonicalJson(claimed) !== canonicalJson((v.event as Record<string, unknown>)[key])) {
      return {
        ...base,
        valid: false,
        code: 'event_mismatch',
        error: `the JSON says ${key} ${JSON.stringify(claimed)}, the signed receipt ${JSON.stringify(v.event[key])}`,
      };
    }
  }
  return { ...base, valid: true };
}

export function receiptsCommands(program: Command): void {
  const group = program.command('receipts').description('signed receipts of events');
  group
    .command('verify')
    .description("verify receipts against the platform's signing keys; exit 1 if any is invalid")
    .argument(
      '<file>',
      'a receipt (compact JWS), or JSON / JSON lines with `receipt` fields (events, messages, feed pages)',
    )
    .option('--jwks <url|file>', 'the key set (default: $POSTKASSE_URL/.well-known/jwks.json)')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { jwks?: string; json?: boolean }) => {
      const json = Boolean(opts.json);
      try {
        const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new CliError('input_not_found', `${file}: ${error.code ?? error.message}`);
        });
        const found = findReceipts(text);
        if (found.length === 0) {
          throw new CliError('no_receipts', `${file} holds no receipt`, 'give a receipt or JSON with receipt fields');
        }
        const keys = await keySet(opts.jwks);
        const verdicts: Verdict[] = [];
        for (const f of found) verdicts.push(judge(f, await verifyReceipt(f.receipt, keys)));
        const invalid = verdicts.filter((v) => !v.valid).length;
        print(json, { valid: verdicts.length - invalid, invalid, receipts: verdicts }, () =>
          [
            ...verdicts.map(
              (v) =>
                `${v.valid ? 'valid  ' : 'INVALID'}  ${(v.type ?? '?').padEnd(12)}  message ${v.messageId ?? '?'}  event ${v.eventId ?? '?'}` +
                (v.sender ? `  from ${v.sender} to ${v.recipient ?? '?'}` : '') +
                (v.valid ? '' : `  (${v.code}: ${v.error})`) +
                (v.where && v.where !== 'file' ? `  at ${v.where}` : ''),
            ),
            `${verdicts.length - invalid} valid, ${invalid} invalid`,
          ].join('\n'),
        );
        if (invalid > 0) process.exit(1);
      } catch (error) {
        if (error instanceof Error && !(error instanceof CliError) && /JWKS|fetch|ECONNREFUSED/i.test(error.message)) {
          failWith(
            new CliError(
              'jwks_unavailable',
              `the key set could not be read: ${error.message}`,
              `is the server running at ${serverUrl()}? or give --jwks <url|file>`,
            ),
            json,
          );
        }
        failWith(error, json);
      }
    });
}
