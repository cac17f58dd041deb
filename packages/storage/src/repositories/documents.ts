import type { Repositories, StoredDocument } from '@postkasse/core';
import type { CompiledQuery } from 'kysely';
import type { DocumentRow } from '../schema/documents.js';
import { preparedInsert } from './prepared.js';
import { type RepoContext, runStatement, toBytes } from './shared.js';

const toDocument = (r: DocumentRow): StoredDocument => ({
  id: r.id,
  letterId: r.letter_id,
  ordinal: r.ordinal,
  role: r.role as StoredDocument['role'],
  title: r.title,
  filename: r.filename,
  mediaType: r.media_type,
  language: r.language,
  size: Number(r.size),
  sha256: r.sha256,
  blobKey: r.blob_key,
  wrappedKey: r.wrapped_key,
  contentId: r.content_id ?? r.id,
  sealedMeta: r.sealed_meta,
});

const insertDocuments = preparedInsert('documents');

/** A document's sealed title and file name, with the plain columns they replace emptied. */
const sealedColumns = (sealedMeta: Uint8Array) => ({ sealed_meta: toBytes(sealedMeta), title: null, filename: '' });

/** The insert of a letter's documents, compiled (null for none). */
export function documentsInsertStatement(ctx: RepoContext, docs: StoredDocument[]): CompiledQuery | null {
  return insertDocuments(
    ctx,
    docs.map((d) => ({
      id: d.id,
      letter_id: d.letterId,
      ordinal: d.ordinal,
      role: d.role,
      title: d.title,
      filename: d.filename,
      media_type: d.mediaType,
      language: d.language,
      size: d.size,
      sha256: d.sha256,
      blob_key: d.blobKey,
      wrapped_key: toBytes(d.wrappedKey),
      content_id: d.contentId === d.id ? null : d.contentId,
      sealed_meta: d.sealedMeta ? toBytes(d.sealedMeta) : null,
    })),
  );
}

export function documentsRepository(ctx: RepoContext): Repositories['documents'] {
  const { db } = ctx;
  return {
    async insertMany(docs) {
      await runStatement(ctx, documentsInsertStatement(ctx, docs));
    },
    async listByLetter(letterId) {
      const rows = await db
        .selectFrom('documents')
        .selectAll()
        .where('letter_id', '=', letterId)
        .orderBy('ordinal')
        .execute();
      return rows.map(toDocument);
    },
    async get(letterId, id) {
      const row = await db
        .selectFrom('documents')
        .selectAll()
        .where('letter_id', '=', letterId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDocument(row) : null;
    },
    async rewrap(keys) {
      for (const k of keys) {
        await db
          .updateTable('documents')
          .set({ wrapped_key: toBytes(k.wrappedKey), ...(k.sealedMeta ? sealedColumns(k.sealedMeta) : {}) })
          .where('id', '=', k.id)
          .execute();
      }
    },
    async listUnsealed(limit) {
      const rows = await db
        .selectFrom('documents')
        .innerJoin('letters', 'letters.id', 'documents.letter_id')
        .selectAll('documents')
        .select('letters.mailbox_id')
        .where('documents.sealed_meta', 'is', null)
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...toDocument(r), mailboxId: r.mailbox_id }));
    },
    async setSealedMeta(id, mailboxId, sealedMeta) {
      const result = await db
        .updateTable('documents')
        .set(sealedColumns(sealedMeta))
        .where('id', '=', id)
        .where('sealed_meta', 'is', null)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom('letters')
              .select('letters.id')
              .whereRef('letters.id', '=', 'documents.letter_id')
              .where('letters.mailbox_id', mailboxId === null ? 'is' : '=', mailboxId),
          ),
        )
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async deleteByLetter(letterId) {
      await db.deleteFrom('documents').where('letter_id', '=', letterId).execute();
    },
    async referencedBlobKeys(keys) {
      if (keys.length === 0) return new Set();
      const rows = await db
        .selectFrom('documents')
        .select('blob_key')
        .where('blob_key', 'in', keys)
        .union(db.selectFrom('batch_documents').select('blob_key').where('blob_key', 'in', keys))
        .execute();
      return new Set(rows.map((r) => r.blob_key));
    },
    async blobKeyPage(afterKey, limit) {
      // The next `limit` keys of each table (each its own index range scan: a union sorted as a
      // whole would read every remaining key on each page), merged; then their documents.
      const after = afterKey ?? '';
      const next = (table: 'documents' | 'batch_documents') =>
        db
          .selectFrom(table)
          .select('blob_key')
          .distinct()
          .where('blob_key', '>', after)
          .orderBy('blob_key')
          .limit(limit)
          .execute();
      const [fromLetters, fromBatches] = await Promise.all([next('documents'), next('batch_documents')]);
      const keys = [...new Set([...fromLetters, ...fromBatches].map((r) => r.blob_key))].sort().slice(0, limit);
      if (keys.length === 0) return [];
      const letters = await db
        .selectFrom('documents')
        .select(['blob_key', 'id', 'letter_id'])
        .where('blob_key', 'in', keys)
        .execute();
      const batches = await db
        .selectFrom('batch_documents')
        .select(['blob_key', 'id'])
        .where('blob_key', 'in', keys)
        .execute();
      return [
        ...letters.map((r) => ({ blobKey: r.blob_key, documentId: r.id, letterId: r.letter_id })),
        ...batches.map((r) => ({ blobKey: r.blob_key, documentId: r.id, letterId: null })),
      ].sort((a, b) => (a.blobKey < b.blobKey ? -1 : a.blobKey > b.blobKey ? 1 : 0));
    },
    async newestOutsideBlobKeys(limit) {
      const rows = await db
        .selectFrom('documents')
        .select('blob_key')
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(selectFrom('blob_contents').select('key').whereRef('blob_contents.key', '=', 'documents.blob_key')),
          ),
        )
        .orderBy('blob_key', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => r.blob_key);
    },
  };
}
