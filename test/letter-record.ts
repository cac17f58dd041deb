/** Stored records (letters, persons) with every field set to a plain default, for repository tests and benchmarks. */
import { randomUUID } from 'node:crypto';
import type { Letter, Person, Store } from '@postkasse/core';

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
    sealedMeta: null,
    ...over,
  };
}

/** A person's register record with every field set to a plain default (active, no contact details). */
export function personRecord(over: Partial<Person> & Pick<Person, 'nationalId'>): Person {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    country: 'NO',
    name: null,
    status: 'active',
    email: null,
    emailUpdatedAt: null,
    emailVerifiedAt: null,
    mobile: null,
    mobileUpdatedAt: null,
    mobileVerifiedAt: null,
    language: 'nb',
    reserved: false,
    reservedAt: null,
    exempt: false,
    exemptAt: null,
    postalAddress: null,
    createdAt: now,
    updatedAt: null,
    ...over,
  };
}

/**
 * A public sender and a person's active mailbox (with an inbox folder when `inboxId` is given),
 * for repository tests that store letters.
 */
export async function seedSenderAndMailbox(
  store: Store,
  ids: { senderId: string; mailboxId: string; inboxId?: string; ownerId?: string },
  at = new Date().toISOString(),
): Promise<void> {
  await store.write(async (r) => {
    await r.senders.insert({
      id: ids.senderId,
      orgNumber: '974000008',
      name: 'S',
      kind: 'public',
      status: 'active',
      createdAt: at,
    });
    await r.mailboxes.insert({
      id: ids.mailboxId,
      ownerType: 'person',
      ownerId: ids.ownerId ?? '12858510129',
      name: null,
      status: 'active',
      wrappedKey: Buffer.from([1]),
      createdAt: at,
    });
    if (ids.inboxId) {
      await r.folders.insert({
        id: ids.inboxId,
        mailboxId: ids.mailboxId,
        kind: 'inbox',
        name: 'Inbox',
        createdAt: at,
      });
    }
  });
}
