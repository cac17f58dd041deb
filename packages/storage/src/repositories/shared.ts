import type { Kysely } from 'kysely';
import type { Database, Dialect } from '../schema/index.js';

export type Db = Kysely<Database>;
export type RepoContext = { db: Db; dialect: Dialect };

export const bool = (v: boolean): number => (v ? 1 : 0);
export const toBytes = (v: Uint8Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
