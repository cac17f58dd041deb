import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../schema/index.js';
import { initial } from './001-initial.js';
import { access } from './002-access.js';
import { clientKeys } from './003-client-keys.js';
import { deliveryRules } from './004-delivery-rules.js';
import { letterExtras } from './005-letter-extras.js';
import { notifications } from './006-notifications.js';
import { letterSearch } from './007-letter-search.js';
import { auditOrder } from './008-audit-order.js';
import { letterActions } from './009-letter-actions.js';
import { blobContents } from './010-blob-contents.js';
import { partialLetterIndexes } from './011-partial-letter-indexes.js';
import { auditChains } from './012-audit-chains.js';
import { trashPurgeJobs } from './013-trash-purge-jobs.js';
import { storedReceipts } from './014-stored-receipts.js';
import { sealedMetadata } from './015-sealed-metadata.js';
import { installation } from './016-installation.js';
import { eventChain } from './017-event-chain.js';
import { unsealedIndexes } from './018-unsealed-indexes.js';
import { platformKey } from './019-platform-key.js';

/** Numbered migrations, one list for both dialects; a step differs by dialect only where it must. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  const steps: Record<string, Migration> = {
    '001-initial': initial(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '002-access': access(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '003-client-keys': clientKeys(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '004-delivery-rules': deliveryRules(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '005-letter-extras': letterExtras(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '006-notifications': notifications(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '007-letter-search': letterSearch(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '008-audit-order': auditOrder(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '009-letter-actions': letterActions(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '010-blob-contents': blobContents(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '011-partial-letter-indexes': partialLetterIndexes(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '012-audit-chains': auditChains(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '013-trash-purge-jobs': trashPurgeJobs(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '014-stored-receipts': storedReceipts(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '015-sealed-metadata': sealedMetadata(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '016-installation': installation(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '017-event-chain': eventChain(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '018-unsealed-indexes': unsealedIndexes(dialect) as { up(db: Kysely<unknown>): Promise<void> },
    '019-platform-key': platformKey(dialect) as { up(db: Kysely<unknown>): Promise<void> },
  };
  return { getMigrations: async () => steps };
}
