import {
  canAdminister,
  type MailboxAccess,
  type PersonActor,
  requireCapability,
  requireMailboxAccess,
} from './actors.js';
import { AppError } from './errors.js';
import type {
  AuditEntry,
  ChainCheck,
  Chained,
  Deps,
  RegisterActorType,
  RegisterLogEntry,
  Repositories,
} from './ports.js';

export type AuditAction =
  | 'letter.view'
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

/**
 * Changes of a person's register record and consents. The log says what changed and, for the
 * choices that decide how letters are routed (reservation, exemption, consent), to what; contact
 * details themselves are not copied into it, since an append-only log cannot forget them.
 */
export type RegisterAction =
  | 'register.create'
  | 'register.update'
  | 'register.confirm'
  | 'register.exempt'
  | 'register.address'
  | 'mailbox.open'
  | 'consent.give'
  | 'consent.withdraw';

/** Records a register change in the person's history, inside the unit of work that makes it. */
export async function recordRegisterChange(
  deps: Pick<Deps, 'ids' | 'clock'>,
  repos: Repositories,
  nationalId: string,
  actor: { type: RegisterActorType; id: string | null },
  action: RegisterAction,
  details: Record<string, unknown> = {},
): Promise<void> {
  await repos.registerLog.append({
    id: deps.ids.uuid(),
    nationalId,
    actorType: actor.type,
    actorId: actor.id,
    action,
    details,
    at: deps.clock.now().toISOString(),
  });
}

/** The operator, who acts through the admin commands. */
export const OPERATOR = { type: 'operator', id: null } as const;

export type AuditPage<T> = { items: Array<Chained<T>>; nextCursor: string | null };

/** A page cursor of a log: the position (seq) to continue before. */
function beforeSeq(cursor: string | undefined): number | null {
  if (cursor === undefined) return null;
  if (!/^[1-9]\d{0,15}$/.test(cursor)) {
    throw new AppError('validation_failed', 'cursor is not one this list gave', {
      errors: [{ path: 'query.cursor', code: 'invalid_cursor', message: 'not a cursor of this list' }],
    });
  }
  return Number(cursor);
}

function page<T>(rows: Array<Chained<T>>, limit: number): AuditPage<T> {
  const last = rows.at(-1);
  return { items: rows, nextCursor: rows.length === limit && last ? String(last.seq) : null };
}

/**
 * A mailbox's audit log, newest first: who read, moved, deleted, granted what. For the owner and an
 * organization's administrators, whom it is kept for; a delegate or a member reading is refused.
 */
export async function listMailboxAudit(
  deps: Deps,
  actor: PersonActor,
  mailboxId: string,
  query: { cursor?: string | undefined; limit: number },
): Promise<AuditPage<AuditEntry>> {
  const access = await requireMailboxAccess(deps, actor, mailboxId);
  requireCapability(canAdminister(access), "see this mailbox's audit log");
  const rows = await deps.store.read.audit.listByMailbox(mailboxId, query.limit, beforeSeq(query.cursor));
  return page(rows, query.limit);
}

/** The person's own register history, newest first. */
export async function listOwnRegisterHistory(
  deps: Deps,
  actor: PersonActor,
  query: { cursor?: string | undefined; limit: number },
): Promise<AuditPage<RegisterLogEntry>> {
  const rows = await deps.store.read.registerLog.listByPerson(actor.nationalId, query.limit, beforeSeq(query.cursor));
  return page(rows, query.limit);
}

/** The operator recomputes every chain of both logs (or one mailbox's, one person's). */
export async function verifyAuditLogs(
  deps: Pick<Deps, 'store'>,
  scope: { mailboxId?: string; nationalId?: string } = {},
): Promise<{ ok: boolean; mailboxes: ChainCheck; register: ChainCheck; events: ChainCheck }> {
  const none: ChainCheck = { chains: 0, entries: 0, broken: [] };
  const all = scope.mailboxId === undefined && scope.nationalId === undefined;
  const mailboxes = scope.nationalId !== undefined ? none : await deps.store.read.audit.verify(scope.mailboxId);
  const register = scope.mailboxId !== undefined ? none : await deps.store.read.registerLog.verify(scope.nationalId);
  // The events' chain (event-chain.ts) is one for the whole platform: checked when all is.
  const events = all ? await deps.store.read.eventChain.verify() : none;
  const ok = [mailboxes, register, events].every((c) => c.broken.length === 0);
  return { ok, mailboxes, register, events };
}
