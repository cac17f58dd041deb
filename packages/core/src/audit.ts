import type { MailboxAccess, PersonActor } from './actors.js';
import type { Deps, Repositories } from './ports.js';

export type AuditAction =
  | 'document.read'
  | 'action.calendar'
  | 'letter.update'
  | 'letter.trash'
  | 'letter.restore'
  | 'folder.create'
  | 'folder.rename'
  | 'folder.delete'
  | 'grant.create'
  | 'grant.revoke'
  | 'member.add'
  | 'member.remove';

/** Records who did what in a mailbox, inside the same unit of work as the change itself. */
export async function recordAudit(
  deps: Pick<Deps, 'ids' | 'clock'>,
  repos: Repositories,
  actor: PersonActor,
  access: MailboxAccess,
  action: AuditAction,
  letterId: string | null = null,
  details: Record<string, unknown> = {},
): Promise<void> {
  await repos.audit.append({
    id: deps.ids.uuid(),
    mailboxId: access.mailbox.id,
    actorNationalId: actor.nationalId,
    actorRole: access.role,
    action,
    letterId,
    details: access.grantId ? { ...details, grantId: access.grantId } : details,
    at: deps.clock.now().toISOString(),
  });
}
