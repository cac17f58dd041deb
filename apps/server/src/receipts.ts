/**
 * Signed receipts: every event a sender sees carries a compact JWS (a JWT signed with the
 * platform's Ed25519 key, published at /.well-known/jwks.json) stating what happened to which
 * letter, from which sender (organization number) to which recipient, when. Each is signed once,
 * as its event is written, and stored with it.
 */
import type { FeedEvent, Letter, ReceiptSubject, Sender } from '@postkasse/core';
import type { AppContext } from './context.js';

export const RECEIPT_TYPE = 'postkasse-receipt+jwt';

/** A letter's parties for its receipts, from the letter and its sender. */
export const partiesOf = (
  letter: Pick<Letter, 'recipientType' | 'recipientId'>,
  sender: Pick<Sender, 'orgNumber'>,
): Pick<ReceiptSubject, 'senderOrgNumber' | 'recipient'> => ({
  senderOrgNumber: sender.orgNumber,
  recipient: { type: letter.recipientType, id: letter.recipientId },
});

export type { ReceiptSubject };

export function signReceipt(ctx: Pick<AppContext, 'platformKey' | 'config'>, e: ReceiptSubject): Promise<string> {
  return ctx.platformKey.signCompact(
    { typ: RECEIPT_TYPE },
    {
      event: { id: e.id, type: e.type, at: e.at, messageId: e.messageId, data: e.data },
      letter: {
        sender: { orgNumber: e.senderOrgNumber },
        recipient: e.recipient.type === 'person' ? { nationalId: e.recipient.id } : { orgNumber: e.recipient.id },
        ...(e.documents ? { documents: e.documents.map((sha256) => ({ sha256 })) } : {}),
      },
      iss: ctx.config.publicUrl,
      sub: e.messageId,
      aud: e.senderId,
      jti: e.id,
      iat: Math.floor(Date.parse(e.at) / 1000),
    },
  );
}

/**
 * A feed event as senders see it, in the feed and in webhook posts: with the receipt stored when
 * it was written (an event from before receipts were stored is signed now, as it always was).
 */
export async function presentFeedEvent(ctx: Pick<AppContext, 'platformKey' | 'config'>, e: FeedEvent) {
  const receipt =
    e.receipt ??
    (await signReceipt(ctx, {
      ...e,
      messageId: e.externalId,
      recipient: { type: e.recipientType, id: e.recipientId },
    }));
  return { id: e.id, messageId: e.externalId, type: e.type, at: e.at, data: e.data, receipt };
}
