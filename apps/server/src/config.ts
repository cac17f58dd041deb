import { resolve } from 'node:path';
import { letterLimits } from '@postkasse/core';

/** Everything the server reads from its environment, in one place (documented in the README). */
export type Config = {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  databaseUrl: string | null;
  masterKey: string | null;
  masterKeyFile: string;
  blobDir: string;
  logLevel: string;
  maxLetterBytes: number;
  tokens: {
    /** The issuer whose access tokens the recipient API accepts. */
    issuer: string;
    /** JWKS URL of that issuer; null means the embedded test issuer's own key. */
    jwksUrl: string | null;
    audience: string;
  };
  testIssuer: { enabled: boolean; keyFile: string };
};

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT must be 0-65535, got ${value}`);
  return n;
}

function parseFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new Error(`${name} must be on or off, got ${value}`);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = overrides.port ?? parsePort(env.PORT, 8080);
  const host = env.HOST ?? '127.0.0.1';
  const publicUrl = (env.POSTKASSE_PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const dataDir = resolve(env.POSTKASSE_DATA_DIR ?? './data');
  const externalIssuer = env.POSTKASSE_TOKEN_ISSUER ?? null;
  const testIssuerEnabled = parseFlag('POSTKASSE_TEST_IDP', env.POSTKASSE_TEST_IDP) ?? externalIssuer === null;
  const testIssuerUrl = `${publicUrl}/test-idp`;
  if (externalIssuer && !env.POSTKASSE_TOKEN_JWKS_URL) {
    throw new Error("POSTKASSE_TOKEN_ISSUER needs POSTKASSE_TOKEN_JWKS_URL (the issuer's signing keys)");
  }
  if (!externalIssuer && !testIssuerEnabled) {
    throw new Error(
      'No token issuer: set POSTKASSE_TOKEN_ISSUER and POSTKASSE_TOKEN_JWKS_URL, or turn POSTKASSE_TEST_IDP on',
    );
  }
  return {
    host,
    port,
    publicUrl,
    dataDir,
    databaseUrl: env.DATABASE_URL || null,
    masterKey: env.POSTKASSE_MASTER_KEY || null,
    masterKeyFile: resolve(dataDir, 'keys', 'master.key'),
    blobDir: resolve(dataDir, 'blobs'),
    logLevel: env.LOG_LEVEL ?? 'info',
    maxLetterBytes: letterLimits.maxLetterBytes,
    tokens: {
      issuer: externalIssuer ?? testIssuerUrl,
      jwksUrl: env.POSTKASSE_TOKEN_JWKS_URL ?? null,
      audience: env.POSTKASSE_TOKEN_AUDIENCE ?? 'postkasse',
    },
    testIssuer: { enabled: testIssuerEnabled, keyFile: resolve(dataDir, 'keys', 'test-issuer.jwk') },
    ...overrides,
  };
}
