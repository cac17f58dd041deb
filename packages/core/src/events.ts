/** Letter events: every state change a sender can learn about, as a tagged union. */
export const LETTER_EVENT_TYPES = [
  'ACCEPTED',
  'DELIVERED',
  'REJECTED',
  'OPENED',
  'HELD',
  'HELD_EXPIRED',
  'PRINT_QUEUED',
  'PRINTED',
  'PRINT_FAILED',
  'NOTIFIED',
  'NOTIFICATION_FAILED',
  'REPLIED',
  'CANCELLED',
] as const;
export type LetterEventType = (typeof LETTER_EVENT_TYPES)[number];

/** Why a letter was not delivered digitally; the same vocabulary in REJECTED and PRINT events. */
export const REJECT_REASONS = [
  'recipient_has_no_mailbox',
  'recipient_not_reachable',
  'recipient_reserved',
  'recipient_exempt',
  'invalid_recipient',
  'not_allowed_for_private_sender',
  'print_failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** An event as stored: `seq` orders a sender's feed. */
export type LetterEvent = {
  id: string;
  seq: number;
  letterId: string;
  senderId: string;
  type: LetterEventType;
  at: string;
  data: Record<string, unknown>;
  /** The receipt signed when the event was written; null for events from before receipts were stored. */
  receipt?: string | null;
};
