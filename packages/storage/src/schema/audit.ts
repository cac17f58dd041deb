export const auditTable = 'audit_log';
/** Who did what in a mailbox: reads, moves, deletions, grants. Append-only. */
export type AuditRow = {
  seq: import('kysely').Generated<number>;
  id: string;
  mailbox_id: string;
  actor_national_id: string;
  actor_role: string;
  action: string;
  letter_id: string | null;
  details: string;
  at: string;
  /** The writing transaction (PostgreSQL xid8; '0' in SQLite), for reading in commit order. */
  tx: import('kysely').Generated<string>;
};
