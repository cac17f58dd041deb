/**
 * Ports: what the domain needs from the outside world. Storage, crypto, blobs, time and ids are
 * handed in at the composition root, so domain tests run on fakes without I/O.
 */
import type { AuthLevel } from './auth-level.js';
import type { LetterEvent, LetterEventType, RejectReason } from './events.js';
import type { DocumentRole, Sensitivity } from './letter.js';
import type { Country } from './parties.js';

export type Clock = { now(): Date };
export type Randomness = { token(bytes: number): string };
export type IdGenerator = { uuid(): string };

export type SenderKind = 'public' | 'private';
export type Sender = {
  id: string;
  orgNumber: string;
  name: string;
  kind: SenderKind;
  status: 'active' | 'disabled';
  createdAt: string;
};

export type ApiKey = {
  id: string;
  senderId: string;
  keyHash: string;
  prefix: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

export type Person = {
  id: string;
  nationalId: string;
  country: Country;
  name: string | null;
  email: string | null;
  mobile: string | null;
  language: string | null;
  createdAt: string;
};

export type MailboxOwnerType = 'person' | 'organization';
export type Mailbox = {
  id: string;
  ownerType: MailboxOwnerType;
  ownerId: string;
  name: string | null;
  status: 'active' | 'frozen';
  wrappedKey: Uint8Array;
  createdAt: string;
};

export type FolderKind = 'inbox' | 'archive' | 'trash' | 'custom';
export type Folder = {
  id: string;
  mailboxId: string;
  kind: FolderKind;
  name: string;
  createdAt: string;
};

export type LetterStatus = 'DELIVERED' | 'REJECTED';
export type Letter = {
  id: string;
  senderId: string;
  externalId: string;
  requestHash: string;
  recipientType: MailboxOwnerType;
  recipientId: string;
  mailboxId: string | null;
  status: LetterStatus;
  rejectReason: RejectReason | null;
  subject: string;
  nonSensitiveTitle: string | null;
  authLevel: AuthLevel;
  sensitivity: Sensitivity;
  openingReceipt: boolean;
  legalNotification: boolean;
  mandatory: boolean;
  senderReference: string | null;
  createdAt: string;
  deliveredAt: string | null;
  openedAt: string | null;
  folderId: string | null;
  readAt: string | null;
  trashedAt: string | null;
  restoreFolderId: string | null;
  documentCount: number;
  totalBytes: number;
};

export type StoredDocument = {
  id: string;
  letterId: string;
  ordinal: number;
  role: DocumentRole;
  title: string | null;
  filename: string;
  mediaType: string;
  language: string | null;
  size: number;
  sha256: string;
  blobKey: string;
  wrappedKey: Uint8Array;
};

export type Session = {
  idHash: string;
  nationalId: string;
  authLevel: AuthLevel;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
};

export type GrantScope = 'read' | 'manage';
export type Grant = {
  id: string;
  mailboxId: string;
  granteeNationalId: string;
  scope: GrantScope;
  validUntil: string | null;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
};

export type MemberScope = 'mailbox' | 'sender';
export type MemberRole = 'admin' | 'reader';
export type Member = {
  id: string;
  scopeType: MemberScope;
  scopeId: string;
  nationalId: string;
  role: MemberRole;
  createdAt: string;
  createdBy: string;
};

export type ClientKey = {
  id: string;
  senderId: string;
  kid: string;
  /** Public JWK. */
  jwk: Record<string, unknown>;
  createdAt: string;
  revokedAt: string | null;
};

export type AuditEntry = {
  id: string;
  mailboxId: string;
  actorNationalId: string;
  actorRole: string;
  action: string;
  letterId: string | null;
  details: Record<string, unknown>;
  at: string;
};

/** Position in a mailbox listing (newest first). */
export type LetterCursor = { deliveredAt: string; id: string };
/** Position in a sender's event feed; opaque to clients. */
export type FeedCursor = { tx: string; seq: number };

export type NewEvent = {
  id: string;
  letterId: string;
  senderId: string;
  type: LetterEventType;
  at: string;
  data: Record<string, unknown>;
};

export type LetterPatch = Partial<Pick<Letter, 'folderId' | 'readAt' | 'trashedAt' | 'restoreFolderId' | 'openedAt'>>;

export type Repositories = {
  sessions: {
    insert(session: Session): Promise<void>;
    get(idHash: string): Promise<Session | null>;
    touch(idHash: string, at: string): Promise<void>;
    delete(idHash: string): Promise<void>;
  };
  grants: {
    insert(grant: Grant): Promise<void>;
    get(mailboxId: string, id: string): Promise<Grant | null>;
    listByMailbox(mailboxId: string): Promise<Grant[]>;
    /** Grants to this person that are not revoked and not expired at `now`. */
    listActiveForGrantee(nationalId: string, now: string): Promise<Grant[]>;
    revoke(mailboxId: string, id: string, at: string): Promise<void>;
  };
  members: {
    insert(member: Member): Promise<void>;
    get(scopeType: MemberScope, scopeId: string, id: string): Promise<Member | null>;
    find(scopeType: MemberScope, scopeId: string, nationalId: string): Promise<Member | null>;
    list(scopeType: MemberScope, scopeId: string): Promise<Member[]>;
    listForPerson(nationalId: string): Promise<Member[]>;
    delete(scopeType: MemberScope, scopeId: string, id: string): Promise<void>;
  };
  clientKeys: {
    insert(key: ClientKey): Promise<void>;
    listBySender(senderId: string): Promise<ClientKey[]>;
    revoke(senderId: string, id: string, at: string): Promise<void>;
    /** Records an assertion id; false when it was already used (a replay). */
    useAssertion(jti: string, expiresAt: string, now: string): Promise<boolean>;
  };
  audit: {
    append(entry: AuditEntry): Promise<void>;
    listByMailbox(mailboxId: string, limit: number): Promise<AuditEntry[]>;
  };
  senders: {
    insert(sender: Sender): Promise<void>;
    get(id: string): Promise<Sender | null>;
    findByOrgNumber(orgNumber: string): Promise<Sender | null>;
    list(): Promise<Sender[]>;
  };
  apiKeys: {
    insert(key: ApiKey): Promise<void>;
    /** The key and its sender in one lookup (authentication runs on every sender request). */
    findWithSender(keyHash: string): Promise<{ key: ApiKey; sender: Sender } | null>;
    listBySender(senderId: string): Promise<ApiKey[]>;
    touch(id: string, at: string): Promise<void>;
    revoke(id: string, at: string): Promise<void>;
  };
  persons: {
    insert(person: Person): Promise<void>;
    findByNationalId(nationalId: string): Promise<Person | null>;
  };
  mailboxes: {
    insert(mailbox: Mailbox): Promise<void>;
    get(id: string): Promise<Mailbox | null>;
    findByOwner(ownerType: MailboxOwnerType, ownerId: string): Promise<Mailbox | null>;
    /**
     * Inside a unit of work: serializes changes to this mailbox's access (grants, members) with
     * other units doing the same. PostgreSQL locks the row; SQLite writes one unit at a time anyway.
     */
    lock(id: string): Promise<void>;
    /** The owner's mailbox with its inbox folder id, in one lookup (every letter needs both). */
    findDeliveryTarget(
      ownerType: MailboxOwnerType,
      ownerId: string,
    ): Promise<{ mailbox: Mailbox; inboxId: string } | null>;
  };
  folders: {
    insert(folder: Folder): Promise<void>;
    get(mailboxId: string, id: string): Promise<Folder | null>;
    findSystem(mailboxId: string, kind: Exclude<FolderKind, 'custom'>): Promise<Folder | null>;
    findByName(mailboxId: string, name: string): Promise<Folder | null>;
    list(mailboxId: string): Promise<Array<Folder & { total: number; unread: number }>>;
    rename(mailboxId: string, id: string, name: string): Promise<void>;
    delete(mailboxId: string, id: string): Promise<void>;
  };
  letters: {
    /** Inserts unless the sender already has a letter with this external id; true if inserted. */
    insertIfAbsent(letter: Letter): Promise<boolean>;
    findByExternalId(senderId: string, externalId: string): Promise<Letter | null>;
    getInMailbox(mailboxId: string, id: string): Promise<Letter | null>;
    listInFolder(mailboxId: string, folderId: string, after: LetterCursor | null, limit: number): Promise<Letter[]>;
    update(mailboxId: string, id: string, patch: LetterPatch): Promise<void>;
    /** Sets opened_at only if it was unset; true when this call was the first opening. */
    markOpened(mailboxId: string, id: string, at: string): Promise<boolean>;
    moveAll(mailboxId: string, fromFolderId: string, toFolderId: string): Promise<void>;
  };
  documents: {
    insertMany(documents: StoredDocument[]): Promise<void>;
    listByLetter(letterId: string): Promise<StoredDocument[]>;
    get(letterId: string, id: string): Promise<StoredDocument | null>;
    /** Which of these blob keys some document points at. */
    referencedBlobKeys(keys: string[]): Promise<Set<string>>;
  };
  events: {
    append(events: NewEvent[]): Promise<void>;
    listByLetter(letterId: string): Promise<LetterEvent[]>;
    feed(
      senderId: string,
      after: FeedCursor | null,
      limit: number,
    ): Promise<Array<LetterEvent & { cursor: FeedCursor; externalId: string }>>;
  };
};

/**
 * Transactions. `write` runs a unit of work atomically; the SQLite store may commit several units
 * together (group commit), each isolated by a savepoint. A unit must only touch the repositories
 * it is handed, and resolves only after its data is durably committed.
 */
export type Store = {
  readonly dialect: 'sqlite' | 'postgres';
  read: Repositories;
  write<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
};

export type BlobStore = {
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  delete(key: string): Promise<void>;
  /** Keys whose blobs were written before `olderThan`; for the orphan sweep. */
  listOlderThan(olderThan: Date): AsyncIterable<string>;
};

/** Envelope encryption: mailbox keys wrapped by a master key, documents by content keys. */
export type Vault = {
  newMailboxKey(mailboxId: string): Promise<Uint8Array>;
  seal(
    mailbox: Pick<Mailbox, 'id' | 'wrappedKey'>,
    documentId: string,
    plaintext: Uint8Array,
  ): Promise<{ ciphertext: Uint8Array; wrappedKey: Uint8Array }>;
  open(
    mailbox: Pick<Mailbox, 'id' | 'wrappedKey'>,
    documentId: string,
    wrappedKey: Uint8Array,
    ciphertext: Uint8Array,
  ): Promise<Uint8Array>;
};

export type Hasher = { sha256Hex(data: Uint8Array | string): string };

export type Deps = {
  store: Store;
  blobs: BlobStore;
  vault: Vault;
  clock: Clock;
  ids: IdGenerator;
  hasher: Hasher;
};
