/** A stored letter with every field set to a plain default, for repository tests and benchmarks. */
import { randomUUID } from 'node:crypto';
import type { Letter } from '@postkasse/core';

export function letterRecord(over: Partial<Letter> & Pick<Letter, 'senderId' | 'recipientId' | 'mailboxId'>): Letter {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    externalId: randomUUID(),
    requestHash: 'h',
    recipientType: 'person',
    status: 'DELIVERED',
    rejectReason: null,
    subject: 'Subject',
    nonSensitiveTitle: null,
    authLevel: 'high',
    sensitivity: 'normal',
    openingReceipt: false,
    legalNotification: false,
    mandatory: false,
    senderReference: null,
    createdAt: now,
    deliveredAt: now,
    openedAt: null,
    folderId: null,
    readAt: null,
    trashedAt: null,
    restoreFolderId: null,
    documentCount: 0,
    totalBytes: 0,
    deliverAt: null,
    holdUntil: null,
    printDetails: null,
    printIfUnreadAfter: null,
    batchId: null,
    plannedStatus: null,
    extras: null,
    notificationOptions: null,
    replyBy: null,
    actions: null,
    ...over,
  };
}
