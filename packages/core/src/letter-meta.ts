/**
 * A letter's descriptive fields are content too: its subject ("Vedtak om uføretrygd"), the
 * sender's case reference, the recipient's postal address for print, its actions (links, amounts,
 * places), what its wire format carried beyond the model (extras), and its documents' titles
 * and file names. They are sealed like the documents, for the letter's keyholder (its mailbox,
 * or the platform's key while it has none), so deleting a mailbox key shreds them with the
 * documents, backups included. The non-sensitive title stays readable: the sender gave it to be
 * shown where the letter is not (notifications, a login at too low a level).
 *
 * Rows hold the sealed form, with those columns empty; `sealingStore` opens every letter and
 * document the store hands out, so the rest of the domain sees plain letters. The keyholder
 * follows the letter: a letter entering a mailbox (`deliver`) or leaving it (the trash purge) is
 * sealed again, as its documents' keys are wrapped again.
 */
import type { Deps, Keyholder, Letter, PrintDetails, Repositories, Store, StoredDocument, Vault } from './ports.js';
import { platformKeyholder } from './ports.js';

/**
 * What a letter's seal holds. `actions` and `extras` are the JSON of the letter's actions and of
 * what its wire format carried beyond the model (left out by rows sealed before they moved in).
 */
type LetterMeta = {
  subject: string;
  senderReference: string | null;
  printDetails: PrintDetails | null;
  actions?: string | null;
  extras?: string | null;
};
type DocumentMeta = { title: string | null; filename: string };

const letterPurpose = (id: string) => `letter:${id}`;
const documentPurpose = (id: string) => `document:${id}`;
const toJson = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const fromJson = <T>(bytes: Uint8Array) => JSON.parse(Buffer.from(bytes).toString('utf8')) as T;

const text = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString('utf8') : null);
const bytesOf = (json: string | null) => (json === null ? null : Buffer.from(json, 'utf8'));

/** The letter's fields sealed for `keyholder`, those fields emptied: the form a row keeps. */
export async function sealLetterMeta(vault: Vault, keyholder: Keyholder, letter: Letter): Promise<Letter> {
  const meta: LetterMeta = {
    subject: letter.subject,
    senderReference: letter.senderReference,
    printDetails: letter.printDetails,
    actions: text(letter.actions),
    extras: text(letter.extras),
  };
  return {
    ...letter,
    subject: '',
    senderReference: null,
    printDetails: null,
    actions: null,
    extras: null,
    sealedMeta: await vault.sealMeta(keyholder, letterPurpose(letter.id), toJson(meta)),
  };
}

/**
 * A letter row opened with its keyholder's key: its sealed fields, or, for a row an older version
 * wrote, its plain fields and its actions and extras sealed by the platform key in columns of
 * their own (opened here; newer rows keep those inside their seal).
 */
async function openLetter(vault: Vault, keyholder: () => Promise<Keyholder>, l: Letter): Promise<Letter> {
  const legacy = {
    actions: l.actions ? await vault.openSecret(`letter-actions:${l.id}`, l.actions) : null,
    extras: l.extras ? await vault.openSecret(`letter-extras:${l.id}`, l.extras) : null,
  };
  if (!l.sealedMeta) return { ...l, ...legacy };
  const meta = fromJson<LetterMeta>(await vault.openMeta(await keyholder(), letterPurpose(l.id), l.sealedMeta));
  return {
    ...l,
    subject: meta.subject,
    senderReference: meta.senderReference,
    printDetails: meta.printDetails,
    actions: meta.actions === undefined ? legacy.actions : bytesOf(meta.actions),
    extras: meta.extras === undefined ? legacy.extras : bytesOf(meta.extras),
  };
}

