import { canAdminister, type PersonActor, requireCapability, requireMailboxAccess } from './actors.js';
import { recordAudit } from './audit.js';
import { AppError } from './errors.js';
import { parseOrgNumber, requireNationalId } from './parties.js';
import type { Deps, Member, MemberRole, MemberScope } from './ports.js';

function newMember(
  deps: Deps,
  scopeType: MemberScope,
  scopeId: string,
  nationalId: string,
  role: MemberRole,
  by: string,
): Member {
  return {
    id: deps.ids.uuid(),
    scopeType,
    scopeId,
    nationalId,
    role,
    createdAt: deps.clock.now().toISOString(),
    createdBy: by,
    notify: false,
  };
}

/** The operator names an organization's first administrator (or another one). */
export async function addOrganizationAdmin(deps: Deps, orgNumber: string, nationalId: string): Promise<Member> {
  if (!parseOrgNumber(orgNumber)) throw new AppError('validation_failed', 'Not a valid organization number');
  const id = requireNationalId(nationalId, 'nationalId');
  const mailbox = await deps.store.read.mailboxes.findByOwner('organization', orgNumber);
  if (!mailbox) throw new AppError('not_found', 'This organization has no mailbox');
  const member = newMember(deps, 'mailbox', mailbox.id, id, 'admin', 'operator');
  await deps.store.write(async (repos) => {
    const existing = await repos.members.find('mailbox', mailbox.id, id);
    if (existing) await repos.members.delete('mailbox', mailbox.id, existing.id);
    await repos.members.insert(member);
  });
  return member;
}

async function requireOrgAdmin(deps: Deps, actor: PersonActor, mailboxId: string) {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  if (access.mailbox.ownerType !== 'organization') {
    throw new AppError('invalid_operation', 'Only an organization mailbox has members; use grants for your own');
  }
  requireCapability(canAdminister(access), 'manage its members');
  return access;
}

/** An organization admin adds a member (admin or reader), or changes a member's role. */
export async function addMember(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  input: { nationalId: string; role: MemberRole },
): Promise<Member> {
  const access = await requireOrgAdmin(deps, actor, mailboxId);
  const id = requireNationalId(input.nationalId, 'body.nationalId');
  const member = newMember(deps, 'mailbox', mailboxId, id, input.role, actor.nationalId);
  await deps.store.write(async (repos) => {
    await repos.mailboxes.lock(mailboxId);
    const existing = await repos.members.find('mailbox', mailboxId, id);
    if (existing?.role === 'admin' && input.role !== 'admin') {
      const admins = (await repos.members.list('mailbox', mailboxId)).filter((m) => m.role === 'admin');
      if (admins.length === 1)
        throw new AppError('invalid_operation', 'The last administrator cannot be made a reader');
    }
    if (existing) await repos.members.delete('mailbox', mailboxId, existing.id);
    await repos.members.insert(member);
    await recordAudit(deps, repos, actor, access, 'member.add', null, { memberId: member.id, role: member.role });
  });
  return member;
}

export async function listMembers(deps: Deps, actor: PersonActor, mailboxId: string): Promise<Member[]> {
  await requireOrgAdmin(deps, actor, mailboxId);
  return deps.store.read.members.list('mailbox', mailboxId);
}

/** Removes a member; the last administrator cannot be removed (the operator names a new one). */
export async function removeMember(deps: Deps, actor: PersonActor, mailboxId: string, memberId: string): Promise<void> {
  const access = await requireOrgAdmin(deps, actor, mailboxId);
  await deps.store.write(async (repos) => {
    await repos.mailboxes.lock(mailboxId);
    const member = await repos.members.get('mailbox', mailboxId, memberId);
    if (!member) throw new AppError('not_found', 'No such member');
    const admins = (await repos.members.list('mailbox', mailboxId)).filter((m) => m.role === 'admin');
    if (member.role === 'admin' && admins.length === 1) {
      throw new AppError('invalid_operation', 'The last administrator cannot be removed');
    }
    await repos.members.delete('mailbox', mailboxId, memberId);
    await recordAudit(deps, repos, actor, access, 'member.remove', null, { memberId });
  });
}

/** A member of an organization's mailbox chooses whether to be notified of its new letters. */
export async function setMemberNotify(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  notify: boolean,
): Promise<void> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  if (access.role !== 'org-admin' && access.role !== 'org-reader') {
    throw new AppError(
      'invalid_operation',
      'Only members of an organization mailbox choose this; owners are notified at their register addresses',
    );
  }
  await deps.store.write((repos) => repos.members.setNotify('mailbox', mailboxId, actor.nationalId, notify));
}
