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
  /** The hash of the mailbox's entry before this one (see audit-chain.ts), and this entry's own. */
  prev_hash: string;
  hash: string;
};

/** Every change of a person's register record and consents, a hash chain per person. Append-only. */
export type RegisterLogRow = {
  seq: import('kysely').Generated<number>;
  id: string;
  national_id: string;
  /** person (the person themself), operator, sender (a consent a sender recorded), system */
  actor_type: string;
  actor_id: string | null;
  action: string;
  details: string;
  at: string;
  prev_hash: string;
  hash: string;
};
