import { hkdfSync, randomBytes } from 'node:crypto';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Clock, type Deps, type Randomness, type ReceiptSigner, type Store, sealingStore } from '@postkasse/core';
import {
  createVault,
  envKeyProvider,
  fileKeyProvider,
  type KeyProvider,
  loadPlatformKey,
  loadTestIssuer,
  masterKeyOpens,
  nodeHasher,
  nodeRandom,
  type PlatformKey,
  secureRandomBytes,
  type TestIssuer,
} from '@postkasse/crypto';
import {
  type BlobBackend,
  databaseBlobStore,
  openFsBlobStore,
  openPostgresStore,
  openS3BlobStore,
  openSqliteStore,
} from '@postkasse/storage';
import { v7 as uuidv7 } from 'uuid';
import type { Config } from './config.js';
import { bindInstallation, bindSigningKey } from './installation.js';
import { createLiveHub, type LiveHub } from './live.js';
import { createNotifier } from './notifier.js';
import { createOidcClient, type OidcClient } from './oidc-client.js';
import { spoolPrintProvider } from './print-spool.js';
import { signReceipt } from './receipts.js';
import type { TestIdpClient } from './test-idp/provider.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';
import { createWorker, type Worker } from './worker.js';

/** The composition root: every port gets its implementation here, chosen by configuration. */
export type AppContext = {
  config: Config;
  deps: Deps & { random: Randomness };
  tokens: TokenVerifier;
  testIssuer: TestIssuer | null;
  /**
   * The embedded OpenID provider's one client (this server's web login), when the test identity
   * provider is on. The provider itself is made when the app is built (app.ts), so commands that
   * only open the context (the admin CLI) never load it.
   */
  testIdpClient: TestIdpClient | null;
  oidc: OidcClient;
  /** Signs what the platform issues (sender access tokens); published at /.well-known/jwks.json. */
  platformKey: PlatformKey;
  /** Where sealed documents live outside the database (files or S3); /readyz probes it. */
  blobBackend: BlobBackend;
  /** Key for signing cookies, derived from the master key. */
  cookieSecret: string;
  /** Due jobs and webhook deliveries in the background. */
  worker: Worker;
  /** Live mailbox changes for open views (server-sent events). */
  live: LiveHub;
  /**
   * Where the store's warnings go (a PostgreSQL connection lost while idle, a failed SQLite
   * checkpoint): Node's warnings on stderr until the server points them at its log.
   */
  onStoreWarning(sink: (message: string) => void): void;
  close(): Promise<void>;
};

/** What tests may put in place of the real parts. */
export type ContextOverrides = { clock?: Clock; print?: Deps['print']; notifier?: Deps['notifier'] };

/**
 * Refuses to go on with a master key that is not the one the data was written with: a key file
 * missing beside a database that holds mailboxes (a command run from another directory would
 * otherwise make a new key and write under it), or a key that does not open the first mailbox's
 * key. Either would make letters unreadable, found only when someone opens one.
 */
async function checkMasterKey(config: Config, store: Store, keys: KeyProvider): Promise<void> {
  const sample = await store.read.mailboxes.first();
  if (!sample) return;
  const refuse = async (why: string) => {
    throw new Error(`${why}. Nothing was changed; start with the key the data was written with.`);
  };
  if (!config.masterKey && !(await exists(config.masterKeyFile))) {
    await refuse(
      `No master key at ${config.masterKeyFile} (POSTKASSE_MASTER_KEY is not set either), but the database ` +
        `already holds mailboxes: their key is elsewhere`,
    );
  }
  if (!(await masterKeyOpens(keys, sample))) {
    const next = `${config.masterKeyFile}.next`;
    await refuse(
      (await exists(next))
        ? `The master key (${keys.describe()}) does not open this database's mailbox keys: a rotation of the master ` +
            `key (to ${next}) was cut short; run postkasse admin master-key rotate --all-processes-stopped again to finish it`
        : `The master key (${keys.describe()}) does not open this database's mailbox keys: it is another key` +
            (config.masterKey
              ? ' (if a rotation of the master key was cut short, run postkasse admin master-key rotate ' +
                '--all-processes-stopped again with the same --new-key-file)'
              : ''),
    );
  }
}

/** Whether a file is there; one that is there but may not be read (EACCES) is an error, not absent. */
const exists = (path: string) =>
  access(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return false;
      throw new Error(`${path}: ${error.code === 'EACCES' ? 'this user may not read it' : error.message}`);
    },
  );

