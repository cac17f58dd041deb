import type { Letter, Repositories } from '@postkasse/core';
import { type ExpressionBuilder, sql, type Updateable } from 'kysely';
import type { Database } from '../schema/index.js';
import type { LetterRow } from '../schema/letters.js';
import { prepared, rowPlaceholders } from './prepared.js';
import { bool, type RepoContext, toBytes } from './shared.js';

export const notificationOptionsOf = (text: string | null): Letter['notificationOptions'] =>
  text ? (JSON.parse(text) as Letter['notificationOptions']) : null;

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
  deliverAt: r.deliver_at,
  holdUntil: r.hold_until,
  printDetails: r.print_details ? (JSON.parse(r.print_details) as Letter['printDetails']) : null,
  printIfUnreadAfter: r.print_if_unread_after,
  batchId: r.batch_id,
  plannedStatus: r.planned_status as Letter['plannedStatus'],
  extras: r.extras,
  notificationOptions: notificationOptionsOf(r.notification_options),
  replyBy: r.reply_by,
  actions: r.actions,
  sealedMeta: r.sealed_meta,
});

const toRow = (l: Letter) => ({
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
  deliver_at: l.deliverAt,
  hold_until: l.holdUntil,
  print_details: l.printDetails ? JSON.stringify(l.printDetails) : null,
  print_if_unread_after: l.printIfUnreadAfter,
  batch_id: l.batchId,
  planned_status: l.plannedStatus,
  extras: l.extras ? toBytes(l.extras) : null,
  notification_options: l.notificationOptions ? JSON.stringify(l.notificationOptions) : null,
  // Only a letter written in plain text keeps a copy of its subject for search (letter-meta.ts).
  search_subject: l.sealedMeta ? null : l.subject.toLocaleLowerCase('nb'),
  search_title: l.nonSensitiveTitle?.toLocaleLowerCase('nb') ?? null,
  reply_by: l.replyBy,
  actions: l.actions ? toBytes(l.actions) : null,
  sealed_meta: l.sealedMeta ? toBytes(l.sealedMeta) : null,
});

// The statements every letter sent runs, compiled once (see prepared.ts).
const insertLetter = prepared((db, $, count, columns) =>
  db
    .insertInto('letters')
    .values(rowPlaceholders($, count, columns) as never)
    .onConflict((oc) => oc.columns(['sender_id', 'external_id']).doNothing())
    .returning('id'),
);
/** The insert of a new letter unless the sender used its id already (then it returns no row), compiled. */
export function letterInsertStatement(ctx: RepoContext, l: Letter) {
  return insertLetter.compileRows(ctx, [toRow(l)]);
}

const letterParents = prepared((db, $) =>
  db
    .selectNoFrom((eb) => [eb.lit(1).as('found')])
    .where((eb) =>
      eb.and([
        eb.exists(eb.selectFrom('senders').select('id').where('id', '=', $('senderId'))),
        eb.or([
          eb(eb.cast(eb.val($('mailboxId')), 'text'), 'is', null),
          eb.exists(eb.selectFrom('mailboxes').select('id').where('id', '=', $('mailboxId'))),
        ]),
        eb.or([
          eb(eb.cast(eb.val($('folderId')), 'text'), 'is', null),
          eb.exists(eb.selectFrom('folders').select('id').where('id', '=', $('folderId'))),
        ]),
      ]),
    ),
);
/**
 * A row when a letter's sender, mailbox and folder exist: what its foreign keys check, as a check
 * statement of its unit of work (see units.ts) for a connection that runs without them. The
 * casts give a parameter that is only compared with null a type on PostgreSQL too.
 */
export function letterParentsStatement(ctx: RepoContext, l: Letter) {
  return letterParents.compile(ctx, { senderId: l.senderId, mailboxId: l.mailboxId, folderId: l.folderId });
}

/** The constraint a letter breaks when its sender used its id already. */
export const LETTER_ID_TAKEN = 'letters_sender_external';
const insertLetterStrict = prepared((db, $, count, columns) =>
  db.insertInto('letters').values(rowPlaceholders($, count, columns) as never),
);
/** The insert of a new letter that fails (`LETTER_ID_TAKEN`) when the sender used its id already, compiled. */
export function letterInsertStrictStatement(ctx: RepoContext, l: Letter) {
  return insertLetterStrict.compileRows(ctx, [toRow(l)]);
}

const letterByExternalId = prepared((db, $) =>
  db
    .selectFrom('letters')
    .selectAll()
    .where('sender_id', '=', $('senderId'))
    .where('external_id', '=', $('externalId')),
);
const letterById = prepared((db, $) => db.selectFrom('letters').selectAll().where('id', '=', $('id')));

