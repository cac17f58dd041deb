/** The one row (slot 1) naming this installation and the keys it was set up with. */
export type InstallationRow = {
  slot: number;
  id: string;
  /** HMAC-SHA256 of a fixed text under the master key: tells whether a key is this installation's. */
  master_key_check: string;
  /** The platform signing key's id last used here. */
  signing_kid: string | null;
  created_at: string;
  /** The platform keyholder's key sealed under the master key (base64), after a rotation; else null (derived). */
  platform_key: string | null;
};
