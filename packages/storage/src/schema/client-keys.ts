export const clientKeysTable = 'sender_client_keys';
/** Public keys a sender signs its client assertions with (RFC 7523), instead of a shared secret. */
export type ClientKeyRow = {
  id: string;
  sender_id: string;
  kid: string;
  /** The public JWK as JSON. */
  jwk: string;
  /** Space-separated. */
  scopes: string;
  created_at: string;
  revoked_at: string | null;
};

export const usedAssertionsTable = 'used_assertions';
/** Assertion ids (jti) already exchanged, kept until the assertion expires: no replay. */
export type UsedAssertionRow = { jti: string; expires_at: string };
