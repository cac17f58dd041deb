/** Letter events: every state change a sender can learn about, as a tagged union. */
export type LetterEventType =
  | 'ACCEPTED'
  | 'DELIVERED'
  | 'REJECTED'
  | 'OPENED'
  | 'HELD'
  | 'HELD_EXPIRED'
  | 'PRINT_QUEUED'
  | 'PRINTED'
  | 'PRINT_FAILED'
  | 'NOTIFIED'
  | 'NOTIFICATION_FAILED'
  | 'REPLIED'
  | 'CANCELLED';

export type RejectReason = 'recipient_has_no_mailbox' | 'recipient_not_reachable';

/** An event as stored: `seq` orders a sender's feed. */
export type LetterEvent = {
  id: string;
  seq: number;
  letterId: string;
  senderId: string;
  type: LetterEventType;
  at: string;
  data: Record<string, unknown>;
};
