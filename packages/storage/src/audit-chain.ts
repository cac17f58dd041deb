/**
 * The audit logs are hash chains: each entry stores the SHA-256 of the entry before it in the same
 * chain (a mailbox's log, a person's register history) together with its own content, so an entry
 * changed, removed or inserted afterwards breaks every hash after it. `verifyChain` recomputes a
 * chain from its first entry. The tables also refuse UPDATE and DELETE (triggers, migration 012).
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '@postkasse/core';

/** What the first entry of a chain follows. */
export const CHAIN_START = '0'.repeat(64);

export function chainHash(prevHash: string, content: Record<string, unknown>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex');
}

export type ChainRow = { seq: number; prevHash: string; hash: string; content: Record<string, unknown> };

/** Where a chain read in order first breaks, or null when every link holds. */
export function firstBreak(
  rows: Iterable<ChainRow>,
  from: string = CHAIN_START,
): { seq: number; reason: 'prev_hash' | 'hash' } | null {
  let prev = from;
  for (const row of rows) {
    if (row.prevHash !== prev) return { seq: row.seq, reason: 'prev_hash' };
    if (chainHash(row.prevHash, row.content) !== row.hash) return { seq: row.seq, reason: 'hash' };
    prev = row.hash;
  }
  return null;
}
