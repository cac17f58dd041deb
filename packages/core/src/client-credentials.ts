import type { PersonActor } from './actors.js';
import { AppError } from './errors.js';
import { checkScopes } from './operator.js';
import type { ClientKey, Deps } from './ports.js';
import { requireSenderAdmin } from './sender-credentials.js';

/**
 * Registers a public key a sender will sign client assertions with (RFC 7523). The caller (the
 * HTTP layer) has already checked that `jwk` is a well-formed public key of an allowed type.
 */
export async function registerClientKey(
  deps: Deps,
  senderId: string,
  jwk: Record<string, unknown> & { kid: string },
  scopes: string[] = [],
): Promise<ClientKey> {
  const granted = checkScopes(scopes);
  const existing = await deps.store.read.clientKeys.listBySender(senderId);
  if (existing.some((k) => k.kid === jwk.kid && !k.revokedAt)) {
    throw new AppError('invalid_operation', `A key with kid ${JSON.stringify(jwk.kid)} is already registered`);
  }
  const key: ClientKey = {
    id: deps.ids.uuid(),
    senderId,
    kid: jwk.kid,
    jwk,
    scopes: granted,
    createdAt: deps.clock.now().toISOString(),
    revokedAt: null,
  };
  await deps.store.write((repos) => repos.clientKeys.insert(key));
  return key;
}

export async function addClientKeyAsAdmin(
  deps: Deps,
  actor: PersonActor,
  senderId: string,
  jwk: Record<string, unknown> & { kid: string },
): Promise<ClientKey> {
  await requireSenderAdmin(deps, actor, senderId);
  return registerClientKey(deps, senderId, jwk);
}

export async function listClientKeys(deps: Deps, actor: PersonActor, senderId: string): Promise<ClientKey[]> {
  await requireSenderAdmin(deps, actor, senderId);
  return deps.store.read.clientKeys.listBySender(senderId);
}

export async function revokeClientKey(deps: Deps, actor: PersonActor, senderId: string, keyId: string): Promise<void> {
  await requireSenderAdmin(deps, actor, senderId);
  const key = (await deps.store.read.clientKeys.listBySender(senderId)).find((k) => k.id === keyId);
  if (!key) throw new AppError('not_found', 'No such client key');
  await deps.store.write((repos) => repos.clientKeys.revoke(senderId, keyId, deps.clock.now().toISOString()));
}
