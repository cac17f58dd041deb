import { type PersonActor, requireCapability, requireMailboxAccess } from './actors.js';
import { recordAudit } from './audit.js';
import { AppError } from './errors.js';
import { requireNationalId } from './parties.js';
import type { Deps, Grant, GrantScope } from './ports.js';

/** Only the owner of a person's mailbox gives, lists and revokes read access to it. */
async function requireOwner(deps: Deps, actor: PersonActor, mailboxId: string) {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  requireCapability(access.role === 'owner', 'give others access');
  return access;
}

/**
 * Gives another person access to a mailbox: `read` (read letters) or `manage` (also move and mark
 * them; never delete or grant onward). A new grant to the same person replaces the old one.
 */
export async function createGrant(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  input: { granteeNationalId: string; scope: GrantScope; validUntil?: string | undefined },
): Promise<Grant> {
  const access = await requireOwner(deps, actor, mailboxId);
  const granteeNationalId = requireNationalId(input.granteeNationalId, 'body.granteeNationalId');
  if (granteeNationalId === actor.nationalId) {
    throw new AppError('invalid_operation', 'You cannot give access to yourself');
  }
  const now = deps.clock.now();
  if (input.validUntil !== undefined && Date.parse(input.validUntil) <= now.getTime()) {
    throw new AppError('validation_failed', 'validUntil must be in the future', {
      errors: [{ path: 'body.validUntil', code: 'in_the_past', message: 'must be in the future' }],
    });
  }
  const grant: Grant = {
    id: deps.ids.uuid(),
    mailboxId,
    granteeNationalId,
    scope: input.scope,
    validUntil: input.validUntil ? new Date(input.validUntil).toISOString() : null,
    createdAt: now.toISOString(),
    createdBy: actor.nationalId,
    revokedAt: null,
  };
  await deps.store.write(async (repos) => {
    await repos.mailboxes.lock(mailboxId);
    for (const old of await repos.grants.listByMailbox(mailboxId)) {
      if (old.granteeNationalId === grant.granteeNationalId && !old.revokedAt) {
        await repos.grants.revoke(mailboxId, old.id, grant.createdAt);
      }
    }
    await repos.grants.insert(grant);
    await recordAudit(deps, repos, actor, access, 'grant.create', null, { grantId: grant.id, scope: grant.scope });
  });
  return grant;
}

export async function listGrants(deps: Deps, actor: PersonActor, mailboxId: string): Promise<Grant[]> {
  await requireOwner(deps, actor, mailboxId);
  return deps.store.read.grants.listByMailbox(mailboxId);
}

/** Revokes a grant; the delegate's next request is refused. */
export async function revokeGrant(deps: Deps, actor: PersonActor, mailboxId: string, grantId: string): Promise<void> {
  const access = await requireOwner(deps, actor, mailboxId);
  const grant = await deps.store.read.grants.get(mailboxId, grantId);
  if (!grant) throw new AppError('not_found', 'No such grant');
  if (grant.revokedAt) return;
  await deps.store.write(async (repos) => {
    await repos.grants.revoke(mailboxId, grantId, deps.clock.now().toISOString());
    await recordAudit(deps, repos, actor, access, 'grant.revoke', null, { grantId });
  });
}
