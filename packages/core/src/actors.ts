import { type AuthLevel, satisfiesLevel } from './auth-level.js';
import { AppError } from './errors.js';
import type { Deps, Letter, Mailbox, Repositories, Sender } from './ports.js';

/** A person acting through the recipient API, at the level their login reached. */
export type PersonActor = { kind: 'person'; nationalId: string; authLevel: AuthLevel };
/** A sender acting through the sender API with one of its credentials. */
export type SenderActor = { kind: 'sender'; sender: Sender; credentialId: string; scopes: string[] };

/**
 * How a person reaches a mailbox: as its owner, as a delegate the owner granted access
 * (read or manage), or as a member of the organization that owns it (admin or reader).
 */
export type MailboxRole = 'owner' | 'delegate-read' | 'delegate-manage' | 'org-admin' | 'org-reader';
export type MailboxAccess = { mailbox: Mailbox; role: MailboxRole; grantId: string | null };

/** What each role may do. Reading is common to all; only owners (and organization admins) delete. */
const capabilities: Record<MailboxRole, { organize: boolean; delete: boolean; administer: boolean }> = {
  owner: { organize: true, delete: true, administer: true },
  'org-admin': { organize: true, delete: true, administer: true },
  'delegate-manage': { organize: true, delete: false, administer: false },
  'delegate-read': { organize: false, delete: false, administer: false },
  'org-reader': { organize: false, delete: false, administer: false },
};

/**
 * The one place that decides whether a person may use a mailbox. A mailbox that does not exist
 * and one the person has no access to answer alike, so ids reveal nothing. Grants and
 * memberships are read on every call, so a revoked grant stops working at once.
 */
export async function requireMailboxAccess(
  deps: Pick<Deps, 'store' | 'clock'>,
  actor: PersonActor,
  mailboxId: string,
  repos: Repositories = deps.store.read,
): Promise<MailboxAccess> {
  const mailbox = await repos.mailboxes.get(mailboxId);
  if (mailbox) {
    if (mailbox.ownerType === 'person' && mailbox.ownerId === actor.nationalId) {
      return { mailbox, role: 'owner', grantId: null };
    }
    if (mailbox.ownerType === 'organization') {
      const member = await repos.members.find('mailbox', mailbox.id, actor.nationalId);
      if (member) return { mailbox, role: member.role === 'admin' ? 'org-admin' : 'org-reader', grantId: null };
    }
    const now = deps.clock.now().toISOString();
    const grant = (await repos.grants.listActiveForGrantee(actor.nationalId, now)).find(
      (g) => g.mailboxId === mailbox.id,
    );
    if (grant)
      return { mailbox, role: grant.scope === 'manage' ? 'delegate-manage' : 'delegate-read', grantId: grant.id };
  }
  throw new AppError('not_found', 'No such mailbox');
}

export function canOrganize(access: MailboxAccess): boolean {
  return capabilities[access.role].organize;
}
export function canDelete(access: MailboxAccess): boolean {
  return capabilities[access.role].delete;
}
export function canAdminister(access: MailboxAccess): boolean {
  return capabilities[access.role].administer;
}

export function requireCapability(allowed: boolean, what: string): void {
  if (!allowed) throw new AppError('forbidden', `Your access to this mailbox does not allow you to ${what}`);
}

/** Whether the actor's login level lets them see a letter's content (subject, documents). */
export function canSeeContent(actor: PersonActor, letter: Pick<Letter, 'authLevel'>): boolean {
  return satisfiesLevel(actor.authLevel, letter.authLevel);
}

export function requireContentLevel(actor: PersonActor, letter: Pick<Letter, 'authLevel'>): void {
  if (!canSeeContent(actor, letter)) {
    throw new AppError('auth_level_too_low', `This letter needs authentication level ${letter.authLevel}`, {
      extra: { requiredAuthLevel: letter.authLevel },
    });
  }
}
