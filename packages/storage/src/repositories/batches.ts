import type { Batch, BatchDocument, Repositories } from '@postkasse/core';
import type { BatchDocumentRow, BatchRow } from '../schema/delivery.js';
import { type RepoContext, toBytes } from './shared.js';

const toBatch = (r: BatchRow): Batch => ({
  id: r.id,
  senderId: r.sender_id,
  reference: r.reference,
  status: r.status as Batch['status'],
  createdAt: r.created_at,
  committedAt: r.committed_at,
  cancelledAt: r.cancelled_at,
});

const toDocument = (r: BatchDocumentRow): BatchDocument => ({
  id: r.id,
  batchId: r.batch_id,
  filename: r.filename,
  mediaType: r.media_type,
  size: Number(r.size),
  sha256: r.sha256,
  blobKey: r.blob_key,
  wrappedKey: r.wrapped_key,
  createdAt: r.created_at,
});

export function batchesRepository({ db, dialect }: RepoContext): Repositories['batches'] {
  return {
    async insert(b) {
      await db
        .insertInto('batches')
        .values({
          id: b.id,
          sender_id: b.senderId,
          reference: b.reference,
          status: b.status,
          created_at: b.createdAt,
          committed_at: b.committedAt,
          cancelled_at: b.cancelledAt,
        })
        .execute();
    },
    async get(senderId, id) {
      const row = await db
        .selectFrom('batches')
        .selectAll()
        .where('sender_id', '=', senderId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toBatch(row) : null;
    },
    async lock(senderId, id, mode) {
      let q = db.selectFrom('batches').selectAll().where('sender_id', '=', senderId).where('id', '=', id);
      // SQLite runs one writing unit at a time, so the lock is PostgreSQL's business only.
      if (dialect === 'postgres') q = mode === 'share' ? q.forShare() : q.forUpdate();
      const row = await q.executeTakeFirst();
      return row ? toBatch(row) : null;
    },
    async transition(id, from, to, at) {
      const result = await db
        .updateTable('batches')
        .set({ status: to, ...(to === 'committed' ? { committed_at: at } : { cancelled_at: at }) })
        .where('id', '=', id)
        .where('status', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async counts(batchId) {
      const rows = await db
        .selectFrom('letters')
        .select(['status'])
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('batch_id', '=', batchId)
        .groupBy('status')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },
    async insertDocument(d) {
      await db
        .insertInto('batch_documents')
        .values({
          id: d.id,
          batch_id: d.batchId,
          filename: d.filename,
          media_type: d.mediaType,
          size: d.size,
          sha256: d.sha256,
          blob_key: d.blobKey,
          wrapped_key: toBytes(d.wrappedKey),
          created_at: d.createdAt,
        })
        .execute();
    },
    async getDocument(batchId, id) {
      const row = await db
        .selectFrom('batch_documents')
        .selectAll()
        .where('batch_id', '=', batchId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDocument(row) : null;
    },
  };
}
