export const foldersTable = 'folders';
export type FolderRow = {
  id: string;
  mailbox_id: string;
  kind: string;
  name: string;
  created_at: string;
};
