import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../schema/index.js';

/**
 * Search in a mailbox by subject and non-sensitive title: both kept lower-cased (with Unicode
 * rules, so "Å" finds "å" on SQLite too) beside the original.
 */
export function letterSearch(_dialect: Dialect) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`alter table letters add column search_subject text`.execute(db);
      await sql`alter table letters add column search_title text`.execute(db);
      const rows = await sql<{ id: string; subject: string; non_sensitive_title: string | null }>`
        select id, subject, non_sensitive_title from letters`.execute(db);
      for (const r of rows.rows) {
        await sql`update letters set search_subject = ${r.subject.toLocaleLowerCase('nb')},
          search_title = ${r.non_sensitive_title?.toLocaleLowerCase('nb') ?? null} where id = ${r.id}`.execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      await sql`alter table letters drop column search_title`.execute(db);
      await sql`alter table letters drop column search_subject`.execute(db);
    },
  };
}
