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
  /** What the key may do beyond sending: `register:contact` reads contact details in lookups. */
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
};

/** A postal address, Norwegian (postal code and city) or foreign (lines and a country). */
export type PostalAddress =
  | { type: 'norwegian'; addressLines: string[]; postalCode: string; city: string }
  | { type: 'foreign'; addressLines: string[]; country: string };

/**
 * A person in the contact and reservation register. Contact details carry when they were last
 * updated and last verified; a person may reserve against digital public mail, and the operator
 * may exempt them (paper instead).
 */
export type Person = {
  id: string;
  nationalId: string;
  country: Country;
  name: string | null;
  status: 'active' | 'deleted';
  email: string | null;
  emailUpdatedAt: string | null;
  emailVerifiedAt: string | null;
  mobile: string | null;
  mobileUpdatedAt: string | null;
  mobileVerifiedAt: string | null;
  language: string | null;
  reserved: boolean;
  reservedAt: string | null;
  exempt: boolean;
  exemptAt: string | null;
  postalAddress: PostalAddress | null;
  createdAt: string;
  updatedAt: string | null;
};

export type PersonPatch = Partial<
  Pick<
    Person,
    | 'name'
    | 'email'
    | 'emailUpdatedAt'
    | 'emailVerifiedAt'
    | 'mobile'
    | 'mobileUpdatedAt'
    | 'mobileVerifiedAt'
    | 'language'
    | 'reserved'
    | 'reservedAt'
    | 'exempt'
    | 'exemptAt'
    | 'postalAddress'
    | 'status'
  >
> & { updatedAt: string };

export type ConsentSource = 'person' | 'sender';
/** A person's consent to receive letters from a private sender. */
export type Consent = {
  id: string;
  nationalId: string;
  senderId: string;
  status: 'active' | 'withdrawn';
  source: ConsentSource;
  evidence: Record<string, unknown> | null;
  givenAt: string;
  withdrawnAt: string | null;
  updatedAt: string;
};

export type JobKind =
  | 'letter.due'
  | 'letter.hold_expired'
  | 'letter.print'
  | 'letter.print_if_unread'
  | 'letter.purge'
  | 'held.release'
  | 'notify.send'
  | 'notify.reminder';

export type NotificationChannel = 'email' | 'sms';
/** One message on one channel to one person, about the letters it collected while pending. */
export type Notification = {
  id: string;
  nationalId: string;
  mailboxId: string;
  channel: NotificationChannel;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';
  letterIds: string[];
  dueAt: string;
  address: string | null;
  sentAt: string | null;
  lastError: string | null;
  createdAt: string;
};
/** The sender's wishes for a letter's notification (e-mail text ≤ 500, SMS ≤ 160, days after delivery). */
export type NotificationOptions = {
  emailText?: string | undefined;
  smsText?: string | undefined;
  repetitions?: number[] | undefined;
};
export type OutboxMessage = {
  id: string;
  channel: NotificationChannel;
  recipient: string;
  subject: string | null;
  text: string;
  html: string | null;
  at: string;
};
export type OutgoingEmail = { to: string; subject: string; text: string; html: string };
export type OutgoingSms = { to: string; text: string };
/** The outside world that carries notifications: an SMTP server, an SMS gateway. */
export type Notifier = {
  sendEmail(message: OutgoingEmail): Promise<void>;
  sendSms(message: OutgoingSms): Promise<void>;
};
export type NewJob = { id: string; kind: JobKind; ref: string; payload: Record<string, unknown>; runAt: string };
export type Job = NewJob & {
  status: 'pending' | 'running' | 'dead';
  attempts: number;
  lockedUntil: string | null;
  lastError: string | null;
  createdAt: string;
};

/** The queue by kind: jobs waiting (of which due now, the oldest due since when), running, given up. */
export type JobStats = {
  kind: string;
  pending: number;
  due: number;
  oldestDueAt: string | null;
  running: number;
  dead: number;
};

export type BatchStatus = 'open' | 'committed' | 'cancelled';
export type Batch = {
  id: string;
  senderId: string;
  reference: string | null;
  status: BatchStatus;
  createdAt: string;
  committedAt: string | null;
  cancelledAt: string | null;
};
/** A document uploaded once to a batch and shared by its letters; its key is held by the platform. */
export type BatchDocument = {
  id: string;
  batchId: string;
  filename: string;
  mediaType: string;
  size: number;
  sha256: string;
  blobKey: string;
  wrappedKey: Uint8Array;
  createdAt: string;
};

