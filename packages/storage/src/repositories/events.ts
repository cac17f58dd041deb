import {
  type FeedCursor,
  type FeedEvent,
  type Letter,
  type LetterEvent,
  type NewEvent,
  type Repositories,
  receiptSubject,
} from '@postkasse/core';
import { type CompiledQuery, type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Database } from '../schema/index.js';

import { notificationOptionsOf } from './letters.js';
import { preparedInsert } from './prepared.js';

type FeedTables = Database & { e: Database['events']; l: Database['letters'] };

import { type RepoContext, runStatement } from './shared.js';

export type EventRowRead = {
  seq: number | string;
  id: string;
  letter_id: string;
  sender_id: string;
  type: string;
  at: string;
  data: string;
  receipt: string | null;
};

export const toEvent = (r: EventRowRead): LetterEvent => ({
  id: r.id,
  seq: Number(r.seq),
  letterId: r.letter_id,
  senderId: r.sender_id,
  type: r.type as LetterEvent['type'],
  at: r.at,
  data: JSON.parse(r.data) as Record<string, unknown>,
  receipt: r.receipt,
});

const insertEvents = preparedInsert('events');

/** The insert of events, compiled (null for none). */
export function eventsInsertStatement(ctx: RepoContext, events: NewEvent[]): CompiledQuery | null {
  return insertEvents(
    ctx,
    events.map((e) => ({
      id: e.id,
      letter_id: e.letterId,
      sender_id: e.senderId,
      type: e.type,
      at: e.at,
      data: JSON.stringify(e.data),
      receipt: e.receipt ?? null,
    })),
  );
}

/**
 * The events with their receipts: those written without one (a job's, a reader's) are signed
 * here, in the unit of work that writes them, from their letter and its sender as that unit sees
 * them (a letter inserted earlier in it included).
 */
async function withReceipts(ctx: RepoContext, events: NewEvent[]): Promise<NewEvent[]> {
  const signer = ctx.receipts;
  const unsigned = [...new Set(events.filter((e) => !e.receipt).map((e) => e.letterId))];
  if (!signer || unsigned.length === 0) return events;
  const letters = await ctx.db
    .selectFrom('letters as l')
    .innerJoin('senders as s', 's.id', 'l.sender_id')
    .select(['l.id', 'l.external_id', 'l.recipient_type', 'l.recipient_id', 's.org_number'])
    .where('l.id', 'in', unsigned)
    .execute();
  const byId = new Map(letters.map((l) => [l.id, l]));
  // What each letter's receipts are evidence of: its documents' digests, in order.
  const documents = new Map<string, string[]>();
  const digests = await ctx.db
    .selectFrom('documents')
    .select(['letter_id', 'sha256'])
    .where('letter_id', 'in', unsigned)
    .orderBy('letter_id')
    .orderBy('ordinal')
    .execute();
  for (const d of digests) documents.set(d.letter_id, [...(documents.get(d.letter_id) ?? []), d.sha256]);
  return Promise.all(
    events.map(async (e) => {
      const l = byId.get(e.letterId);
      if (e.receipt || !l) return e;
      const letter = {
        externalId: l.external_id,
        recipientType: l.recipient_type as Letter['recipientType'],
        recipientId: l.recipient_id,
      };
      // A letter whose documents were dropped (purged) has none to name.
      const named = documents.get(e.letterId);
      return { ...e, receipt: await signer.sign(receiptSubject(e, letter, l.org_number, named)) };
    }),
  );
}

