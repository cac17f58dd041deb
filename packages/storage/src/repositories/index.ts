import type { Repositories } from '@postkasse/core';
import { apiKeysRepository } from './api-keys.js';
import { auditRepository, registerLogRepository } from './audit.js';
import { batchesRepository } from './batches.js';
import { blobContentsRepository } from './blob-contents.js';
import { clientKeysRepository } from './client-keys.js';
import { consentsRepository } from './consents.js';
import { documentsRepository } from './documents.js';
import { eventChainRepository } from './event-chain.js';
import { eventsRepository } from './events.js';
import { foldersRepository } from './folders.js';
import { grantsRepository } from './grants.js';
import { installationRepository } from './installation.js';
import { jobsRepository } from './jobs.js';
import { lettersRepository } from './letters.js';
import { mailboxesRepository } from './mailboxes.js';
import { membersRepository } from './members.js';
import { cursorsRepository, notificationsRepository, outboxRepository } from './notifications.js';
import { personsRepository } from './persons.js';
import { recipientsRepository } from './recipients.js';
import { sendersRepository } from './senders.js';
import { sessionsRepository } from './sessions.js';
import type { RepoContext } from './shared.js';
import { letterUnit, runGuarded } from './units.js';
import { webhooksRepository } from './webhooks.js';

export function createRepositories(ctx: RepoContext): Repositories {
  return {
    senders: sendersRepository(ctx),
    apiKeys: apiKeysRepository(ctx),
    persons: personsRepository(ctx),
    mailboxes: mailboxesRepository(ctx),
    recipients: recipientsRepository(ctx),
    folders: foldersRepository(ctx),
    letters: { ...lettersRepository(ctx), insertWithContents: (unit) => runGuarded(ctx.db, letterUnit(ctx, unit)) },
    blobContents: blobContentsRepository(ctx),
    documents: documentsRepository(ctx),
    events: eventsRepository(ctx),
    sessions: sessionsRepository(ctx),
    grants: grantsRepository(ctx),
    members: membersRepository(ctx),
    audit: auditRepository(ctx),
    registerLog: registerLogRepository(ctx),
    clientKeys: clientKeysRepository(ctx),
    consents: consentsRepository(ctx),
    jobs: jobsRepository(ctx),
    batches: batchesRepository(ctx),
    webhooks: webhooksRepository(ctx),
    notifications: notificationsRepository(ctx),
    cursors: cursorsRepository(ctx),
    outbox: outboxRepository(ctx),
    installation: installationRepository(ctx),
    eventChain: eventChainRepository(ctx),
  };
}
