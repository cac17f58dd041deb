/**
 * Signed receipts: every event a sender sees carries a compact JWS (a JWT signed with the
 * platform's Ed25519 key, published at /.well-known/jwks.json) stating what happened to which
 * letter, when. Ed25519 signatures are deterministic, so the same event always has the same receipt.
 */
import type { FeedEvent, LetterEvent } from '@postkasse/core';
import { SignJWT } from 'jose';
import type { AppContext } from './context.js';

export const RECEIPT_TYPE = 'postkasse-receipt+jwt';

export type ReceiptSubject = Pick<LetterEvent, 'id' | 'type' | 'at' | 'data'> & {
  messageId: string;
  senderId: string;
};

export function signReceipt(ctx: Pick<AppContext, 'platformKey' | 'config'>, e: ReceiptSubject): Promise<string> {
  const at = Math.floor(Date.parse(e.at) / 1000);
  return new SignJWT({ event: { id: e.id, type: e.type, at: e.at, messageId: e.messageId, data: e.data } })
    .setProtectedHeader({ alg: 'EdDSA', kid: ctx.platformKey.kid, typ: RECEIPT_TYPE })
    .setIssuer(ctx.config.publicUrl)
    .setSubject(e.messageId)
    .setAudience(e.senderId)
    .setJti(e.id)
    .setIssuedAt(at)
    .sign(ctx.platformKey.privateKey);
}

/** A feed event as senders see it, in the feed and in webhook posts. */
export async function presentFeedEvent(ctx: Pick<AppContext, 'platformKey' | 'config'>, e: FeedEvent) {
  const receipt = await signReceipt(ctx, { ...e, messageId: e.externalId });
  return { id: e.id, messageId: e.externalId, type: e.type, at: e.at, data: e.data, receipt };
}
