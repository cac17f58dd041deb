import { type AuthLevel, satisfiesLevel } from './auth-level.js';
import { AppError } from './errors.js';
import type { Letter, Mailbox, Repositories, Sender } from './ports.js';

/** A person acting through the recipient API, at the level their login reached. */
export type PersonActor = { kind: 'person'; nationalId: string; authLevel: AuthLevel };
/** A sender acting through the sender API with one of its credentials. */
export type SenderActor = { kind: 'sender'; sender: Sender; credentialId: string };
export type Actor = PersonActor | SenderActor;

export type MailboxRole = 'owner';
export type MailboxAccess = { mailbox: Mailbox; role: MailboxRole };

/**
 * The one place that decides whether a person may use a mailbox. A mailbox that does not exist
 * and one that belongs to someone else answer alike, so ids reveal nothing.
 */
export async function requireMailboxAccess(
  repos: Repositories,
  actor: PersonActor,
  mailboxId: string,
): Promise<MailboxAccess> {
  const mailbox = await repos.mailboxes.get(mailboxId);
  if (mailbox && mailbox.ownerType === 'person' && mailbox.ownerId === actor.nationalId) {
    return { mailbox, role: 'owner' };
  }
  throw new AppError('not_found', 'No such mailbox');
}

export function canDelete(access: MailboxAccess): boolean {
  return access.role === 'owner';
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