/** A random UUID computed by the database, for rows a statement creates in bulk. */
const uuidSql = (dialect: RepoContext['dialect']) =>
  dialect === 'postgres'
    ? sql`gen_random_uuid()::text`
    : sql`lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

/** A timestamp parameter in a statement that builds rows from a SELECT (PostgreSQL wants its type). */
const timestampSql = (dialect: RepoContext['dialect'], at: string) =>
  dialect === 'postgres' ? sql`${at}::timestamptz` : sql`${at}`;

/** An ISO-8601 UTC text of a timestamp column, for JSON built in SQL. */
const isoSql = (dialect: RepoContext['dialect'], column: string) =>
  dialect === 'postgres'
    ? sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
    : sql.ref(column);

/** A letter's sealed fields, with the plain columns they replace emptied (letter-meta.ts). */
const sealedColumns = (sealedMeta: Uint8Array | null): Updateable<LetterRow> =>
  sealedMeta
    ? {
        sealed_meta: toBytes(sealedMeta),
        subject: '',
        search_subject: null,
        sender_reference: null,
        print_details: null,
        // Held in the seal (letter-meta.ts); an older version's platform-sealed copies go.
        actions: null,
        extras: null,
      }
    : {};

/** Rows whose actions or extras an older version sealed with the platform key, in columns of their own. */
const platformSealedSecrets = (eb: ExpressionBuilder<Database, 'letters'>) =>
  eb.or([eb('actions', 'is not', null), eb('extras', 'is not', null)]);

/** The letters' repository but for `insertWithContents`, which index.ts adds (it runs repositories/units.ts). */
export function lettersRepository(ctx: RepoContext): Omit<Repositories['letters'], 'insertWithContents'> {
  const { db, dialect } = ctx;
  /**
   * Keeps a letter's new seal and empties the columns it holds, if the row is still as it was read
   * (its fields plain, or its actions or extras still under the platform key) and still in
   * `mailboxId`, the keyholder it was sealed for.
   */
  const keepSeal = async (
    id: string,
    mailboxId: string | null,
    sealedMeta: Uint8Array,
    still: 'plain' | 'platform-sealed secrets',
  ) => {
    let q = db.updateTable('letters').set(sealedColumns(sealedMeta)).where('id', '=', id);
    q =
      still === 'plain'
        ? q.where('sealed_meta', 'is', null)
        : q.where('sealed_meta', 'is not', null).where(platformSealedSecrets);
    const result = await q.where('mailbox_id', mailboxId === null ? 'is' : '=', mailboxId).executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };
  return {
    async insertIfAbsent(l) {
      const { rows } = await ctx.db.executeQuery(letterInsertStatement(ctx, l));
      return rows.length > 0;
    },
    async insertManyIfAbsent(letters) {
      const inserted = new Set<string>();
      // 38 columns a row: 200 rows stay below SQLite's limit of 32,766 parameters a statement.
      for (let i = 0; i < letters.length; i += 200) {
        const rows = await db
          .insertInto('letters')
          .values(letters.slice(i, i + 200).map(toRow))
          .onConflict((oc) => oc.columns(['sender_id', 'external_id']).doNothing())
          .returning('id')
          .execute();
        for (const r of rows) inserted.add(r.id);
      }
      return inserted;
    },
    async findManyByExternalIds(senderId, externalIds) {
      if (externalIds.length === 0) return [];
      const rows = await db
        .selectFrom('letters')
        .selectAll()
        .where('sender_id', '=', senderId)
        .where('external_id', 'in', externalIds)
        .execute();
      return rows.map(toLetter);
    },
    async findByExternalId(senderId, externalId) {
      const [row] = (await letterByExternalId.execute(ctx, { senderId, externalId })).rows;
      return row ? toLetter(row) : null;
    },
    async getInMailbox(mailboxId, id) {
      const row = await db
        .selectFrom('letters')
        .selectAll()
        .where('mailbox_id', '=', mailboxId)
        .where('id', '=', id)
        .where('delivered_at', 'is not', null)
        .executeTakeFirst();
      return row ? toLetter(row) : null;
    },
    async get(id) {
      const [row] = (await letterById.execute(ctx, { id })).rows;
      return row ? toLetter(row) : null;
    },
    async getMany(ids) {
      const letters: Letter[] = [];
      // At most 500 ids a statement: well within both databases' limits on parameters.
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom('letters')
          .selectAll()
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        for (const row of rows) letters.push(toLetter(row));
      }
      return letters;
    },
    async transition(id, from, patch) {
      const set: Updateable<LetterRow> = {};
      if (patch.status !== undefined) set.status = patch.status;
      if (patch.mailboxId !== undefined) set.mailbox_id = patch.mailboxId;
      if (patch.folderId !== undefined) set.folder_id = patch.folderId;
      if (patch.deliveredAt !== undefined) set.delivered_at = patch.deliveredAt;
      if (patch.rejectReason !== undefined) set.reject_reason = patch.rejectReason;
      if (patch.holdUntil !== undefined) set.hold_until = patch.holdUntil;
      if (patch.plannedStatus !== undefined) set.planned_status = patch.plannedStatus;
      if (patch.sealedMeta !== undefined) Object.assign(set, sealedColumns(patch.sealedMeta));
      const result = await db
        .updateTable('letters')
        .set(set)
        .where('id', '=', id)
        .where('status', 'in', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async purgeTrashed(id, trashedBefore, sealedMeta) {
      const result = await db
        .updateTable('letters')
        .set({ mailbox_id: null, folder_id: null, restore_folder_id: null, ...sealedColumns(sealedMeta) })
        .where('id', '=', id)
        .where('trashed_at', 'is not', null)
        .where('trashed_at', '<=', trashedBefore)
        .where('mailbox_id', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async listHeld(recipientType, recipientId, senderId) {
      let q = db
        .selectFrom('letters')
        .selectAll()
        .where('recipient_type', '=', recipientType)
        .where('recipient_id', '=', recipientId)
        // Written as the partial index letters_held states it, so any plan can use it (also a
        // generic one on PostgreSQL, which cannot see a parameter's value).
        .where(sql<boolean>`status = 'HELD'`);
      if (senderId) q = q.where('sender_id', '=', senderId);
      return (await q.orderBy('created_at').execute()).map(toLetter);
    },
    async commitBatch(batchId, at) {
      const pending = db.selectFrom('letters').where('batch_id', '=', batchId).where('status', '=', 'PENDING');
      const uuid = uuidSql(dialect);
      const atValue = timestampSql(dialect, at);
      const data = sql<string>`case planned_status
        when 'HELD' then '{"until":"' || ${isoSql(dialect, 'hold_until')} || '"}'
        when 'PRINT_QUEUED' then '{"reason":"' || reject_reason || '"}'
        else '{}' end`;
      await db
        .insertInto('events')
        .columns(['id', 'letter_id', 'sender_id', 'type', 'at', 'data'])
        .expression(
          pending
            .select([
              uuid.as('id'),
              'id as letter_id',
              'sender_id',
              sql<string>`planned_status`.as('type'),
              atValue.as('at'),
              data.as('data'),
            ])
            .where('planned_status', 'in', ['DELIVERED', 'HELD', 'PRINT_QUEUED'])
            .orderBy('created_at')
            .orderBy('id'),
        )
        .execute();
      const job = (kind: string, runAt: ReturnType<typeof sql>) =>
        pending.select([
          uuid.as('id'),
          sql<string>`${kind}`.as('kind'),
          'id as ref',
          sql<string>`'{}'`.as('payload'),
          runAt.as('run_at'),
          sql<string>`'pending'`.as('status'),
          sql<number>`0`.as('attempts'),
          atValue.as('created_at'),
        ]);
      const jobColumns = ['id', 'kind', 'ref', 'payload', 'run_at', 'status', 'attempts', 'created_at'] as const;
      for (const [kind, planned, runAt] of [
        ['letter.print', 'PRINT_QUEUED', atValue],
        ['letter.hold_expired', 'HELD', sql.ref('hold_until')],
        ['letter.due', 'SCHEDULED', sql.ref('deliver_at')],
      ] as const) {
        await db
          .insertInto('jobs')
          .columns([...jobColumns])
          .expression(job(kind, runAt).where('planned_status', '=', planned))
          .execute();
      }
      await db
        .insertInto('jobs')
        .columns([...jobColumns])
        .expression(
          job('letter.print_if_unread', sql.ref('print_if_unread_after'))
            .where('planned_status', '=', 'DELIVERED')
            .where('print_if_unread_after', 'is not', null),
        )
        .execute();
      const result = await db
        .updateTable('letters')
        .set({
          status: sql`planned_status`,
          folder_id: sql`case when planned_status = 'DELIVERED' then (select f.id from folders f where f.mailbox_id = letters.mailbox_id and f.kind = 'inbox') end`,
          delivered_at: sql`case when planned_status = 'DELIVERED' then ${atValue} end`,
          planned_status: null,
        })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'PENDING')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async pendingNoLongerDeliverable(batchId, senderKind) {
      const rows = await db
        .selectFrom('letters as l')
        .leftJoin('persons as p', (j) =>
          j.onRef('p.national_id', '=', 'l.recipient_id').on('l.recipient_type', '=', 'person'),
        )
        .leftJoin('mailboxes as m', 'm.id', 'l.mailbox_id')
        .leftJoin('consents as c', (j) =>
          j
            .onRef('c.national_id', '=', 'l.recipient_id')
            .onRef('c.sender_id', '=', 'l.sender_id')
            .on('c.status', '=', 'active'),
        )
        .selectAll('l')
        .where('l.batch_id', '=', batchId)
        .where('l.status', '=', 'PENDING')
        .where('l.planned_status', '=', 'DELIVERED')
        .where((eb) =>
          eb.or([
            eb('m.status', '!=', 'active'),
            eb('p.status', '=', 'deleted'),
            ...(senderKind === 'public'
              ? [eb('p.reserved', '=', 1), eb('p.exempt', '=', 1)]
              : [eb.and([eb('l.recipient_type', '=', 'person'), eb('c.id', 'is', null)])]),
          ]),
        )
        .execute();
      return rows.map(toLetter);
    },
    async cancelBatch(batchId, at) {
      const uuid = uuidSql(dialect);
      const atValue = timestampSql(dialect, at);
      await db
        .insertInto('events')
        .columns(['id', 'letter_id', 'sender_id', 'type', 'at', 'data'])
        .expression(
          db
            .selectFrom('letters')
            .select([
              uuid.as('id'),
              'id as letter_id',
              'sender_id',
              sql<string>`'CANCELLED'`.as('type'),
              atValue.as('at'),
              sql<string>`'{}'`.as('data'),
            ])
            .where('batch_id', '=', batchId)
            .where('status', '=', 'PENDING')
            .orderBy('created_at')
            .orderBy('id'),
        )
        .execute();
      await db
        .deleteFrom('documents')
        .where(
          'letter_id',
          'in',
          db.selectFrom('letters').select('id').where('batch_id', '=', batchId).where('status', '=', 'PENDING'),
        )
        .execute();
      const result = await db
        .updateTable('letters')
        .set({ status: 'CANCELLED', planned_status: null })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'PENDING')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async listInFolder(mailboxId, folderId, after, limit, filter) {
      let q = db.selectFrom('letters').selectAll().where('mailbox_id', '=', mailboxId);
      // No folder: every letter the reader has, except the trash.
      q = folderId
        ? q.where('folder_id', '=', folderId)
        : q.where('delivered_at', 'is not', null).where('trashed_at', 'is', null);
      if (filter) {
        const levels = filter.visibleLevels.length > 0 ? filter.visibleLevels : ['none'];
        if (filter.senderIds) {
          const ids = filter.senderIds.length > 0 ? filter.senderIds : ['none'];
          q = q
            .where('sender_id', 'in', ids)
            .where((eb) => eb.or([eb('sensitivity', '=', 'normal'), eb('auth_level', 'in', levels)]));
        }
        if (filter.from) q = q.where('delivered_at', '>=', filter.from);
        if (filter.to) q = q.where('delivered_at', '<', filter.to);
        if (filter.unread !== undefined) q = q.where('read_at', filter.unread ? 'is' : 'is not', null);
      }
      if (after) {
        q = q.where((eb) => eb(eb.refTuple('delivered_at', 'id'), '<', eb.tuple(after.deliveredAt, after.id)));
      }
      const rows = await q.orderBy('delivered_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toLetter);
    },
    async listUnsealed(limit) {
      const rows = await db.selectFrom('letters').selectAll().where('sealed_meta', 'is', null).limit(limit).execute();
      return rows.map(toLetter);
    },
    async listPlatformSealedSecrets(limit) {
      const rows = await db
        .selectFrom('letters')
        .selectAll()
        .where('sealed_meta', 'is not', null)
        .where(platformSealedSecrets)
        .limit(limit)
        .execute();
      return rows.map(toLetter);
    },
    setSealedSecrets: (id, mailboxId, sealedMeta) => keepSeal(id, mailboxId, sealedMeta, 'platform-sealed secrets'),
    setSealedMeta: (id, mailboxId, sealedMeta) => keepSeal(id, mailboxId, sealedMeta, 'plain'),
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
