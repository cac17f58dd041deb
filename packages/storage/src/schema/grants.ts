export const grantsTable = 'grants';
/** Read access to a mailbox, given by its owner to another person. */
export type GrantRow = {
  id: string;
  mailbox_id: string;
  grantee_national_id: string;
  scope: string;
  valid_until: string | null;
  created_at: string;
  created_by: string;
  revoked_at: string | null;
};