export function eventsRepository(ctx: RepoContext): Repositories['events'] {
  const { db, dialect } = ctx;
  /**
   * SQLite commits one transaction at a time, so `seq` order is commit order. In PostgreSQL a
   * later `seq` can commit first; a feed therefore orders by (transaction id, seq) and shows only
   * transactions older than every one still running, so no event is ever skipped.
   */
  function feedFrom(
    filter: (eb: ExpressionBuilder<FeedTables, 'e' | 'l'>) => Expression<SqlBool>,
    after: FeedCursor | null,
  ) {
    let q = db
      .selectFrom('events as e')
      .innerJoin('letters as l', 'l.id', 'e.letter_id')
      .select(['e.seq'])
      .select(dialect === 'postgres' ? sql<string>`e.tx::text`.as('tx_text') : sql<string>`e.tx`.as('tx_text'))
      .where(filter);
    if (dialect === 'postgres') {
      q = q.where(sql<boolean>`e.tx < pg_snapshot_xmin(pg_current_snapshot())`);
      if (after) q = q.where(sql<boolean>`(e.tx, e.seq) > (${after.tx}::xid8, ${after.seq})`);
      return q.orderBy('e.tx').orderBy('e.seq');
    }
    if (after) q = q.where('e.seq', '>', after.seq);
    return q.orderBy('e.seq');
  }

  async function readFeed(
    filter: (eb: ExpressionBuilder<FeedTables, 'e' | 'l'>) => Expression<SqlBool>,
    after: FeedCursor | null,
    limit: number,
  ): Promise<FeedEvent[]> {
    const rows = await feedFrom(filter, after)
      .innerJoin('senders as s', 's.id', 'e.sender_id')
      .select([
        'e.id',
        'e.letter_id',
        'e.sender_id',
        'e.type',
        'e.at',
        'e.data',
        'e.receipt',
        'l.external_id',
        'l.mailbox_id',
        'l.recipient_type',
        'l.recipient_id',
        's.org_number',
      ])
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      ...toEvent(r),
      externalId: r.external_id,
      mailboxId: r.mailbox_id,
      senderOrgNumber: r.org_number,
      recipientType: r.recipient_type as FeedEvent['recipientType'],
      recipientId: r.recipient_id,
      cursor: { tx: r.tx_text, seq: Number(r.seq) },
    }));
  }

  /** The newest event a reader may see (in PostgreSQL: of committed transactions only), for one sender or all. */
  async function latestVisible(senderId?: string): Promise<{ tx: string; seq: number } | null> {
    let q = db
      .selectFrom('events as e')
      .select(['e.seq'])
      .select(dialect === 'postgres' ? sql<string>`e.tx::text`.as('tx_text') : sql<string>`e.tx`.as('tx_text'));
    if (senderId !== undefined) q = q.where('e.sender_id', '=', senderId);
    q =
      dialect === 'postgres'
        ? q
            .where(sql<boolean>`e.tx < pg_snapshot_xmin(pg_current_snapshot())`)
            .orderBy('e.tx', 'desc')
            .orderBy('e.seq', 'desc')
        : q.orderBy('e.seq', 'desc');
    const row = await q.limit(1).executeTakeFirst();
    return row ? { tx: row.tx_text, seq: Number(row.seq) } : null;
  }

  return {
    async append(events) {
      await runStatement(ctx, eventsInsertStatement(ctx, await withReceipts(ctx, events)));
    },
    async listByLetter(letterId) {
      const rows = await db
        .selectFrom('events')
        .select(['seq', 'id', 'letter_id', 'sender_id', 'type', 'at', 'data', 'receipt'])
        .where('letter_id', '=', letterId)
        .orderBy('seq')
        .execute();
      return rows.map(toEvent);
    },
    async feed(senderId, after, limit) {
      return readFeed((eb) => eb('e.sender_id', '=', senderId), after, limit);
    },
    async globalFeed(after, types, limit) {
      return readFeed((eb) => eb('e.type', 'in', types), after, limit);
    },
    async latestGlobalCursor() {
      return latestVisible();
    },
    async since(after, limit) {
      // The feed's order and visibility, of the events alone (no letter to join).
      let q = db
        .selectFrom('events as e')
        .select(['e.seq', 'e.id', 'e.letter_id', 'e.sender_id', 'e.type', 'e.at', 'e.data', 'e.receipt'])
        .select(dialect === 'postgres' ? sql<string>`e.tx::text`.as('tx_text') : sql<string>`e.tx`.as('tx_text'));
      if (dialect === 'postgres') {
        q = q.where(sql<boolean>`e.tx < pg_snapshot_xmin(pg_current_snapshot())`);
        if (after) q = q.where(sql<boolean>`(e.tx, e.seq) > (${after.tx}::xid8, ${after.seq})`);
        q = q.orderBy('e.tx').orderBy('e.seq');
      } else {
        if (after) q = q.where('e.seq', '>', after.seq);
        q = q.orderBy('e.seq');
      }
      const rows = await q.limit(limit).execute();
      return rows.map((r) => ({ ...toEvent(r), cursor: { tx: r.tx_text, seq: Number(r.seq) } }));
    },
    async deliveredForNotice(after, limit) {
      const rows = await feedFrom((eb) => eb('e.type', '=', 'DELIVERED'), after)
        .select([
          'e.at',
          'e.letter_id',
          'l.status',
          'l.mailbox_id',
          'l.delivered_at',
          'l.legal_notification',
          'l.notification_options',
        ])
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        cursor: { tx: r.tx_text, seq: Number(r.seq) },
        at: r.at,
        letter: {
          id: r.letter_id,
          status: r.status as Letter['status'],
          mailboxId: r.mailbox_id,
          deliveredAt: r.delivered_at,
          legalNotification: r.legal_notification === 1,
          notificationOptions: notificationOptionsOf(r.notification_options),
        },
      }));
    },
    async latestCursor(senderId) {
      return latestVisible(senderId);
    },
  };
}
