export const documentsTable = 'documents';
export type DocumentRow = {
  id: string;
  letter_id: string;
  ordinal: number;
  role: string;
  title: string | null;
  filename: string;
  media_type: string;
  language: string | null;
  size: number;
  /** SHA-256 of the plaintext, for integrity checks and idempotency. */
  sha256: string;
  blob_key: string;
  /** The document's content key, wrapped by the mailbox key. */
  wrapped_key: Buffer;
  /** Set when the ciphertext is shared (a batch document): the id it is bound to. */
  content_id: string | null;
  /** Sealed JSON: title and file name (then empty in their own columns). */
  sealed_meta: Buffer | null;
};
