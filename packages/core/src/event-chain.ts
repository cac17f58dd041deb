/**
 * Every event a sender can learn of is also a link in one hash chain (the evidence log): the
 * worker appends new events in the order they became visible (the feed's commit order), each
 * link the SHA-256 of the link before and of everything the event states, its receipt included.
 * The events and the chain refuse UPDATE and DELETE (migration 017), and `admin audit verify`
 * recomputes the chain, so an event changed or removed behind the database's back is found. The
 * hot path of sending is untouched: a letter's events are chained within a worker round of it.
 */
import type { Deps } from './ports.js';

const CHAINER = 'event-chain';

/** Chains the events written since the last round; how many. Several processes take turns. */
export async function extendEventChain(
  deps: Pick<Deps, 'store' | 'clock'>,
  options: { limit?: number } = {},
): Promise<number> {
  // With nothing new, a read answers without writing a lease.
  const peek = await deps.store.read.events.since(await deps.store.read.cursors.get(CHAINER), 1);
  if (peek.length === 0) return 0;
  const now = deps.clock.now();
  const leased = await deps.store.write((repos) =>
    repos.cursors.lease(CHAINER, now.toISOString(), new Date(now.getTime() + 60_000).toISOString()),
  );
  if (!leased) return 0;
  let released = false;
  try {
    const events = await deps.store.read.events.since(
      await deps.store.read.cursors.get(CHAINER),
      options.limit ?? 1000,
    );
    const last = events.at(-1);
    if (!last) return 0;
    // Hashed here, outside the unit of work: on SQLite the writer's transaction holds the
    // letters' writer thread back while it runs (a unit of 5,000 events, hashing inside, took
    // 55-62 ms of it).
    const linked = await deps.store.read.eventChain.link(events);
    await deps.store.write(async (repos) => {
      await repos.eventChain.append(events, linked);
      await repos.cursors.set(CHAINER, last.cursor);
      await repos.cursors.release(CHAINER);
    });
    released = true;
    return events.length;
  } finally {
    if (!released) await deps.store.write((repos) => repos.cursors.release(CHAINER));
  }
}

/**
 * Where the chain ends now: what an anchor states. Recorded outside the platform (signed by
 * `admin audit anchor`), it lets a later check find events rewritten even by someone who could
 * also recompute every hash after them, which the chain alone cannot show.
 */
export type ChainAnchor = { position: number; hash: string };

/** The chain's end, after linking what is waiting (unless another process is doing so). */
export async function eventChainHead(deps: Pick<Deps, 'store' | 'clock'>): Promise<ChainAnchor> {
  // A bounded catch-up: an anchor states the chain as far as it reaches, a few seconds behind at most.
  for (let page = 0; page < 100 && (await extendEventChain(deps)) > 0; page++);
  return deps.store.read.eventChain.head();
}

/**
 * Whether the chain still holds an anchored link: `holds`, `changed` (the link there has another
 * hash: the chain before it was rewritten) or `missing` (the chain no longer reaches that far).
 * With `admin audit verify` recomputing every link from the first, a link that holds vouches for
 * every event up to it.
 */
export async function checkChainAnchor(
  deps: Pick<Deps, 'store'>,
  anchor: ChainAnchor,
): Promise<'holds' | 'changed' | 'missing'> {
  const hash = await deps.store.read.eventChain.hashAt(anchor.position);
  if (hash === null) return 'missing';
  return hash === anchor.hash ? 'holds' : 'changed';
}