/** A document's title and file name sealed for `keyholder`, as sealLetterMeta. */
export async function sealDocumentMeta(
  vault: Vault,
  keyholder: Keyholder,
  doc: StoredDocument,
): Promise<StoredDocument> {
  const meta: DocumentMeta = { title: doc.title, filename: doc.filename };
  return {
    ...doc,
    title: null,
    filename: '',
    sealedMeta: await vault.sealMeta(keyholder, documentPurpose(doc.id), toJson(meta)),
  };
}

/** Seals the metadata of an opened letter (and its documents) again for another keyholder. */
export async function resealFor(deps: Pick<Deps, 'vault'>, keyholder: Keyholder, letter: Letter) {
  return (await sealLetterMeta(deps.vault, keyholder, letter)).sealedMeta ?? null;
}

/**
 * Opens letters and documents read from `repos`. The keyholders (mailbox rows) are kept in memory:
 * a mailbox's wrapped key never changes.
 */
function opener(vault: Vault, keyholders: Map<string, Keyholder>) {
  return (repos: Repositories) => {
    async function keyholderOf(mailboxId: string | null): Promise<Keyholder> {
      if (!mailboxId) return platformKeyholder;
      let keyholder = keyholders.get(mailboxId);
      if (!keyholder) {
        const mailbox = await repos.mailboxes.get(mailboxId);
        if (!mailbox) throw new Error(`mailbox ${mailboxId} is gone`);
        keyholder = { id: mailbox.id, wrappedKey: mailbox.wrappedKey };
        if (keyholders.size >= 10_000) keyholders.clear();
        keyholders.set(mailboxId, keyholder);
      }
      return keyholder;
    }
    const letter = (l: Letter) => openLetter(vault, () => keyholderOf(l.mailboxId), l);
    async function documents(docs: StoredDocument[]): Promise<StoredDocument[]> {
      const sealed = docs.filter((d) => d.sealedMeta);
      if (sealed.length === 0) return docs;
      const owners = new Map<string, Keyholder>();
      const out: StoredDocument[] = [];
      for (const d of docs) {
        if (!d.sealedMeta) {
          out.push(d);
          continue;
        }
        let keyholder = owners.get(d.letterId);
        if (!keyholder) {
          const owner = await repos.letters.get(d.letterId);
          if (!owner) throw new Error(`letter ${d.letterId} of document ${d.id} is gone`);
          keyholder = await keyholderOf(owner.mailboxId);
          owners.set(d.letterId, keyholder);
        }
        const meta = fromJson<DocumentMeta>(await vault.openMeta(keyholder, documentPurpose(d.id), d.sealedMeta));
        out.push({ ...d, ...meta });
      }
      return out;
    }
    const many = async (ls: Letter[]) => Promise.all(ls.map(letter));
    const one = async (l: Letter | null) => (l ? letter(l) : null);
    const raw = repos.letters;
    const rawDocuments = repos.documents;
    return {
      ...repos,
      letters: {
        ...raw,
        getMany: async (ids) => many(await raw.getMany(ids)),
        findManyByExternalIds: async (senderId, ids) => many(await raw.findManyByExternalIds(senderId, ids)),
        findByExternalId: async (senderId, id) => one(await raw.findByExternalId(senderId, id)),
        get: async (id) => one(await raw.get(id)),
        listHeld: async (type, id, senderId) => many(await raw.listHeld(type, id, senderId)),
        pendingNoLongerDeliverable: async (batchId, kind) => many(await raw.pendingNoLongerDeliverable(batchId, kind)),
        getInMailbox: async (mailboxId, id) => one(await raw.getInMailbox(mailboxId, id)),
        listInFolder: async (mailboxId, folderId, after, limit, filter) =>
          many(await raw.listInFolder(mailboxId, folderId, after, limit, filter)),
      },
      documents: {
        ...rawDocuments,
        listByLetter: async (letterId) => documents(await rawDocuments.listByLetter(letterId)),
        get: async (letterId, id) => {
          const d = await rawDocuments.get(letterId, id);
          return d ? ((await documents([d]))[0] ?? null) : null;
        },
      },
    } satisfies Repositories;
  };
}

