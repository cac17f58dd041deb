import type { Repositories } from '@postkasse/core';
import { prepared } from './prepared.js';
import { type RepoContext, toBytes } from './shared.js';

const insertBlob = prepared((db, $) =>
  db
    .insertInto('blob_contents')
    .values({ key: $('key'), created_at: $('created_at'), data: $('data') })
    .onConflict((oc) => oc.column('key').doNothing())
    .returning('key'),
);
const insertBlobRow = prepared((db, $) =>
  db.insertInto('blob_contents').values({ key: $('key'), created_at: $('created_at'), data: $('data') }),
);
const blobByKey = prepared((db, $) => db.selectFrom('blob_contents').select('data').where('key', '=', $('key')));

/** The insert of a blob unless its key exists (then it returns no row), compiled. */
export function blobInsertStatement(ctx: RepoContext, key: string, data: Uint8Array, createdAt: string) {
  return insertBlob.compile(ctx, { key, created_at: createdAt, data: toBytes(data) });
}

/** The insert of a blob that belongs to a new row (its key is new: taken, it fails), compiled. */
export function blobRowStatement(ctx: RepoContext, key: string, data: Uint8Array, createdAt: string) {
  return insertBlobRow.compile(ctx, { key, created_at: createdAt, data: toBytes(data) });
}

export function blobContentsRepository(ctx: RepoContext): Repositories['blobContents'] {
  const { db } = ctx;
  return {
    async insert(key, data, createdAt) {
      const { rows } = await ctx.db.executeQuery(blobInsertStatement(ctx, key, data, createdAt));
      return rows.length > 0;
    },
    async get(key) {
      const [row] = (await blobByKey.execute(ctx, { key })).rows;
      return row ? row.data : null;
    },
    async delete(key) {
      await db.deleteFrom('blob_contents').where('key', '=', key).execute();
    },
    async existing(keys) {
      if (keys.length === 0) return new Set();
      const rows = await db.selectFrom('blob_contents').select('key').where('key', 'in', keys).execute();
      return new Set(rows.map((r) => r.key));
    },
    async listOlderThan(olderThan, afterKey, limit) {
      let query = db
        .selectFrom('blob_contents')
        .select('key')
        .where('created_at', '<', olderThan)
        .orderBy('key')
        .limit(limit);
      if (afterKey !== null) query = query.where('key', '>', afterKey);
      return (await query.execute()).map((r) => r.key);
    },
  };
}
