import type { NewLetterUnit } from '@postkasse/core';
import { CompiledQuery } from 'kysely';
import { blobInsertStatement, blobRowStatement } from './blob-contents.js';
import { documentsInsertStatement } from './documents.js';
import { eventsInsertStatement } from './events.js';
import { jobsInsertStatement } from './jobs.js';
import { letterInsertStatement, letterInsertStrictStatement, letterParentsStatement } from './letters.js';
import type { Db, RepoContext } from './shared.js';

/**
 * A guarded unit of work described as data: compiled statements run in order in one unit of
 * work. The first is the guard: when it changes no row (an insert that found its key taken), the
 * rest are skipped and the unit answers false. A SELECT after it is a check: when it finds no
 * row, the unit fails. Units that read nothing before they write can be described so and run
 * anywhere the connection is, such as SQLite's writer thread.
 */
export type GuardedUnit = CompiledQuery[];

/** What a new letter's row brings with it: its blobs, documents, events and jobs, in that order. */
function letterContents(ctx: RepoContext, unit: NewLetterUnit): CompiledQuery[] {
  const at = unit.letter.createdAt;
  const statements = [
    ...unit.blobs.map((b) => blobRowStatement(ctx, b.key, b.data, at)),
    documentsInsertStatement(ctx, unit.documents),
    eventsInsertStatement(ctx, unit.events),
    jobsInsertStatement(ctx, unit.jobs),
  ];
  return statements.filter((s) => s !== null);
}

/**
 * A new letter: its row first (the guard: the sender's id taken), then blobs, documents, events
 * and jobs. `checkParents` adds a check after the guard that its sender, mailbox and folder
 * exist, for a connection that runs without foreign keys (SQLite's writer thread); where they
 * are on, they check that already.
 */
export function letterUnit(
  ctx: RepoContext,
  unit: NewLetterUnit,
  options: { checkParents?: boolean } = {},
): GuardedUnit {
  const guard = letterInsertStatement(ctx, unit.letter);
  const contents = letterContents(ctx, unit);
  return options.checkParents ? [guard, letterParentsStatement(ctx, unit.letter), ...contents] : [guard, ...contents];
}

/**
 * Statements run as one PostgreSQL statement, each a data-modifying CTE (their parameters
 * renumbered): one round trip, and all or nothing without a transaction of its own. They run on
 * one snapshot and see none of each other's rows; foreign keys are checked at the statement's end.
 */
export function asOneStatement(statements: CompiledQuery[]): CompiledQuery {
  const parameters: unknown[] = [];
  const parts = statements.map((s, i) => {
    // Renumbering is safe only where every value is a parameter: a literal could hold a "$1".
    if (s.sql.includes("'")) throw new Error(`asOneStatement: a statement with a literal: ${s.sql}`);
    const offset = parameters.length;
    parameters.push(...s.parameters);
    return `s${i} as (${s.sql.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  return CompiledQuery.raw(`with ${parts.join(', ')} select 1 as done`, parameters);
}

/**
 * A new letter's unit as one PostgreSQL statement (see letterUnit): a sender id already used
 * fails all of it with a unique violation of `LETTER_ID_TAKEN` instead of skipping the rest.
 */
export function letterStatement(ctx: RepoContext, unit: NewLetterUnit): CompiledQuery {
  return asOneStatement([letterInsertStrictStatement(ctx, unit.letter), ...letterContents(ctx, unit)]);
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
    if (i > 0 && statement.query.kind === 'SelectQueryNode' && result.rows.length === 0) {
      throw Object.assign(new Error(`a check of the unit of work found no row: ${statement.sql}`), {
        code: 'UNIT_CHECK_FAILED',
      });
    }
  }
  return true;
}
