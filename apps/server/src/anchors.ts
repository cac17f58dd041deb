/**
 * Anchors of the evidence chain: a statement, signed with the platform's key, that at a time the
 * chain of letter events ended at a position with a hash. The chain (packages/core/src/
 * event-chain.ts) shows an event changed or removed by anyone who cannot also rewrite every later
 * link; whoever controls the database can. An anchor kept outside the platform (the operator's
 * archive, a notary, a public ledger) closes that gap: `admin audit verify --anchor` finds the
 * anchored link changed or gone. Anyone can check an anchor's signature against the platform's
 * published keys (/.well-known/jwks.json), as they can a receipt's.
 */
import { AppError, type ChainAnchor, checkChainAnchor, eventChainHead } from '@postkasse/core';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { CLOCK_WARN_SECONDS, clockState, measureClockOffset } from './clock-check.js';
import type { AppContext } from './context.js';

export const ANCHOR_TYPE = 'postkasse-anchor+jwt';

export type SignedAnchor = ChainAnchor & { chain: 'events'; at: string; anchor: string };

/**
 * Links what is waiting, then signs where the chain ends now. Refused on a machine whose clock is
 * off from the database's: the anchor states its time, and takes the chain's lease.
 */
export async function makeAnchor(ctx: Pick<AppContext, 'deps' | 'platformKey' | 'config'>): Promise<SignedAnchor> {
  const offset = await measureClockOffset(ctx.deps);
  if (offset && clockState(offset) !== 'ok') {
    throw new AppError(
      'invalid_operation',
      `This machine's clock is ${Math.abs(offset.seconds).toFixed(1)} s off from the database's ` +
        `(${CLOCK_WARN_SECONDS} s or more), and an anchor states its time: set the clock right (NTP) and run it again.`,
    );
  }
  const head = await eventChainHead(ctx.deps);
  const now = ctx.deps.clock.now();
  const anchor = await ctx.platformKey.signCompact(
    { typ: ANCHOR_TYPE },
    {
      iss: ctx.config.publicUrl,
      iat: Math.floor(now.getTime() / 1000),
      chain: 'events',
      position: head.position,
      hash: head.hash,
    },
  );
  return { chain: 'events', ...head, at: now.toISOString(), anchor };
}

export type AnchorCheck = {
  /** What the anchor claims (read without trusting it when its signature does not hold). */
  position: number | null;
  hash: string | null;
  at: string | null;
  status: 'holds' | 'changed' | 'missing' | 'invalid';
  /** Why an anchor is invalid: its signature, type or content. */
  error?: string;
};

const HASH = /^[0-9a-f]{64}$/;

function claimed(anchor: string): Pick<AnchorCheck, 'position' | 'hash' | 'at'> {
  try {
    const p = decodeJwt(anchor);
    return {
      position: typeof p.position === 'number' ? p.position : null,
      hash: typeof p.hash === 'string' ? p.hash : null,
      at: typeof p.iat === 'number' ? new Date(p.iat * 1000).toISOString() : null,
    };
  } catch {
    return { position: null, hash: null, at: null };
  }
}

/**
 * Checks one anchor: signed by the platform's current key or one it retired, of the anchor type,
 * and the link it names still there with its hash.
 */
export async function checkAnchor(ctx: Pick<AppContext, 'deps' | 'platformKey'>, anchor: string): Promise<AnchorCheck> {
  const keys = createLocalJWKSet({ keys: [ctx.platformKey.publicJwk, ...ctx.platformKey.retiredJwks] });
  const said = claimed(anchor);
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(anchor, keys, { typ: ANCHOR_TYPE, algorithms: ['EdDSA'] }));
  } catch (error) {
    return { ...said, status: 'invalid', error: (error as Error).message };
  }
  const { position, hash } = said;
  if (
    payload.chain !== 'events' ||
    position === null ||
    !Number.isSafeInteger(position) ||
    position < 0 ||
    !hash ||
    !HASH.test(hash)
  ) {
    return { ...said, status: 'invalid', error: 'the anchor names no link of the events chain' };
  }
  return { ...said, status: await checkChainAnchor(ctx.deps, { position, hash }) };
}