export type Webhook = {
  id: string;
  senderId: string;
  url: string;
  /** The signing secret, sealed by the platform's key. */
  sealedSecret: Uint8Array;
  status: 'active' | 'disabled';
  cursor: FeedCursor | null;
  nextAttemptAt: string | null;
  leaseUntil: string | null;
  failingSince: string | null;
  lastError: string | null;
  lastDeliveredAt: string | null;
  createdAt: string;
};

/** Print details a sender gives so a letter can go on paper. */
export type PrintDetails = {
  recipient: { name: string; address: PostalAddress };
  returnAddress?: { name: string; address: PostalAddress } | undefined;
  colour: 'monochrome' | 'colour';
  undeliverable: 'shred' | 'return';
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

export type LetterStatus =
  | 'PENDING'
  | 'SCHEDULED'
  | 'DELIVERED'
  | 'HELD'
  | 'HELD_EXPIRED'
  | 'PRINT_QUEUED'
  | 'PRINTED'
  | 'PRINT_FAILED'
  | 'REJECTED'
  | 'CANCELLED';
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
  /** When a scheduled letter becomes visible. */
  deliverAt: string | null;
  /** Until when a held letter waits for its recipient. */
  holdUntil: string | null;
  printDetails: PrintDetails | null;
  printIfUnreadAfter: string | null;
  batchId: string | null;
  /** The outcome a letter in an open batch gets when the batch is committed. */
  plannedStatus: LetterStatus | null;
  /**
   * JSON of what the letter's wire format carried beyond this model (see LetterInput.extras): in
   * the domain in plain, at rest inside `sealedMeta` (letter-meta.ts) with its column empty.
   */
  extras: Uint8Array | null;
  notificationOptions: NotificationOptions | null;
  /** The sender wants an answer by then (not content: shown at any login level). */
  replyBy: string | null;
  /** JSON of the letter's actions (LetterAction[]): content, kept at rest as `extras` is. */
  actions: Uint8Array | null;
  /**
   * The subject, sender reference and print details as stored: sealed for the letter's keyholder
   * (letter-meta.ts), those fields then empty in the row. Letters read through the store come
   * opened; absent or null for a letter not yet sealed.
   */
  sealedMeta?: Uint8Array | null;
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
  /** The id the ciphertext is bound to: the document's own, or the shared batch document's. */
  contentId: string;
  /** The title and file name as stored: sealed for the letter's keyholder, as Letter.sealedMeta. */
  sealedMeta?: Uint8Array | null;
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
  /** The member asked to be notified of new letters in the organization's mailbox. */
  notify: boolean;
};

