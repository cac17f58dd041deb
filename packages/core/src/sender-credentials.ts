import type { PersonActor } from './actors.js';
import { AppError } from './errors.js';
import { createApiKey } from './operator.js';
import { parseNationalId } from './parties.js';
import type { ApiKey, Deps, Member, Randomness, Sender } from './ports.js';

/** The operator makes a person an administrator of a sender (who then manages its API keys). */
export async function addSenderAdmin(deps: Deps, orgNumber: string, nationalId: string): Promise<Member> {
  const sender = await deps.store.read.senders.findByOrgNumber(orgNumber);
  if (!sender) throw new AppError('not_found', 'No sender with this organization number');
  const person = parseNationalId(nationalId);
  if (!person) throw new AppError('validation_failed', 'Not a valid national id');
  const member: Member = {
    id: deps.ids.uuid(),
    scopeType: 'sender',
    scopeId: sender.id,
    nationalId: person.nationalId,
    role: 'admin',
    createdAt: deps.clock.now().toISOString(),
    createdBy: 'operator',
    notify: false,
  };
  return deps.store.write(async (repos) => {
    const existing = await repos.members.find('sender', sender.id, person.nationalId);
    if (existing) return existing;
    await repos.members.insert(member);
    return member;
  });
}

/** The senders a person administers. */
export async function listMySenders(deps: Deps, actor: PersonActor): Promise<Sender[]> {
  const out: Sender[] = [];
  for (const m of await deps.store.read.members.listForPerson(actor.nationalId)) {
    if (m.scopeType !== 'sender') continue;
    const sender = await deps.store.read.senders.get(m.scopeId);
    if (sender) out.push(sender);
  }
  return out;
}

/** A sender that does not exist and one the person does not administer answer alike. */
export async function requireSenderAdmin(deps: Deps, actor: PersonActor, senderId: string): Promise<Sender> {
  const sender = await deps.store.read.senders.get(senderId);
  const member = sender ? await deps.store.read.members.find('sender', sender.id, actor.nationalId) : null;
  if (!sender || !member) throw new AppError('not_found', 'No such sender');
  return sender;
}

export async function listSenderApiKeys(deps: Deps, actor: PersonActor, senderId: string): Promise<ApiKey[]> {
  await requireSenderAdmin(deps, actor, senderId);
  return deps.store.read.apiKeys.listBySender(senderId);
}

export async function issueSenderApiKey(
  deps: Deps & { random: Randomness },
  actor: PersonActor,
  senderId: string,
  label: string | null,
): Promise<{ key: ApiKey; secret: string }> {
  await requireSenderAdmin(deps, actor, senderId);
  return createApiKey(deps, senderId, label);
}

async function requireKey(deps: Deps, senderId: string, keyId: string): Promise<ApiKey> {
  const key = (await deps.store.read.apiKeys.listBySender(senderId)).find((k) => k.id === keyId);
  if (!key) throw new AppError('not_found', 'No such API key');
  return key;
}

/** Revokes a key; the next request made with it is refused. */
export async function revokeSenderApiKey(deps: Deps, actor: PersonActor, senderId: string, keyId: string) {
  await requireSenderAdmin(deps, actor, senderId);
  await requireKey(deps, senderId, keyId);
  await deps.store.write((repos) => repos.apiKeys.revoke(keyId, deps.clock.now().toISOString()));
}

/** Rotation: a new key with the same label, and the old one revoked, in one step. */
export async function rotateSenderApiKey(
  deps: Deps & { random: Randomness },
  actor: PersonActor,
  senderId: string,
  keyId: string,
): Promise<{ key: ApiKey; secret: string }> {
  await requireSenderAdmin(deps, actor, senderId);
  const old = await requireKey(deps, senderId, keyId);
  if (old.revokedAt) throw new AppError('invalid_operation', 'This key is already revoked');
  const fresh = await createApiKey(deps, senderId, old.label);
  await deps.store.write((repos) => repos.apiKeys.revoke(keyId, deps.clock.now().toISOString()));
  return fresh;
}
