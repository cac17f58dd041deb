export const lettersTable = 'letters';
/** Booleans are stored as 0/1 integers in both dialects. */
export type LetterRow = {
  id: string;
  sender_id: string;
  external_id: string;
  request_hash: string;
  recipient_type: string;
  recipient_id: string;
  mailbox_id: string | null;
  status: string;
  reject_reason: string | null;
  subject: string;
  non_sensitive_title: string | null;
  auth_level: string;
  sensitivity: string;
  opening_receipt: number;
  legal_notification: number;
  mandatory: number;
  sender_reference: string | null;
  created_at: string;
  delivered_at: string | null;
  opened_at: string | null;
  folder_id: string | null;
  read_at: string | null;
  trashed_at: string | null;
  restore_folder_id: string | null;
  document_count: number;
  total_bytes: number;
  deliver_at: string | null;
  hold_until: string | null;
  /** JSON. */
  print_details: string | null;
  print_if_unread_after: string | null;
  batch_id: string | null;
  planned_status: string | null;
  /** Sealed JSON: what a standard format carried beyond the letter model. */
  extras: Buffer | null;
  /** JSON: the sender's notification texts and repetitions. */
  notification_options: string | null;
  /** Lower-cased subject and non-sensitive title, for search. */
  search_subject: string | null;
  search_title: string | null;
  /** When the sender wants an answer. */
  reply_by: string | null;
  /** Sealed JSON: the letter's actions (content). */
  actions: Buffer | null;
  /** Sealed JSON: subject, sender reference, print details (then empty in their own columns). */
  sealed_meta: Buffer | null;
};
