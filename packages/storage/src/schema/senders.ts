export const sendersTable = 'senders';
export type SenderRow = {
  id: string;
  org_number: string;
  name: string;
  kind: string;
  status: string;
  created_at: string;
};
