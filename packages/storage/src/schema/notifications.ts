/** A notification: one message on one channel to one person about one or more letters. */
export type NotificationRow = {
  id: string;
  national_id: string;
  mailbox_id: string;
  channel: string;
  /** pending (collecting letters) → sending → sent | failed | skipped. */
  status: string;
  /** JSON array of letter ids. */
  letter_ids: string;
  due_at: string;
  address: string | null;
  sent_at: string | null;
  last_error: string | null;
  created_at: string;
};

/** Where a background reader of the event log has got to. */
export type CursorRow = { name: string; tx: string; seq: number | string; lease_until: string | null };

/** What the embedded (development) notifier "sent": shown at /dev/outbox. */
export type DevOutboxRow = {
  id: string;
  channel: string;
  recipient: string;
  subject: string | null;
  text: string;
  html: string | null;
  at: string;
};
