export const mailboxesTable = 'mailboxes';
export type MailboxRow = {
  id: string;
  owner_type: string;
  owner_id: string;
  name: string | null;
  status: string;
  /** The mailbox key, wrapped by the master key. */
  wrapped_key: Buffer;
  created_at: string;
};
