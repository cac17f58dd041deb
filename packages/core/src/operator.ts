/** What the operator of a deployment does: registers senders, credentials, persons, organizations. */
import { OPERATOR, recordRegisterChange } from './audit.js';
import { AppError } from './errors.js';
import { heldReleaseJob } from './jobs.js';
import { parseNationalId, parseOrgNumber } from './parties.js';
import type {
  ApiKey,
  Deps,
  Folder,
  Mailbox,
  MailboxOwnerType,
  Person,
  PostalAddress,
  Randomness,
  Sender,
  SenderKind,
} from './ports.js';
import { checkContact } from './register.js';

export async function createSender(
  deps: Deps,
  input: { orgNumber: string; name: string; kind: SenderKind },
): Promise<Sender> {
  if (!parseOrgNumber(input.orgNumber)) {
    throw new AppError('validation_failed', 'Not a valid organization number', {
      errors: [{ path: 'orgNumber', code: 'invalid_org_number', message: 'not valid' }],
    });
  }
  if (input.name.trim() === '') throw new AppError('validation_failed', 'A sender needs a name');
  const sender: Sender = {
    id: deps.ids.uuid(),
    orgNumber: input.orgNumber,
    name: input.name.trim(),
    kind: input.kind,
    status: 'active',
    createdAt: deps.clock.now().toISOString(),
  };
  await deps.store.write(async (repos) => {
    if (await repos.senders.findByOrgNumber(input.orgNumber)) {
      throw new AppError('invalid_operation', `A sender with organization number ${input.orgNumber} exists`);
    }
    await repos.senders.insert(sender);
  });
  return sender;
}

export const apiKeyPrefix = 'pk_';

/** Issues an API key. The secret is returned this once; only its hash is kept. */
/** What a sender credential may be allowed beyond sending and reading its own letters. */
export const senderScopes = ['messages', 'register:contact'] as const;
export type SenderScope = (typeof senderScopes)[number];

