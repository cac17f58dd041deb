/** Tables of the delivery rules: consents, jobs, batches and their shared documents, webhooks. */
export type ConsentRow = {
  id: string;
  national_id: string;
  sender_id: string;
  status: string;
  source: string;
  /** JSON. */
  evidence: string | null;
  given_at: string;
  withdrawn_at: string | null;
  updated_at: string;
};

export type JobRow = {
  id: string;
  kind: string;
  ref: string;
  /** JSON. */
  payload: string;
  run_at: string;
  status: string;
  attempts: number;
  locked_until: string | null;
  last_error: string | null;
  created_at: string;
};

export type BatchRow = {
  id: string;
  sender_id: string;
  reference: string | null;
  status: string;
  created_at: string;
  committed_at: string | null;
  cancelled_at: string | null;
};

export type BatchDocumentRow = {
  id: string;
  batch_id: string;
  filename: string;
  media_type: string;
  size: number;
  sha256: string;
  blob_key: string;
  /** The content key, wrapped by the platform keyholder. */
  wrapped_key: Buffer;
  created_at: string;
};

export type WebhookRow = {
  id: string;
  sender_id: string;
  url: string;
  /** The signing secret sealed by the platform key. */
  secret: Buffer;
  status: string;
  cursor_tx: string | null;
  cursor_seq: number | string | null;
  next_attempt_at: string | null;
  lease_until: string | null;
  failing_since: string | null;
  last_error: string | null;
  last_delivered_at: string | null;
  created_at: string;
};

export type WebhookFailureRow = { webhook_id: string; event_id: string; failed_at: string; error: string };
