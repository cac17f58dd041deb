import type { Letter, Repositories } from '@postkasse/core';
import type { Updateable } from 'kysely';
import type { LetterRow } from '../schema/letters.js';
import { bool, type RepoContext } from './shared.js';

const toLetter = (r: LetterRow): Letter => ({
  id: r.id,
  senderId: r.sender_id,
  externalId: r.external_id,
  requestHash: r.request_hash,
  recipientType: r.recipient_type as Letter['recipientType'],
  recipientId: r.recipient_id,
  mailboxId: r.mailbox_id,
  status: r.status as Letter['status'],
  rejectReason: r.reject_reason as Letter['rejectReason'],
  subject: r.subject,
  nonSensitiveTitle: r.non_sensitive_title,
  authLevel: r.auth_level as Letter['authLevel'],
  sensitivity: r.sensitivity as Letter['sensitivity'],
  openingReceipt: r.opening_receipt === 1,
  legalNotification: r.legal_notification === 1,
  mandatory: r.mandatory === 1,
  senderReference: r.sender_reference,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  openedAt: r.opened_at,
  folderId: r.folder_id,
  readAt: r.read_at,
  trashedAt: r.trashed_at,
  restoreFolderId: r.restore_folder_id,
  documentCount: Number(r.document_count),
  totalBytes: Number(r.total_bytes),
});

export function lettersRepository({ db }: RepoContext): Repositories['letters'] {
  return {
    async insertIfAbsent(l) {
      const inserted = await db
        .insertInto('letters')
        .values({
          id: l.id,
          sender_id: l.senderId,
          external_id: l.externalId,
          request_hash: l.requestHash,
          recipient_type: l.recipientType,
          recipient_id: l.recipientId,
          mailbox_id: l.mailboxId,
          status: l.status,
          reject_reason: l.rejectReason,
          subject: l.subject,
          non_sensitive_title: l.nonSensitiveTitle,
          auth_level: l.authLevel,
          sensitivity: l.sensitivity,
          opening_receipt: bool(l.openingReceipt),
          legal_notification: bool(l.legalNotification),
          mandatory: bool(l.mandatory),
          sender_reference: l.senderReference,
          created_at: l.createdAt,
          delivered_at: l.deliveredAt,
          opened_at: l.openedAt,
          folder_id: l.folderId,
          read_at: l.readAt,
          trashed_at: l.trashedAt,
          restore_folder_id: l.restoreFolderId,
          document_count: l.documentCount,
          total_bytes: l.totalBytes,
        })
        .onConflict((oc) => oc.columns(['sender_id', 'external_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async findByExternalId(senderId, externalId) {
      const row = await db
        .selectFrom('letters')
        .selectAll()
        .where('sender_id', '=', senderId)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row ? toLetter(row) : null;
    },
    async getInMailbox(mailboxId, id) {
      const row = await db
        .selectFrom('letters')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toLetter(row) : null;
    },
    async listInFolder(mailboxId, folderId, after, limit) {
      let q = db
        .selectFrom('letters')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('folder_id', '=', folderId);
      if (after) {
        q = q.where((eb) => eb(eb.refTuple('delivered_at', 'id'), '<', eb.tuple(after.deliveredAt, after.id)));
      }
      const rows = await q.orderBy('delivered_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toLetter);
    },
    async update(mailboxId, id, patch) {
      const set: Updateable<LetterRow> = {};
      if (patch.folderId !== undefined) set.folder_id = patch.folderId;
      if (patch.readAt !== undefined) set.read_at = patch.readAt;
      if (patch.trashedAt !== undefined) set.trashed_at = patch.trashedAt;
      if (patch.restoreFolderId !== undefined) set.restore_folder_id = patch.restoreFolderId;
      if (patch.openedAt !== undefined) set.opened_at = patch.openedAt;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('letters').set(set).where('mailbox_id', '=', mailboxId).where('id', '=', id).execute();
    },
    async markOpened(mailboxId, id, at) {
      const result = await db
        .updateTable('letters')
        .set((eb) => ({ opened_at: at, read_at: eb.fn.coalesce('read_at', eb.val(at)) }))
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .where('opened_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async moveAll(mailboxId, fromFolderId, toFolderId) {
      await db
        .updateTable('letters')
        .set({ folder_id: toFolderId })
        .where('mailbox_id', '=', mailboxId)
        .where('folder_id', '=', fromFolderId)
        .execute();
      await db
        .updateTable('letters')
        .set({ restore_folder_id: toFolderId })
        .where('mailbox_id', '=', mailboxId)
        .where('restore_folder_id', '=', fromFolderId)
        .execute();
    },
  };
}
