import type { ReceiptSigner } from '@postkasse/core';
import type { CompiledQuery, Kysely } from 'kysely';
import type { Database, Dialect } from '../schema/index.js';

export type Db = Kysely<Database>;
/** `receipts`: signs the receipt of an event written without one (see events.append). */
export type RepoContext = { db: Db; dialect: Dialect; receipts?: ReceiptSigner | undefined };

/** Runs a compiled statement (none: nothing to do). */
export async function runStatement(ctx: RepoContext, statement: CompiledQuery | null): Promise<void> {
  if (statement) await ctx.db.executeQuery(statement);
}

export const bool = (v: boolean): number => (v ? 1 : 0);
export const toBytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
