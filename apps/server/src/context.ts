import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Deps, Randomness } from '@postkasse/core';
import {
  createVault,
  envKeyProvider,
  fileKeyProvider,
  loadTestIssuer,
  nodeHasher,
  nodeRandom,
  type TestIssuer,
} from '@postkasse/crypto';
import { openFsBlobStore, openPostgresStore, openSqliteStore } from '@postkasse/storage';
import type { Config } from './config.js';
import { createTokenVerifier, type TokenVerifier } from './token-verifier.js';

/** The composition root: every port gets its implementation here, chosen by configuration. */
export type AppContext = {
  config: Config;
  deps: Deps & { random: Randomness };
  tokens: TokenVerifier;
  testIssuer: TestIssuer | null;
  close(): Promise<void>;
};

export async function createContext(config: Config): Promise<AppContext> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = config.databaseUrl
    ? await openPostgresStore(config.databaseUrl, {
        onConnectionError: (error) => process.emitWarning(`PostgreSQL connection lost: ${error.message}`),
      })
    : await openSqliteStore(join(config.dataDir, 'postkasse.sqlite'));
  const blobs = await openFsBlobStore(config.blobDir);
  const keys = config.masterKey ? envKeyProvider(config.masterKey) : fileKeyProvider(config.masterKeyFile);
  await keys.masterKey();
  const testIssuer = config.testIssuer.enabled
    ? await loadTestIssuer({
        keyFile: config.testIssuer.keyFile,
        issuer: `${config.publicUrl}/test-idp`,
        audience: config.tokens.audience,
      })
    : null;
  const tokens = createTokenVerifier(config.tokens, testIssuer);
  return {
    config,
    deps: {
      store,
      blobs,
      vault: createVault(keys),
      clock: { now: () => new Date() },
      ids: { uuid: () => randomUUID() },
      hasher: nodeHasher,
      random: nodeRandom,
    },
    tokens,
    testIssuer,
    close: () => store.close(),
  };
}
