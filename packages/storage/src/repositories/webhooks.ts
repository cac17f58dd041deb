import type { Repositories, Webhook } from '@postkasse/core';
import type { ExpressionBuilder, Updateable } from 'kysely';
import type { WebhookRow } from '../schema/delivery.js';
import type { Database } from '../schema/index.js';
import { type RepoContext, toBytes } from './shared.js';

const toWebhook = (r: WebhookRow): Webhook => ({
  id: r.id,
  senderId: r.sender_id,
  url: r.url,
  sealedSecret: r.secret,
  status: r.status as Webhook['status'],
  cursor: r.cursor_tx !== null && r.cursor_seq !== null ? { tx: r.cursor_tx, seq: Number(r.cursor_seq) } : null,
  nextAttemptAt: r.next_attempt_at,
  leaseUntil: r.lease_until,
  failingSince: r.failing_since,
  lastError: r.last_error,
  lastDeliveredAt: r.last_delivered_at,
  createdAt: r.created_at,
});

export function webhooksRepository({ db, dialect }: RepoContext): Repositories['webhooks'] {
  /** Leasable webhooks: active, their next attempt due, and no worker holding them. */
  const free = (now: string) => (eb: ExpressionBuilder<Database, 'webhooks'>) =>
    eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]);
  const dueHooks = (now: string, limit: number) =>
    db
      .selectFrom('webhooks')
      .select('id')
      .where('status', '=', 'active')
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .where(free(now))
      .limit(limit);
  return {
    async insert(h) {
      await db
        .insertInto('webhooks')
        .values({
          id: h.id,
          sender_id: h.senderId,
          url: h.url,
          secret: toBytes(h.sealedSecret),
          status: h.status,
          cursor_tx: h.cursor?.tx ?? null,
          cursor_seq: h.cursor?.seq ?? null,
          next_attempt_at: h.nextAttemptAt,
          lease_until: h.leaseUntil,
          failing_since: h.failingSince,
          last_error: h.lastError,
          last_delivered_at: h.lastDeliveredAt,
          created_at: h.createdAt,
        })
        .execute();
    },
    async list(senderId) {
      const rows = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('sender_id', '=', senderId)
        .orderBy('created_at')
        .execute();
      return rows.map(toWebhook);
    },
    async get(senderId, id) {
      const row = await db
        .selectFrom('webhooks')
        .selectAll()
        .where('sender_id', '=', senderId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toWebhook(row) : null;
    },
    async delete(senderId, id) {
      await db.deleteFrom('webhook_failures').where('webhook_id', '=', id).execute();
      await db.deleteFrom('webhooks').where('sender_id', '=', senderId).where('id', '=', id).execute();
    },
    async anyDue(now) {
      return (await dueHooks(now, 1).execute()).length > 0;
    },
    async lease(now, leaseUntil, limit) {
      let due = dueHooks(now, limit);
      // Workers side by side on PostgreSQL: each takes rows the others have not locked.
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('webhooks')
        .set({ lease_until: leaseUntil })
        .where('id', 'in', due)
        .where(free(now))
        .returningAll()
        .execute();
      return rows.map(toWebhook);
    },
    async update(id, p) {
      const set: Updateable<WebhookRow> = {};
      if (p.cursor !== undefined) {
        set.cursor_tx = p.cursor?.tx ?? null;
        set.cursor_seq = p.cursor?.seq ?? null;
      }
      if (p.nextAttemptAt !== undefined) set.next_attempt_at = p.nextAttemptAt;
      if (p.leaseUntil !== undefined) set.lease_until = p.leaseUntil;
      if (p.failingSince !== undefined) set.failing_since = p.failingSince;
      if (p.lastError !== undefined) set.last_error = p.lastError;
      if (p.lastDeliveredAt !== undefined) set.last_delivered_at = p.lastDeliveredAt;
      if (p.status !== undefined) set.status = p.status;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('webhooks').set(set).where('id', '=', id).execute();
    },
    async recordFailure(webhookId, eventId, at, error) {
      await db
        .insertInto('webhook_failures')
        .values({ webhook_id: webhookId, event_id: eventId, failed_at: at, error })
        .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
        .execute();
    },
    async failures(webhookId) {
      const rows = await db
        .selectFrom('webhook_failures')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .orderBy('failed_at')
        .execute();
      return rows.map((r) => ({ eventId: r.event_id, failedAt: r.failed_at, error: r.error }));
    },
  };
}
