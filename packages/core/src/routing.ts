import type { RejectReason } from './events.js';
import type { Mailbox, MailboxOwnerType, Person, SenderKind } from './ports.js';

/** What routing knows about a recipient: the register record (persons only) and the mailbox. */
export type RecipientState = {
  type: MailboxOwnerType;
  person: Pick<Person, 'reserved' | 'exempt' | 'status'> | null;
  mailbox: Mailbox | null;
  /** Private senders: whether the person consented to this sender. */
  consent: boolean;
};

export type RouteRequest = {
  senderKind: SenderKind;
  recipient: RecipientState;
  hasPrintDetails: boolean;
  hasRegistrationDeadline: boolean;
};

export type Route =
  | { outcome: 'DELIVERED'; mailbox: Mailbox }
  | { outcome: 'PRINT'; reason: RejectReason }
  | { outcome: 'HELD' }
  | { outcome: 'REJECTED'; reason: RejectReason };

const activeMailbox = (r: RecipientState): Mailbox | null =>
  r.mailbox?.status === 'active' && r.person?.status !== 'deleted' ? r.mailbox : null;

/**
 * The routing table (PRODUCT.md), decided when a letter is accepted and again when it falls due.
 *
 * Public senders reach every active mailbox whose owner is neither reserved nor exempt; others
 * get paper when the sender gave print details, or a rejection that says why.
 *
 * Private senders reach a person only with that person's consent (organizations need none).
 * Otherwise the letter is held for the recipient until the registration deadline; without a
 * deadline it is printed when print details were given, and held for the default period if not.
 * Which of these applies never depends on whether the person exists, so the answer reveals
 * nothing to a sender without consent.
 */
export function routeLetter(req: RouteRequest): Route {
  const { recipient } = req;
  const mailbox = activeMailbox(recipient);
  if (req.senderKind === 'public') {
    let reason: RejectReason | null = null;
    if (recipient.type === 'person' && recipient.person?.exempt) reason = 'recipient_exempt';
    else if (recipient.type === 'person' && recipient.person?.reserved) reason = 'recipient_reserved';
    else if (!mailbox) reason = 'recipient_has_no_mailbox';
    if (!reason && mailbox) return { outcome: 'DELIVERED', mailbox };
    const why = reason ?? 'recipient_has_no_mailbox';
    return req.hasPrintDetails ? { outcome: 'PRINT', reason: why } : { outcome: 'REJECTED', reason: why };
  }
  if (mailbox && (recipient.type === 'organization' || recipient.consent)) return { outcome: 'DELIVERED', mailbox };
  if (req.hasRegistrationDeadline) return { outcome: 'HELD' };
  if (req.hasPrintDetails) return { outcome: 'PRINT', reason: 'recipient_not_reachable' };
  return { outcome: 'HELD' };
}
