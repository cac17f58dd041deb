import type { ChainCheck, ChainLinks, LetterEvent, Repositories } from '@postkasse/core';
import { CHAIN_START, chainHash, firstBreak } from '../audit-chain.js';
import { type EventRowRead, toEvent } from './events.js';
import type { RepoContext } from './shared.js';

/** What an event's link in the chain is the hash of: everything the event states, its receipt too. */
const content = (e: LetterEvent) => ({
  id: e.id,
  letterId: e.letterId,
  senderId: e.senderId,
  type: e.type,
  at: e.at,
  data: e.data,
  receipt: e.receipt ?? null,
});

type LinkRow = { position: number; event_id: string; prev_hash: string; hash: string };

/** The links of `events` after `after`, in order. */
function linksAfter(after: ChainLinks['after'], events: LetterEvent[]): LinkRow[] {
  let position = after.position;
  let prev = after.hash;
  return events.map((e) => {
    const hash = chainHash(prev, content(e));
    const row = { position: ++position, event_id: e.id, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
}

export function eventChainRepository({ db }: RepoContext): Repositories['eventChain'] {
  const last = async (): Promise<ChainLinks['after']> => {
    const head = await db
      .selectFrom('event_chain')
      .select(['position', 'hash'])
      .orderBy('position', 'desc')
      .limit(1)
      .executeTakeFirst();
    return { position: Number(head?.position ?? 0), hash: head?.hash ?? CHAIN_START };
  };
  return {
    head: last,
    async hashAt(position) {
      if (position === 0) return CHAIN_START;
      const row = await db.selectFrom('event_chain').select('hash').where('position', '=', position).executeTakeFirst();
      return row?.hash ?? null;
    },
    async link(events) {
      const after = await last();
      return { after, rows: linksAfter(after, events) };
    },
    async append(events, linked) {
      if (events.length === 0) return;
      const after = await last();
      // Links made for another end of the chain (another process appended meanwhile) are made anew.
      const fits =
        linked !== undefined &&
        linked.rows.length === events.length &&
        linked.after.position === after.position &&
        linked.after.hash === after.hash &&
        (linked.rows as LinkRow[]).every((r, i) => r.event_id === events[i]?.id);
      const rows = fits ? (linked.rows as LinkRow[]) : linksAfter(after, events);
      // 2,000 rows a statement: 8,000 parameters, within both databases' limits.
      for (let i = 0; i < rows.length; i += 2000) {
        await db
          .insertInto('event_chain')
          .values(rows.slice(i, i + 2000))
          .execute();
      }
    },
    async verify() {
      const check: ChainCheck = { chains: 1, entries: 0, broken: [] };
      let prev = CHAIN_START;
      let after = 0;
      for (;;) {
        const rows = await db
          .selectFrom('event_chain as c')
          .leftJoin('events as e', 'e.id', 'c.event_id')
          .select(['c.position', 'c.prev_hash', 'c.hash'])
          .select(['e.seq', 'e.id', 'e.letter_id', 'e.sender_id', 'e.type', 'e.at', 'e.data', 'e.receipt'])
          .where('c.position', '>', after)
          .orderBy('c.position')
          .limit(1000)
          .execute();
        for (const r of rows) {
          check.entries += 1;
          const seq = Number(r.position);
          // An event removed behind the database's back leaves its link without anything to hash.
          const broken =
            r.id === null
              ? { seq, reason: 'hash' as const }
              : firstBreak(
                  [{ seq, prevHash: r.prev_hash, hash: r.hash, content: content(toEvent(r as EventRowRead)) }],
                  prev,
                );
          if (broken) {
            check.broken.push({ chain: 'events', ...broken });
            return check;
          }
          prev = r.hash;
        }
        const last = rows.at(-1);
        if (!last || rows.length < 1000) return check;
        after = Number(last.position);
      }
    },
  };
}
