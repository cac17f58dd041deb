import type { Generated } from 'kysely';

export const eventsTable = 'events';
export type EventRow = {
  seq: Generated<number>;
  id: string;
  letter_id: string;
  sender_id: string;
  type: string;
  at: string;
  /** JSON text. */
  data: string;
  /**
   * PostgreSQL: the writing transaction's id (xid8), so the feed can skip nothing that commits
   * out of order. SQLite writes one transaction at a time and leaves it 0.
   */
  tx: Generated<string>;
  /** The signed receipt, made as the event was written (null for events from before migration 014). */
  receipt: string | null;
};