export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  // Events are signed as they are written. The key is loaded once the store is open (it is
  // checked against the events the store holds); nothing is written before that.
  let platformKey: PlatformKey | null = null;
  const receipts: ReceiptSigner = {
    sign(subject) {
      if (!platformKey) throw new Error('the platform signing key is not loaded');
      return signReceipt({ platformKey, config }, subject);
    },
  };
  let storeWarning = (message: string) => process.emitWarning(message);
  const store = await openConfiguredStore(config, { receipts, onWarning: (message) => storeWarning(message) });
  const files = await openBlobBackend(config).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  try {
    const blobs =
      config.blobInlineMaxBytes > 0
        ? databaseBlobStore(store, files, { inlineMaxBytes: config.blobInlineMaxBytes })
        : files;
    const keys = config.masterKey ? envKeyProvider(config.masterKey) : fileKeyProvider(config.masterKeyFile);
    await checkMasterKey(config, store, keys);
    const masterKey = await keys.masterKey();
    const installation = await bindInstallation(store, {
      masterKey,
      keySource: keys.describe(),
      files,
      now: new Date().toISOString(),
    });
    const cookieSecret = Buffer.from(hkdfSync('sha256', masterKey, '', 'postkasse:cookie-signing', 32)).toString(
      'base64url',
    );
    const testIssuer = config.testIssuer.enabled
      ? await loadTestIssuer({
          keyFile: config.testIssuer.keyFile,
          issuer: `${config.publicUrl}/test-idp`,
          audience: config.tokens.audience,
        })
      : null;
    const tokens = createTokenVerifier(config.tokens, testIssuer);
    // The embedded provider's one client is this server's web login; its secret lives only here.
    const clientSecret = config.oidc.clientSecret ?? randomBytes(32).toString('base64url');
    const testIdpClient = testIssuer
      ? { clientId: config.oidc.clientId, clientSecret, redirectUris: [`${config.publicUrl}/auth/callback`] }
      : null;
    const clock = overrides.clock ?? { now: () => new Date() };
    // Time-ordered ids (UUIDv7, RFC 9562) with 74 random bits: rows written together sit together
    // in every index keyed by id, so a commit dirties a few pages instead of one per row and index.
    const ids = { uuid: () => uuidv7({ random: secureRandomBytes(16) }) };
    const notifier = createNotifier(config, store, ids, clock);
    const vault = createVault(keys, {
      sealedPlatformKey: installation.platformKey ? Buffer.from(installation.platformKey, 'base64') : null,
    });
    const deps: AppContext['deps'] = {
      receipts,
      // Letters and documents come opened: their descriptive fields are sealed (letter-meta.ts).
      store: sealingStore(store, vault),
      blobs,
      vault,
      clock,
      ids,
      hasher: nodeHasher,
      random: nodeRandom,
      print: overrides.print ?? spoolPrintProvider(config.delivery.printSpoolDir),
      notifier: overrides.notifier ?? notifier,
      policy: {
        defaultHoldDays: config.delivery.defaultHoldDays,
        contactFreshMonths: 18,
        providerName: config.delivery.providerName,
        notifications: {
          coalesceMs: config.notifications.coalesceMs,
          minIntervalMs: config.notifications.minIntervalMs,
          smsQuietHours: config.notifications.smsQuietHours,
          timeZone: config.notifications.timeZone,
          publicUrl: config.publicUrl,
        },
      },
    };
    const platformKeyFile = config.platformKeyFile;
    // A new signing key beside events signed with a lost one would leave every receipt senders
    // hold unverifiable, and hand out receipts for the same events signed by another key.
    if (!(await exists(platformKeyFile)) && (await store.read.events.latestGlobalCursor())) {
      throw new Error(
        `No platform signing key at ${platformKeyFile}, but the database holds events whose receipts it signed: ` +
          'restore the keys directory from the backup. Nothing was changed.',
      );
    }
    if (!(await exists(platformKeyFile)) && installation.signingKid) {
      throw new Error(
        `No platform signing key at ${platformKeyFile}, but this installation signs with ${installation.signingKid}: ` +
          'every process of an installation needs the same keys directory. Nothing was changed.',
      );
    }
    const loadedKey = await loadPlatformKey(platformKeyFile);
    await bindSigningKey(store, installation, loadedKey, platformKeyFile);
    platformKey = loadedKey;
    const worker = createWorker({ deps, platformKey: loadedKey, config });
    const live = createLiveHub(deps, config.livePollMs);
    return {
      config,
      deps,
      tokens,
      testIssuer,
      testIdpClient,
      oidc: createOidcClient(config, clientSecret),
      platformKey: loadedKey,
      blobBackend: files,
      cookieSecret,
      worker,
      live,
      onStoreWarning(sink) {
        storeWarning = sink;
      },
      close: async () => {
        live.stop();
        await worker.stop();
        notifier.close();
        await store.close();
        await files.close();
      },
    };
  } catch (error) {
    // A refusal or failure at start (another installation's blobs, a wrong key, a store that
    // does not answer) leaves nothing open.
    await files.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}

/** The embedded database's file in a data dir (also what a backup made of it is called). */
export const SQLITE_FILE = 'postkasse.sqlite';

/** The database the configuration names: PostgreSQL (DATABASE_URL), or SQLite in the data dir. */
export async function openConfiguredStore(
  config: Config,
  options: { receipts?: ReceiptSigner; onWarning?: (message: string) => void } = {},
): Promise<Store> {
  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message));
  return config.databaseUrl
    ? openPostgresStore(config.databaseUrl, {
        onConnectionError: (error) => warn(`PostgreSQL connection lost: ${error.message}`),
        preparedStatements: config.pgPreparedStatements,
        receipts: options.receipts,
      })
    : openSqliteStore(join(config.dataDir, SQLITE_FILE), { receipts: options.receipts, onWarning: warn });
}

/** The blob store the configuration names: files under the data dir, or an S3 bucket. */
export async function openBlobBackend(config: Config): Promise<BlobBackend> {
  const where = config.blobStore;
  if (where.kind === 'files') return openFsBlobStore(config.blobDir);
  return openS3BlobStore({
    bucket: where.bucket,
    prefix: where.prefix,
    endpoint: where.endpoint,
    region: where.region,
    forcePathStyle: where.forcePathStyle,
  });
}
