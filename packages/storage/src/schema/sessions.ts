export const sessionsTable = 'sessions';
/** Web sessions. The cookie holds a random token; only its SHA-256 is stored. */
export type SessionRow = {
  id_hash: string;
  national_id: string;
  auth_level: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
};
