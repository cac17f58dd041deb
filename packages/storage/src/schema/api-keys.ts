export const apiKeysTable = 'api_keys';
export type ApiKeyRow = {
  id: string;
  sender_id: string;
  key_hash: string;
  prefix: string;
  label: string | null;
  /** Space-separated. */
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};