export function checkScopes(scopes: string[]): string[] {
  const unknown = scopes.filter((s) => !(senderScopes as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new AppError('validation_failed', `Unknown scope ${unknown.join(', ')}; known: ${senderScopes.join(', ')}`);
  }
  return [...new Set(['messages', ...scopes])];
}

export async function createApiKey(
  deps: Deps & { random: Randomness },
  senderId: string,
  label: string | null = null,
  scopes: string[] = [],
): Promise<{ key: ApiKey; secret: string }> {
  const sender = await deps.store.read.senders.get(senderId);
  if (!sender) throw new AppError('not_found', 'No such sender');
  const granted = checkScopes(scopes);
  const secret = `${apiKeyPrefix}${deps.random.token(32)}`;
  const key: ApiKey = {
    id: deps.ids.uuid(),
    senderId,
    keyHash: deps.hasher.sha256Hex(secret),
    prefix: secret.slice(0, 10),
    label,
    scopes: granted,
    createdAt: deps.clock.now().toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  };
  await deps.store.write((repos) => repos.apiKeys.insert(key));
  return { key, secret };
}

async function openMailbox(
  deps: Deps,
  ownerType: MailboxOwnerType,
  ownerId: string,
  name: string | null,
): Promise<{ mailbox: Mailbox; folders: Folder[] }> {
  const id = deps.ids.uuid();
  const now = deps.clock.now().toISOString();
  const mailbox: Mailbox = {
    id,
    ownerType,
    ownerId,
    name,
    status: 'active',
    wrappedKey: await deps.vault.newMailboxKey(id),
    createdAt: now,
  };
  const folder = (kind: Folder['kind'], folderName: string): Folder => ({
    id: deps.ids.uuid(),
    mailboxId: id,
    kind,
    name: folderName,
    createdAt: now,
  });
  return { mailbox, folders: [folder('inbox', 'Inbox'), folder('archive', 'Archive'), folder('trash', 'Trash')] };
}

/** Opens the mailbox of a person already in the register (on their first login). */
export async function registerPersonMailbox(deps: Deps, person: Person): Promise<Mailbox> {
  const { mailbox, folders } = await openMailbox(deps, 'person', person.nationalId, person.name);
  await deps.store.write(async (repos) => {
    if (await repos.mailboxes.findByOwner('person', person.nationalId)) return;
    await repos.mailboxes.insert(mailbox);
    for (const f of folders) await repos.folders.insert(f);
    await repos.jobs.enqueue([heldReleaseJob(deps, { type: 'person', id: person.nationalId })]);
    await recordRegisterChange(
      deps,
      repos,
      person.nationalId,
      { type: 'person', id: person.nationalId },
      'mailbox.open',
      { mailboxId: mailbox.id, at: 'first login' },
    );
  });
  return (await deps.store.read.mailboxes.findByOwner('person', person.nationalId)) ?? mailbox;
}

/**
 * Registers a person and opens their mailbox with its system folders; with `openMailbox: false`
 * the person is only in the register, and the mailbox opens at their first login.
 */
export async function registerPerson(
  deps: Deps,
  input: {
    nationalId: string;
    name?: string | null;
    email?: string | null;
    mobile?: string | null;
    language?: string | null;
    postalAddress?: PostalAddress | null;
    openMailbox?: boolean;
  },
): Promise<{ person: Person; mailbox: Mailbox | null }> {
  const parsed = parseNationalId(input.nationalId);
  const { email, mobile, errors } = checkContact({
    email: input.email ?? null,
    mobile: input.mobile ?? null,
    language: input.language ?? null,
  });
  if (!parsed) errors.unshift({ path: 'nationalId', code: 'invalid_national_id', message: 'not valid' });
  if (!parsed || errors.length > 0) {
    throw new AppError('validation_failed', parsed ? 'The contact details are not valid' : 'Not a valid national id', {
      errors,
    });
  }
  const now = deps.clock.now().toISOString();
  const person: Person = {
    id: deps.ids.uuid(),
    nationalId: parsed.nationalId,
    country: parsed.country,
    name: input.name ?? null,
    status: 'active',
    email,
    emailUpdatedAt: email ? now : null,
    emailVerifiedAt: null,
    mobile,
    mobileUpdatedAt: mobile ? now : null,
    mobileVerifiedAt: null,
    language: input.language ?? null,
    reserved: false,
    reservedAt: null,
    exempt: false,
    exemptAt: null,
    postalAddress: input.postalAddress ?? null,
    createdAt: now,
    updatedAt: null,
  };
  const opened =
    input.openMailbox === false ? null : await openMailbox(deps, 'person', parsed.nationalId, input.name ?? null);
  await deps.store.write(async (repos) => {
    if (await repos.persons.findByNationalId(parsed.nationalId)) {
      throw new AppError('invalid_operation', 'This person is already registered');
    }
    await repos.persons.insert(person);
    if (opened) {
      await repos.mailboxes.insert(opened.mailbox);
      for (const f of opened.folders) await repos.folders.insert(f);
      await repos.jobs.enqueue([heldReleaseJob(deps, { type: 'person', id: parsed.nationalId })]);
    }
    await recordRegisterChange(deps, repos, parsed.nationalId, OPERATOR, 'register.create', {
      contact: [...(email ? ['email'] : []), ...(mobile ? ['mobile'] : [])],
      mailboxId: opened?.mailbox.id ?? null,
    });
  });
  return { person, mailbox: opened?.mailbox ?? null };
}

/** Opens an organization's mailbox. */
export async function registerOrganization(
  deps: Deps,
  input: { orgNumber: string; name: string },
): Promise<{ mailbox: Mailbox }> {
  if (!parseOrgNumber(input.orgNumber)) {
    throw new AppError('validation_failed', 'Not a valid organization number', {
      errors: [{ path: 'orgNumber', code: 'invalid_org_number', message: 'not valid' }],
    });
  }
  const { mailbox, folders } = await openMailbox(deps, 'organization', input.orgNumber, input.name);
  await deps.store.write(async (repos) => {
    if (await repos.mailboxes.findByOwner('organization', input.orgNumber)) {
      throw new AppError('invalid_operation', 'This organization already has a mailbox');
    }
    await repos.mailboxes.insert(mailbox);
    for (const f of folders) await repos.folders.insert(f);
    await repos.jobs.enqueue([heldReleaseJob(deps, { type: 'organization', id: input.orgNumber })]);
  });
  return { mailbox };
}

/**
 * Finds the sender behind an API key. Revoked keys and disabled senders fail. `lastUsedAt` is
 * refreshed at most once a minute, so authentication does not cost a write per request.
 */
export async function authenticateApiKey(deps: Deps, secret: string): Promise<{ sender: Sender; key: ApiKey } | null> {
  if (!secret.startsWith(apiKeyPrefix)) return null;
  const found = await deps.store.read.apiKeys.findWithSender(deps.hasher.sha256Hex(secret));
  if (!found || found.key.revokedAt || found.sender.status !== 'active') return null;
  const { key, sender } = found;
  const now = deps.clock.now();
  if (!key.lastUsedAt || now.getTime() - Date.parse(key.lastUsedAt) > 60_000) {
    const at = now.toISOString();
    key.lastUsedAt = at;
    void deps.store.write((repos) => repos.apiKeys.touch(key.id, at)).catch(() => undefined);
  }
  return { sender, key };
}