/**
 * The store as the domain uses it: every letter and document read comes opened (see above). What
 * is written is sealed where it is made (sendLetter, batches, deliver, the purge).
 */
export function sealingStore(store: Store, vault: Vault): Store {
  const open = opener(vault, new Map());
  const read = open(store.read);
  return {
    dialect: store.dialect,
    read,
    write: (work) => store.write((repos) => work(open(repos))),
    insert: store.insert,
    ping: () => store.ping(),
    serverTime: () => store.serverTime(),
    close: () => store.close(),
  };
}

/**
 * Seals what was written before letters' fields were sealed, a page at a time, until nothing is
 * left in plain text. Safe beside live traffic: each row is sealed only if it still is plain and
 * still has the keyholder it was sealed for. Then moves actions and extras that an older version
 * sealed with the platform key into their letter's seal. Returns how many of each it did.
 */
export async function sealPlainMetadata(
  deps: Pick<Deps, 'store' | 'vault'>,
  options: { pageSize?: number; signal?: AbortSignal } = {},
): Promise<{ letters: number; documents: number; secrets: number }> {
  const pageSize = options.pageSize ?? 500;
  const keyholderOf = async (mailboxId: string | null): Promise<Keyholder> => {
    if (!mailboxId) return platformKeyholder;
    const mailbox = await deps.store.read.mailboxes.get(mailboxId);
    if (!mailbox) throw new Error(`mailbox ${mailboxId} is gone`);
    return mailbox;
  };
  /** Seals rows a page at a time until none is left (or a full page could not be sealed); how many. */
  async function sealAll<T extends { id: string; mailboxId: string | null }>(
    list: () => Promise<T[]>,
    seal: (row: T, keyholder: Keyholder) => Promise<Uint8Array | null | undefined>,
    keep: (repos: Repositories, row: T, sealed: Uint8Array) => Promise<boolean>,
  ): Promise<number> {
    let count = 0;
    for (;;) {
      const rows = await list();
      const sealed: Array<[T, Uint8Array]> = [];
      for (const row of rows) {
        const meta = await seal(row, await keyholderOf(row.mailboxId));
        if (meta) sealed.push([row, meta]);
      }
      const before = count;
      await deps.store.write(async (repos) => {
        for (const [row, meta] of sealed) count += Number(await keep(repos, row, meta));
      });
      // A full page of which none could be sealed (each moved meanwhile) is read again next start.
      if (rows.length < pageSize || count === before || options.signal?.aborted) return count;
    }
  }
  /** A letter row opened and sealed again for its keyholder, its actions and extras inside. */
  const resealed = async (l: Letter, keyholder: Keyholder) =>
    (await sealLetterMeta(deps.vault, keyholder, await openLetter(deps.vault, async () => keyholder, l))).sealedMeta;
  const letters = await sealAll(
    () => deps.store.read.letters.listUnsealed(pageSize),
    resealed,
    (repos, l, meta) => repos.letters.setSealedMeta(l.id, l.mailboxId, meta),
  );
  if (options.signal?.aborted) return { letters, documents: 0, secrets: 0 };
  const documents = await sealAll(
    () => deps.store.read.documents.listUnsealed(pageSize),
    async (d, keyholder) => (await sealDocumentMeta(deps.vault, keyholder, d)).sealedMeta,
    (repos, d, meta) => repos.documents.setSealedMeta(d.id, d.mailboxId, meta),
  );
  if (options.signal?.aborted) return { letters, documents, secrets: 0 };
  // Sealed letters whose actions or extras are still under the platform key: into their seal.
  const secrets = await sealAll(
    () => deps.store.read.letters.listPlatformSealedSecrets(pageSize),
    resealed,
    (repos, l, meta) => repos.letters.setSealedSecrets(l.id, l.mailboxId, meta),
  );
  return { letters, documents, secrets };
}
