import type { ApiKeyRow } from './api-keys.js';
import type { AuditRow } from './audit.js';
import type { ClientKeyRow, UsedAssertionRow } from './client-keys.js';
import type { BatchDocumentRow, BatchRow, ConsentRow, JobRow, WebhookFailureRow, WebhookRow } from './delivery.js';
import type { DocumentRow } from './documents.js';
import type { EventRow } from './events.js';
import type { FolderRow } from './folders.js';
import type { GrantRow } from './grants.js';
import type { LetterRow } from './letters.js';
import type { MailboxRow } from './mailboxes.js';
import type { MemberRow } from './members.js';
import type { PersonRow } from './persons.js';
import type { SenderRow } from './senders.js';
import type { SessionRow } from './sessions.js';

export type Database = {
  senders: SenderRow;
  api_keys: ApiKeyRow;
  persons: PersonRow;
  mailboxes: MailboxRow;
  folders: FolderRow;
  letters: LetterRow;
  documents: DocumentRow;
  events: EventRow;
  sessions: SessionRow;
  grants: GrantRow;
  members: MemberRow;
  audit_log: AuditRow;
  sender_client_keys: ClientKeyRow;
  used_assertions: UsedAssertionRow;
  consents: ConsentRow;
  jobs: JobRow;
  batches: BatchRow;
  batch_documents: BatchDocumentRow;
  webhooks: WebhookRow;
  webhook_failures: WebhookFailureRow;
};

export type Dialect = 'sqlite' | 'postgres';
