import type { NewLetterUnit } from '@postkasse/core';
import type { CompiledQuery } from 'kysely';
import { blobInsertStatement, blobRowStatement } from './blob-contents.js';
import { documentsInsertStatement } from './documents.js';
import { eventsInsertStatement } from './events.js';
import { jobsInsertStatement } from './jobs.js';
import { letterInsertStatement } from './letters.js';
import type { Db, RepoContext } from './shared.js';

/**
 * A guarded unit of work described as data: compiled statements run in order in one unit of
 * work. The first is the guard: when it changes no row (an insert that found its key taken), the
 * rest are skipped and the unit answers false. Units that read nothing before they write can be
 * described so and run anywhere the connection is, such as SQLite's writer thread.
 */
export type GuardedUnit = CompiledQuery[];

/** A new letter: its row first (the guard: the sender's id taken), then blobs, documents, events and jobs. */
export function letterUnit(ctx: RepoContext, unit: NewLetterUnit): GuardedUnit {
  const at = unit.letter.createdAt;
  const rest = [
    ...unit.blobs.map((b) => blobRowStatement(ctx, b.key, b.data, at)),
    documentsInsertStatement(ctx, unit.documents),
    eventsInsertStatement(ctx, unit.events),
    jobsInsertStatement(ctx, unit.jobs),
  ];
  return [letterInsertStatement(ctx, unit.letter), ...rest.filter((s) => s !== null)];
}

/** A blob kept in the database; the guard is its key (taken: false). */
export function blobUnit(ctx: RepoContext, key: string, data: Uint8Array, createdAt: string): GuardedUnit {
  return [blobInsertStatement(ctx, key, data, createdAt)];
}

/** Runs a guarded unit on `db`, inside the caller's transaction. */
export async function runGuarded(db: Db, unit: GuardedUnit): Promise<boolean> {
  for (const [i, statement] of unit.entries()) {
    const result = await db.executeQuery(statement);
    if (i === 0 && result.rows.length === 0 && !result.numAffectedRows) return false;
  }
  return true;
}