export type ClientKey = {
  id: string;
  senderId: string;
  kid: string;
  /** Public JWK. */
  jwk: Record<string, unknown>;
  scopes: string[];
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

/** An entry of a hash-chained log as stored: its place and its link to the entry before. */
export type Chained<T> = T & { seq: number; prevHash: string; hash: string };

/** Who changed a register record: the person, the operator, a sender (a consent it recorded), the platform. */
export type RegisterActorType = 'person' | 'operator' | 'sender' | 'system';

export type RegisterLogEntry = {
  id: string;
  nationalId: string;
  actorType: RegisterActorType;
  /** The person's national id or the sender's id; null for the operator and the platform. */
  actorId: string | null;
  action: string;
  details: Record<string, unknown>;
  at: string;
};

/** The outcome of recomputing hash chains from their first entries. */
export type ChainCheck = {
  chains: number;
  entries: number;
  /** Where each broken chain first breaks: its link to the entry before, or its own hash. */
  broken: Array<{ chain: string; seq: number; reason: 'prev_hash' | 'hash' }>;
};

/** Position in a mailbox listing (newest first). */
export type LetterCursor = { deliveredAt: string; id: string };
/**
 * Narrows a mailbox listing: `senderIds` only letters whose sender may be shown. (Words are
 * matched by the domain, on opened letters: subjects are sealed, see read-mailbox.ts.)
 */
export type LetterFilter = {
  senderIds?: string[] | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** true: only letters not yet read; false: only letters read; absent: both. */
  unread?: boolean | undefined;
  /** The levels whose content the reader may see. */
  visibleLevels: AuthLevel[];
};
/** Position in a sender's event feed; opaque to clients. */
export type FeedCursor = { tx: string; seq: number };
/** An event as the sender's feed shows it: with its letter's external id and its position. */
export type FeedEvent = LetterEvent & {
  cursor: FeedCursor;
  externalId: string;
  mailboxId: string | null;
  /** Who the letter is from and to, as its receipts state them. */
  senderOrgNumber: string;
  recipientType: 'person' | 'organization';
  recipientId: string;
};
/** What the notification planner needs to know of a delivered letter. */
export type NoticeLetter = Pick<
  Letter,
  'id' | 'status' | 'mailboxId' | 'deliveredAt' | 'legalNotification' | 'notificationOptions'
>;
/** A DELIVERED event in the global feed with its letter as it is now (see events.deliveredForNotice). */
export type DeliveredNotice = { cursor: FeedCursor; at: string; letter: NoticeLetter };

export type NewEvent = {
  id: string;
  letterId: string;
  senderId: string;
  type: LetterEventType;
  at: string;
  data: Record<string, unknown>;
  /** The platform's signed receipt, made when the event is written (the store signs those without). */
  receipt?: string | null;
};

/** What a receipt states: the event, and the letter's parties as a court can match them. */
export type ReceiptSubject = {
  id: string;
  type: LetterEventType;
  at: string;
  data: Record<string, unknown>;
  messageId: string;
  senderId: string;
  senderOrgNumber: string;
  recipient: { type: 'person' | 'organization'; id: string };
  /**
   * The SHA-256 (hex) of each of the letter's documents, in order (the main document first): what
   * the receipt is evidence of. Absent only for an event signed after its documents were gone.
   */
  documents?: string[] | undefined;
};

/** Signs receipts with the platform's key (the server's; absent in tests that need none). */
export type ReceiptSigner = { sign(subject: ReceiptSubject): Promise<string> };

export type LetterPatch = Partial<Pick<Letter, 'folderId' | 'readAt' | 'trashedAt' | 'restoreFolderId' | 'openedAt'>>;
/** A change of a letter's routing state, by the platform (never by a reader). */
export type LetterStatePatch = Partial<
  Pick<
    Letter,
    'status' | 'mailboxId' | 'folderId' | 'deliveredAt' | 'rejectReason' | 'holdUntil' | 'plannedStatus' | 'sealedMeta'
  >
>;

/** This installation: its id and the keys it was set up with (see apps/server/src/installation.ts). */
export type Installation = {
  id: string;
  masterKeyCheck: string;
  signingKid: string | null;
  createdAt: string;
  /** The platform keyholder's key sealed under the master key (base64), once it was rotated; null: derived from it. */
  platformKey: string | null;
};

/** Links made ahead of their unit of work (`eventChain.link`); what is inside is the store's. */
export type ChainLinks = { readonly after: { position: number; hash: string }; readonly rows: readonly unknown[] };

export type Repositories = {
  /** Every event in one hash chain, in feed order (packages/core/src/event-chain.ts). */
  eventChain: {
    /**
     * The links these events would get after the chain's last as it is now: hashed before the
     * unit of work that appends them, so that a writer's transaction holds no hashing.
     */
    link(events: LetterEvent[]): Promise<ChainLinks>;
    /**
     * Links these events, in this order, after the chain's last: with the links made by `link`
     * when the chain still ends where they start, otherwise hashed anew.
     */
    append(events: LetterEvent[], linked?: ChainLinks): Promise<void>;
    /** Recomputes the chain from its first link, against the events as they are now. */
    verify(): Promise<ChainCheck>;
    /** The chain's last link: position 0 and 64 zeros while it is empty. */
    head(): Promise<{ position: number; hash: string }>;
    /** The hash of the link at this position (1 is the first), or null when the chain has none there. */
    hashAt(position: number): Promise<string | null>;
  };
  installation: {
    get(): Promise<Installation | null>;
    /** True when this call made the row; false when it was there (another process made it). */
    createIfAbsent(installation: Installation): Promise<boolean>;
    setSigningKid(kid: string): Promise<void>;
    /** The last step of a master key's rotation: its check value and the platform key sealed under it. */
    setMasterKey(masterKeyCheck: string, platformKey: string): Promise<void>;
  };
  sessions: {
    insert(session: Session): Promise<void>;
    get(idHash: string): Promise<Session | null>;
    touch(idHash: string, at: string): Promise<void>;
    delete(idHash: string): Promise<void>;
    /** Deletes sessions expired at `now` or idle since `lastSeenBefore`; how many. */
    deleteEnded(now: string, lastSeenBefore: string): Promise<number>;
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
    setNotify(scopeType: MemberScope, scopeId: string, nationalId: string, notify: boolean): Promise<void>;
  };
  notifications: {
    insert(n: Notification): Promise<void>;
    get(id: string): Promise<Notification | null>;
    /** The notification still collecting letters for this person, mailbox and channel. */
    findPending(nationalId: string, mailboxId: string, channel: NotificationChannel): Promise<Notification | null>;
    /** When this person was last notified on this channel about this mailbox. */
    lastSent(nationalId: string, mailboxId: string, channel: NotificationChannel): Promise<string | null>;
    /** Adds a letter while the notification is still pending; false once it is being sent. */
    addLetter(id: string, letterId: string): Promise<boolean>;
    /** pending → sending in one step; the notification as frozen, or null if it was not pending. */
    claim(id: string): Promise<Notification | null>;
    update(
      id: string,
      patch: Partial<Pick<Notification, 'status' | 'sentAt' | 'lastError' | 'address'>>,
    ): Promise<void>;
    listByLetter(letterId: string): Promise<Notification[]>;
  };
  cursors: {
    get(name: string): Promise<FeedCursor | null>;
    set(name: string, cursor: FeedCursor): Promise<void>;
    /** Takes the named reader for a while, so one process reads the log at a time; false if taken. */
    lease(name: string, now: string, until: string): Promise<boolean>;
    release(name: string): Promise<void>;
  };
  outbox: {
    insert(m: OutboxMessage): Promise<void>;
    list(limit: number): Promise<OutboxMessage[]>;
  };
  clientKeys: {
    insert(key: ClientKey): Promise<void>;
    listBySender(senderId: string): Promise<ClientKey[]>;
    revoke(senderId: string, id: string, at: string): Promise<void>;
    /** Records an assertion id; false when it was already used (a replay). */
    useAssertion(jti: string, expiresAt: string, now: string): Promise<boolean>;
  };
  /** Each mailbox's log is a hash chain: `append` links the entry to the mailbox's latest. */
  audit: {
    append(entry: AuditEntry): Promise<void>;
    /** Newest first, before `beforeSeq` when given. */
    listByMailbox(mailboxId: string, limit: number, beforeSeq?: number | null): Promise<Array<Chained<AuditEntry>>>;
    /** Recomputes one mailbox's chain, or every mailbox's. */
    verify(mailboxId?: string): Promise<ChainCheck>;
    /** Every mailbox's entries after a position, in commit order: what changed, for live views. */
    changesAfter(
      after: FeedCursor | null,
      limit: number,
    ): Promise<Array<{ mailboxId: string; action: string; letterId: string | null; cursor: FeedCursor }>>;
    latestCursor(): Promise<FeedCursor | null>;
  };
  /** Each person's register history is a hash chain, as a mailbox's audit log is. */
  registerLog: {
    append(entry: RegisterLogEntry): Promise<void>;
    listByPerson(
      nationalId: string,
      limit: number,
      beforeSeq?: number | null,
    ): Promise<Array<Chained<RegisterLogEntry>>>;
    verify(nationalId?: string): Promise<ChainCheck>;
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
    findMany(nationalIds: string[]): Promise<Person[]>;
    update(nationalId: string, patch: PersonPatch): Promise<void>;
  };
  consents: {
    upsert(consent: Consent): Promise<void>;
    find(nationalId: string, senderId: string): Promise<Consent | null>;
    listByPerson(nationalId: string): Promise<Consent[]>;
    /** Which of these persons have an active consent to this sender. */
    activeAmong(senderId: string, nationalIds: string[]): Promise<Set<string>>;
  };
  jobs: {
    enqueue(jobs: NewJob[]): Promise<void>;
    /** Whether claimDue would find anything (a read: an idle worker writes nothing). */
    anyDue(now: string): Promise<boolean>;
    /** Takes up to `limit` due jobs (and ones whose lease ran out), leased until `lockedUntil`. */
    claimDue(now: string, limit: number, lockedUntil: string): Promise<Job[]>;
    complete(id: string): Promise<void>;
    retry(id: string, runAt: string, error: string): Promise<void>;
    bury(id: string, error: string): Promise<void>;
    /** Removes pending jobs about this reference (a cancelled letter's). */
    cancelFor(ref: string): Promise<void>;
    list(ref: string): Promise<Job[]>;
    /** What the queue holds, by kind: for the operator's metrics. */
    stats(now: string): Promise<JobStats[]>;
    /** Jobs that gave up, newest first, at most `limit`. */
    listDead(limit: number): Promise<Job[]>;
    /** A job that gave up runs again at `runAt` (its attempts start over); false when it is not dead. */
    revive(id: string, runAt: string): Promise<boolean>;
  };
  batches: {
    insert(batch: Batch): Promise<void>;
    get(senderId: string, id: string): Promise<Batch | null>;
    /**
     * Inside a unit of work: reads the batch and locks it, shared while letters are added and
     * exclusively to commit or cancel, so no letter lands in a batch that is being committed.
     */
    lock(senderId: string, id: string, mode: 'share' | 'update'): Promise<Batch | null>;
    /** Changes the status only from `from`; false when the batch was not in that status. */
    transition(id: string, from: BatchStatus, to: BatchStatus, at: string): Promise<boolean>;
    counts(batchId: string): Promise<Record<string, number>>;
    insertDocument(doc: BatchDocument): Promise<void>;
    getDocument(batchId: string, id: string): Promise<BatchDocument | null>;
  };
  webhooks: {
    insert(hook: Webhook): Promise<void>;
    list(senderId: string): Promise<Webhook[]>;
    get(senderId: string, id: string): Promise<Webhook | null>;
    delete(senderId: string, id: string): Promise<void>;
    /** Whether lease would find anything (a read: an idle worker writes nothing). */
    anyDue(now: string): Promise<boolean>;
    /** Leases active webhooks whose next attempt is due, so one worker delivers each at a time. */
    lease(now: string, leaseUntil: string, limit: number): Promise<Webhook[]>;
    update(
      id: string,
      patch: Partial<
        Pick<
          Webhook,
          'cursor' | 'nextAttemptAt' | 'leaseUntil' | 'failingSince' | 'lastError' | 'lastDeliveredAt' | 'status'
        >
      >,
    ): Promise<void>;
    recordFailure(webhookId: string, eventId: string, at: string, error: string): Promise<void>;
    failures(webhookId: string): Promise<Array<{ eventId: string; failedAt: string; error: string }>>;
  };
  mailboxes: {
    insert(mailbox: Mailbox): Promise<void>;
    get(id: string): Promise<Mailbox | null>;
    /** The mailboxes of these ids that exist, in no particular order. */
    getMany(ids: string[]): Promise<Mailbox[]>;
    findByOwner(ownerType: MailboxOwnerType, ownerId: string): Promise<Mailbox | null>;
    findManyByOwner(ownerType: MailboxOwnerType, ownerIds: string[]): Promise<Mailbox[]>;
    /** The first mailbox ever opened, if any: what the master key is checked against at start. */
    first(): Promise<Mailbox | null>;
    /** Mailboxes' ids and wrapped keys in id order after `afterId` (a master key's rotation). */
    keyPage(afterId: string | null, limit: number): Promise<Array<Pick<Mailbox, 'id' | 'wrappedKey'>>>;
    setWrappedKey(id: string, wrappedKey: Uint8Array): Promise<void>;
    /**
     * Inside a unit of work: serializes changes to this mailbox's access (grants, members) with
     * other units doing the same. PostgreSQL locks the row; SQLite writes one unit at a time anyway.
     */
    lock(id: string): Promise<void>;
    /** The owners' mailboxes with their inbox folder ids (one letter's: `recipients.lookup`). */
    findDeliveryTargets(
      ownerType: MailboxOwnerType,
      ownerIds: string[],
    ): Promise<Array<{ mailbox: Mailbox; inboxId: string }>>;
  };
  recipients: {
    /**
     * What routing a letter reads about its recipient, in one lookup: the owner's mailbox with
     * its inbox folder, the person's register record (none for an organization), and whether the
     * person has an active consent to `consentSenderId` (null: not asked, as for a public sender).
     */
    lookup(
      owner: { type: MailboxOwnerType; id: string },
      consentSenderId: string | null,
    ): Promise<{ target: { mailbox: Mailbox; inboxId: string } | null; person: Person | null; consented: boolean }>;
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
    /**
     * The letter with its blobs, documents, events and jobs, as `Store.insert.letter` stores it but
     * inside the caller's unit of work; false, with nothing stored, when the sender used its id.
     */
    insertWithContents(unit: NewLetterUnit): Promise<boolean>;
    /** Inserts many; those whose external id the sender already used are skipped. Returns the inserted ids. */
    insertManyIfAbsent(letters: Letter[]): Promise<Set<string>>;
    /** The letters with these ids that exist, in no particular order. */
    getMany(ids: string[]): Promise<Letter[]>;
    findManyByExternalIds(senderId: string, externalIds: string[]): Promise<Letter[]>;
    findByExternalId(senderId: string, externalId: string): Promise<Letter | null>;
    get(id: string): Promise<Letter | null>;
    /** Changes routing state, only while the letter is in one of `from`; false otherwise. */
    transition(id: string, from: LetterStatus[], patch: LetterStatePatch): Promise<boolean>;
    /**
     * Takes a letter out of its mailbox for good if it is still in the trash since `trashedBefore`
     * or earlier (a restore in between wins); false when it is not.
     */
    purgeTrashed(id: string, trashedBefore: string, sealedMeta: Uint8Array | null): Promise<boolean>;
    /** Letters whose descriptive fields are still in plain text (written before they were sealed). */
    listUnsealed(limit: number): Promise<Letter[]>;
    /**
     * Keeps a letter's fields sealed and empties their plain columns (see letter-meta.ts), if they
     * are still plain and the letter is still in `mailboxId` (the keyholder they were sealed for).
     */
    setSealedMeta(id: string, mailboxId: string | null, sealedMeta: Uint8Array): Promise<boolean>;
    /**
     * Sealed letters whose actions or extras an older version kept in columns of their own, sealed
     * by the platform key rather than the letter's keyholder.
     */
    listPlatformSealedSecrets(limit: number): Promise<Letter[]>;
    /** Keeps a letter's new seal (now holding its actions and extras) and empties those columns, as setSealedMeta. */
    setSealedSecrets(id: string, mailboxId: string | null, sealedMeta: Uint8Array): Promise<boolean>;
    /** Held letters for a recipient, optionally only one sender's. */
    listHeld(recipientType: MailboxOwnerType, recipientId: string, senderId: string | null): Promise<Letter[]>;
    /**
     * Makes every pending letter of a batch take its planned outcome at once: delivered letters
     * enter their inbox, and each gets its event and follow-up job. Returns how many changed.
     */
    commitBatch(batchId: string, at: string): Promise<number>;
    /**
     * Pending letters of a batch planned for delivery whose recipient can no longer be reached that
     * way (reserved, exempt, deleted, mailbox frozen, or a private sender's consent withdrawn).
     */
    pendingNoLongerDeliverable(batchId: string, senderKind: SenderKind): Promise<Letter[]>;
    /** Cancels every pending letter of a batch, with a CANCELLED event each. */
    cancelBatch(batchId: string, at: string): Promise<number>;
    getInMailbox(mailboxId: string, id: string): Promise<Letter | null>;
    listInFolder(
      mailboxId: string,
      folderId: string | null,
      after: LetterCursor | null,
      limit: number,
      filter?: LetterFilter,
    ): Promise<Letter[]>;
    update(mailboxId: string, id: string, patch: LetterPatch): Promise<void>;
    /** Sets opened_at only if it was unset; true when this call was the first opening. */
    markOpened(mailboxId: string, id: string, at: string): Promise<boolean>;
    moveAll(mailboxId: string, fromFolderId: string, toFolderId: string): Promise<void>;
  };
  /**
   * Small blobs kept in the database itself, next to the rows that point at them (see the
   * database blob store in packages/storage); keys are the blob store's keys.
   */
  blobContents: {
    /** False when the key is already taken (nothing is written). */
    insert(key: string, data: Uint8Array, createdAt: string): Promise<boolean>;
    get(key: string): Promise<Uint8Array | null>;
    delete(key: string): Promise<void>;
    /** Keys of blobs written before `olderThan`, in key order after `afterKey`, at most `limit`. */
    listOlderThan(olderThan: string, afterKey: string | null, limit: number): Promise<string[]>;
    /** Which of these keys are rows. */
    existing(keys: string[]): Promise<Set<string>>;
  };
  documents: {
    insertMany(documents: StoredDocument[]): Promise<void>;
    listByLetter(letterId: string): Promise<StoredDocument[]>;
    /** New wrapped keys (and their sealed metadata) for documents that change keyholder. */
    rewrap(keys: Array<{ id: string; wrappedKey: Uint8Array; sealedMeta?: Uint8Array | null }>): Promise<void>;
    deleteByLetter(letterId: string): Promise<void>;
    get(letterId: string, id: string): Promise<StoredDocument | null>;
    /** Documents whose title and file name are still in plain text, with their letter's mailbox. */
    listUnsealed(limit: number): Promise<Array<StoredDocument & { mailboxId: string | null }>>;
    /** As letters.setSealedMeta, for a document whose letter is in `mailboxId`. */
    setSealedMeta(id: string, mailboxId: string | null, sealedMeta: Uint8Array): Promise<boolean>;
    /** Which of these blob keys some document points at. */
    referencedBlobKeys(keys: string[]): Promise<Set<string>>;
    /**
     * The newest `limit` blob keys (time-ordered UUIDs) of documents whose blobs are not rows of
     * the database: start-up's check of an unmarked blob store.
     */
    newestOutsideBlobKeys(limit: number): Promise<string[]>;
    /**
     * The blob keys documents point at (letters' and batches' shared documents), in key order
     * after `afterKey`, with the documents of each: the listing `admin blobs verify` checks.
     */
    blobKeyPage(
      afterKey: string | null,
      limit: number,
    ): Promise<Array<{ blobKey: string; documentId: string; letterId: string | null }>>;
  };
  events: {
    append(events: NewEvent[]): Promise<void>;
    listByLetter(letterId: string): Promise<LetterEvent[]>;
    feed(senderId: string, after: FeedCursor | null, limit: number): Promise<FeedEvent[]>;
    /** The position of the sender's latest event, to follow the feed from now on. */
    latestCursor(senderId: string): Promise<FeedCursor | null>;
    /** Every sender's events of these types, in commit order (for the platform's own readers). */
    globalFeed(after: FeedCursor | null, types: LetterEventType[], limit: number): Promise<FeedEvent[]>;
    /** Every event after `after` in the feed's order, without its letter's fields (the event chain's read). */
    since(after: FeedCursor | null, limit: number): Promise<Array<LetterEvent & { cursor: FeedCursor }>>;
    latestGlobalCursor(): Promise<FeedCursor | null>;
    /**
     * The DELIVERED events after `after` in global feed order, each with the few fields of its
     * letter the notification planner decides on: one read, where the events and then the whole
     * letters would be two (the planner follows every letter delivered, under full load too).
     */
    deliveredForNotice(after: FeedCursor | null, limit: number): Promise<DeliveredNotice[]>;
  };
};

/** A new letter with what is stored with it, in one unit of work. */
export type NewLetterUnit = {
  letter: Letter;
  documents: StoredDocument[];
  events: NewEvent[];
  jobs: NewJob[];
  /** Sealed documents kept as database rows (see BlobStore.rowMaxBytes), stored with the letter. */
  blobs: BlobRow[];
};
export type BlobRow = { key: string; data: Uint8Array };

/**
 * Transactions. `write` runs a unit of work atomically; the SQLite store may commit several units
 * together (group commit), each isolated by a savepoint. A unit must only touch the repositories
 * it is handed, and resolves only after its data is durably committed; it must not await
 * `insert` (on SQLite the two writers take turns, so it would wait for itself).
 */
export type Store = {
  readonly dialect: 'sqlite' | 'postgres';
  read: Repositories;
  write<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
  /**
   * The units of work every letter sent runs. They only insert and read nothing first, so a
   * store can run them wherever its writer is (SQLite: on a writer thread, off the event loop).
   */
  insert: {
    /** The letter with its documents, events and jobs; false, with nothing stored, when the sender used its id already. */
    letter(unit: NewLetterUnit): Promise<boolean>;
    /** A blob kept in the database; false when its key exists already. */
    blob(key: string, data: Uint8Array, createdAt: string): Promise<boolean>;
  };
  ping(): Promise<void>;
  /**
   * The database server's clock, where it has one of its own (PostgreSQL, whose processes may run
   * on other machines than this one); null where the database reads this machine's (SQLite).
   */
  serverTime(): Promise<Date | null>;
  close(): Promise<void>;
};

export type BlobStore = {
  /**
   * Blobs up to this size are kept as database rows, so they can be stored in the unit of work
   * of the rows that point at them (NewLetterUnit.blobs) instead of being put first. Absent: none.
   */
  readonly rowMaxBytes?: number;
  /** Resolves once the bytes are durable; a key is never put twice. */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Rejects with an error whose `code` is `ENOENT` when there is no such blob. */
  get(key: string): Promise<Uint8Array>;
  /** Removes the blob; a key that is not there is no error. */
  delete(key: string): Promise<void>;
  /** Whether the blob is there, without reading it. */
  has(key: string): Promise<boolean>;
  /** Keys whose blobs were written before `olderThan`; for the orphan sweep. */
  listOlderThan(olderThan: Date): AsyncIterable<string>;
};

/** Envelope encryption: mailbox keys wrapped by a master key, documents by content keys. */
export type Keyholder = Pick<Mailbox, 'id' | 'wrappedKey'>;
/**
 * The platform's own keyholder: content keys of letters that have no mailbox yet (held, print,
 * a batch's shared documents) are wrapped by a key derived from the master key.
 */
export const platformKeyholder: Keyholder = { id: 'platform', wrappedKey: new Uint8Array(0) };

export type Vault = {
  newMailboxKey(mailboxId: string): Promise<Uint8Array>;
  /** Wraps a document's content key again, for another keyholder, without touching the ciphertext. */
  rewrap(from: Keyholder, to: Keyholder, contentId: string, wrappedKey: Uint8Array): Promise<Uint8Array>;
  /** Seals a small secret (a webhook's signing secret) under the platform key. */
  sealSecret(purpose: string, secret: Uint8Array): Promise<Uint8Array>;
  openSecret(purpose: string, sealed: Uint8Array): Promise<Uint8Array>;
  /**
   * Seals a letter's or a document's descriptive fields (subject, file name, …) under the
   * keyholder's own key, so that deleting a mailbox key shreds them with the documents.
   */
  sealMeta(keyholder: Keyholder, purpose: string, plaintext: Uint8Array): Promise<Uint8Array>;
  openMeta(keyholder: Keyholder, purpose: string, sealed: Uint8Array): Promise<Uint8Array>;
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

export type Hasher = {
  sha256Hex(data: Uint8Array | string): string;
  hmacSha256Hex(key: Uint8Array, data: string): string;
};

/** A document as it goes to the printing house: plaintext, leaving the platform. */
export type PrintDocument = { filename: string; mediaType: string; role: 'main' | 'attachment'; content: Uint8Array };
export type PrintJob = {
  /** The platform's letter id; a provider must treat a second job with it as the same job. */
  letterId: string;
  senderName: string;
  details: PrintDetails;
  documents: PrintDocument[];
};
/** The printing house. A thrown error with `permanent: true` is not retried. */
export type PrintProvider = { submit(job: PrintJob): Promise<{ reference: string }> };

export type DeliveryPolicy = {
  /** How long a private sender's letter waits for a recipient when no deadline was given. */
  defaultHoldDays: number;
  /** Contact details older than this many months may not be used for legal notifications. */
  contactFreshMonths: number;
  /** The name of this mailbox provider, shown in register lookups. */
  providerName: string;
  notifications: NotificationPolicy;
};

export type NotificationPolicy = {
  /** Letters arriving within this long of the first are told in one notification. */
  coalesceMs: number;
  /** At least this long between two notifications to a person on one channel. */
  minIntervalMs: number;
  /** SMS are not sent between these local times ("21:00" to "08:00"); they wait for the end. */
  smsQuietHours: { start: string; end: string } | null;
  timeZone: string;
  /** Links in notifications start here. */
  publicUrl: string;
};

export type Deps = {
  /** Signs each event's receipt as the event is written (stored, never made again from the row). */
  receipts?: ReceiptSigner;
  store: Store;
  blobs: BlobStore;
  vault: Vault;
  clock: Clock;
  ids: IdGenerator;
  hasher: Hasher;
  print: PrintProvider;
  notifier: Notifier;
  policy: DeliveryPolicy;
};
