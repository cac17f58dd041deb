export const membersTable = 'members';
/** People acting in an organization's mailbox, or administering a sender, by role. */
export type MemberRow = {
  id: string;
  /** 'mailbox' (an organization's mailbox) or 'sender'. */
  scope_type: string;
  scope_id: string;
  national_id: string;
  role: string;
  created_at: string;
  created_by: string;
  /** 1 when the member asked to be notified of new letters (organization mailboxes). */
  notify: number;
};
