import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { checkQuietHours, letterLimits } from '@postkasse/core';

export type BlobStoreConfig =
  | { kind: 'files' }
  | { kind: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string; forcePathStyle: boolean };

/** Everything the server reads from its environment, in one place (documented in the README). */
export type Config = {
  host: string;
  port: number;
  publicUrl: string;
  dataDir: string;
  /** The built web inbox (apps/web/dist): index.html and assets/. */
  webDir: string;
  databaseUrl: string | null;
  /** PostgreSQL: run repeated statements as named prepared statements (off behind a pooler that drops them). */
  pgPreparedStatements: boolean;
  masterKey: string | null;
  masterKeyFile: string;
  /** The platform's Ed25519 signing key (receipts, sender access tokens); retired keys beside it. */
  platformKeyFile: string;
  blobDir: string;
  /**
   * Where sealed documents live outside the database: files under blobDir (the default), or the
   * objects of an S3 bucket, which every process of an installation on any machine can share.
   */
  blobStore: BlobStoreConfig;
  /**
   * Blobs up to this size are kept in the database, larger ones as files under blobDir; 0: all
   * files. On by default with SQLite (a document's row shares the group commit and its one log
   * sync with the letters written at the same time); off by default with PostgreSQL, where the
   * documents belong in the shared file or object store.
   */
  blobInlineMaxBytes: number;
  logLevel: string;
  /**
   * Which proxies in front of the server are believed about the client's address
   * (X-Forwarded-For): none (false, the default), the given addresses and networks, or so many
   * hops. The request log names the client by the address this gives.
   */
  trustProxy: false | number | string[];
  /** Requests a minute each sender, person and (on credential endpoints) client address may make; null: off. */
  rateLimits: { sender: number; person: number; anonymous: number } | null;
  /** A Redis the installation's processes share their rate-limit counts in (redis:// or rediss://); null: each its own. */
  rateLimitRedisUrl: string | null;
  maxLetterBytes: number;
  /** The OpenID Connect provider people log in with (ID-porten, MitID broker, or the embedded one). */
  oidc: {
    issuer: string;
    clientId: string;
    /** null: the embedded test provider, whose client secret is made at start. */
    clientSecret: string | null;
  };
  tokens: {
    /** Access tokens for the recipient API come from the same issuer. */
    issuer: string;
    audience: string;
  };
  testIssuer: { enabled: boolean; keyFile: string };
  delivery: {
    /** Days a private sender's letter waits for its recipient when no deadline was given. */
    defaultHoldDays: number;
    providerName: string;
    /** Where the embedded print provider leaves print jobs. */
    printSpoolDir: string;
    /**
     * Webhooks may go to loopback, private and link-local addresses, and by http to localhost
     * (development and tests). Off by default: a webhook is a request the server makes on a
     * sender's behalf, and must not reach into the platform's own network.
     */
    allowLocalHttpWebhooks: boolean;
  };
  /** How often the background worker looks for due jobs and webhooks; 0 turns it off. */
  workerIntervalMs: number;
  /** How often open mailbox views are told what changed (server-sent events). */
  livePollMs: number;
  notifications: {
    /** SMTP server for e-mail (smtp://user:pass@host:port or smtps://…); null: the dev outbox only. */
    smtpUrl: string | null;
    mailFrom: string;
    /** An HTTP SMS gateway; null: the dev outbox only. */
    sms: { url: string; token: string | null; format: 'json' | 'form'; from: string } | null;
    smsQuietHours: { start: string; end: string } | null;
    timeZone: string;
    coalesceMs: number;
    minIntervalMs: number;
    /** Keep a copy of every notification at /dev/outbox (never in production). */
    devOutbox: boolean;
  };
};

function parsePort(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  // Digits only: Number() would also take " 8080", "1e3" and "0x50".
  const n = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`PORT must be 0-65535, got ${value}`);
  return n;
}

/** PostgreSQL's URL, or null for the embedded SQLite: another scheme is a mistake, not PostgreSQL. */
function checkDatabaseUrl(value: string | undefined): string | null {
  if (!value) return null;
  if (!/^postgres(ql)?:\/\//i.test(value)) {
    throw new Error('DATABASE_URL must be a PostgreSQL URL (postgres://user@host:5432/db); leave it unset for SQLite');
  }
  return value;
}

function parseInteger(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const n = /^-?\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer ${min}-${max}, got ${value}`);
  return n;
}

function parseSmsFormat(value: string | undefined): 'json' | 'form' {
  if (value === undefined || value === '' || value === 'json') return 'json';
  if (value === 'form') return 'form';
  throw new Error(`POSTKASSE_SMS_FORMAT must be json or form, got ${value}`);
}

function checkTimeZone(value: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return value;
  } catch {
    throw new Error(`POSTKASSE_TIMEZONE is not a time zone: ${value}`);
  }
}

function parseFlag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new Error(`${name} must be on or off, got ${value}`);
}

function parseHttpUrl(name: string, value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    // named below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`${name} must be an http(s) URL such as https://post.example.no, got ${value}`);
  }
  return value.replace(/\/$/, '');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
function parseLogLevel(value: string | undefined): string {
  if (value === undefined) return 'info';
  if (!LOG_LEVELS.includes(value)) throw new Error(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got ${value}`);
  return value;
}

/**
 * POSTKASSE_TRUST_PROXY: off (default), a number of proxy hops, or a comma-separated list of
 * proxy addresses and networks (CIDR). `true` (believe any sender of the header) is refused: it
 * would let every client choose the address it is logged under.
 */
function parseTrustProxy(value: string | undefined): false | number | string[] {
  const name = 'POSTKASSE_TRUST_PROXY';
  if (value === undefined || value.trim() === '' || /^(off|false|no|0)$/i.test(value.trim())) return false;
  if (/^\d+$/.test(value.trim())) {
    const hops = Number(value.trim());
    if (hops > 10) throw new Error(`${name} takes at most 10 proxy hops, got ${hops}`);
    return hops;
  }
  const entries = value.split(',').map((e) => e.trim());
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || rest.length > 0) {
      throw new Error(
        `${name} must be off, a number of proxy hops, or proxy addresses and networks such as ` +
          `10.0.0.5,192.168.0.0/16; got ${JSON.stringify(entry)}`,
      );
    }
  }
  return entries;
}

/** S3's rules for a bucket's name: 3-63 lower-case letters, digits, dots and hyphens. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_PREFIX = /^([A-Za-z0-9._-]+\/)*$/;

/**
 * POSTKASSE_BLOB_STORE: `files` (the default: blobDir), or `s3://bucket/prefix` with
 * POSTKASSE_S3_ENDPOINT (an S3-compatible service; AWS when unset), POSTKASSE_S3_REGION and
 * POSTKASSE_S3_PATH_STYLE (on by default with an endpoint). Credentials come from where the AWS
 * SDK looks for them (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, the machine's role).
 */
function parseBlobStore(env: NodeJS.ProcessEnv): BlobStoreConfig {
  const name = 'POSTKASSE_BLOB_STORE';
  const value = env[name]?.trim() ?? '';
  const s3Settings = ['POSTKASSE_S3_ENDPOINT', 'POSTKASSE_S3_REGION', 'POSTKASSE_S3_PATH_STYLE'].filter(
    (n) => (env[n] ?? '') !== '',
  );
  if (value === '' || value === 'files') {
    if (s3Settings.length > 0) {
      throw new Error(`${s3Settings.join(', ')} apply to an S3 blob store: set ${name}=s3://bucket/prefix too`);
    }
    return { kind: 'files' };
  }
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value);
  const bucket = match?.[1] ?? '';
  let prefix = match?.[2] ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (
    !match ||
    !BUCKET.test(bucket) ||
    bucket.includes('..') ||
    !S3_PREFIX.test(prefix) ||
    prefix.split('/').some((part) => part === '.' || part === '..')
  ) {
    throw new Error(
      `${name} must be files or s3://bucket/prefix (a bucket name of 3-63 lower-case letters, digits, dots and ` +
        'hyphens; a prefix of letters, digits, . _ - and /)' +
        // Never repeated when it might hold credentials (s3://key:secret@bucket).
        (value.includes('@') ? '' : `, got ${JSON.stringify(value)}`),
    );
  }
  const endpoint = env.POSTKASSE_S3_ENDPOINT
    ? parseHttpUrl('POSTKASSE_S3_ENDPOINT', env.POSTKASSE_S3_ENDPOINT)
    : undefined;
  const region = env.POSTKASSE_S3_REGION || undefined;
  if (region !== undefined && !/^[a-z0-9-]{2,40}$/.test(region)) {
    throw new Error(`POSTKASSE_S3_REGION must be a region name such as eu-north-1, got ${JSON.stringify(region)}`);
  }
  const pathStyle = parseFlag('POSTKASSE_S3_PATH_STYLE', env.POSTKASSE_S3_PATH_STYLE) ?? endpoint !== undefined;
  return { kind: 's3', bucket, prefix, endpoint, region, forcePathStyle: pathStyle };
}

const RATE_LIMIT_DEFAULTS = { sender: 120_000, person: 1_200, anonymous: 600 };

/**
 * POSTKASSE_RATE_LIMITS: `off`, or any of `sender=N,person=N,anonymous=N` (requests a minute; the
 * others keep their defaults).
 */
function parseRateLimits(value: string | undefined): Config['rateLimits'] {
  const name = 'POSTKASSE_RATE_LIMITS';
  if (value === undefined || value.trim() === '') return { ...RATE_LIMIT_DEFAULTS };
  if (/^(off|false|no)$/i.test(value.trim())) return null;
  const limits = { ...RATE_LIMIT_DEFAULTS };
  for (const entry of value.split(',')) {
    const match = /^\s*(sender|person|anonymous)\s*=\s*(\d{1,9})\s*$/.exec(entry);
    if (!match?.[1] || Number(match[2]) < 1) {
      throw new Error(
        `${name} must be off, or requests a minute as sender=N,person=N,anonymous=N (N from 1); got ${JSON.stringify(entry)}`,
      );
    }
    limits[match[1] as keyof typeof limits] = Number(match[2]);
  }
  return limits;
}

/**
 * POSTKASSE_RATE_LIMIT_REDIS_URL: `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS).
 * The value may hold a password, so a refusal never repeats it.
 */
function parseRedisUrl(value: string | undefined, limits: Config['rateLimits']): string | null {
  const name = 'POSTKASSE_RATE_LIMIT_REDIS_URL';
  if (value === undefined || value.trim() === '') return null;
  let url: URL | null = null;
  try {
    url = new URL(value.trim());
  } catch {
    // named below
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new Error(`${name} must be a redis:// or rediss:// URL such as redis://redis.internal:6379/0`);
  }
  if (!/^\/?\d{0,2}$/.test(url.pathname)) {
    throw new Error(`${name}: the path is the database's number (redis://host:6379/0)`);
  }
  if (!limits) throw new Error(`${name} is set, but POSTKASSE_RATE_LIMITS is off: there is nothing to count`);
  return value.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = overrides.port ?? parsePort(env.PORT, 8080);
  const host = env.HOST ?? '127.0.0.1';
  const publicUrl = parseHttpUrl('POSTKASSE_PUBLIC_URL', env.POSTKASSE_PUBLIC_URL ?? `http://localhost:${port}`);
  const dataDir = resolve(env.POSTKASSE_DATA_DIR ?? './data');
  const externalIssuer = env.POSTKASSE_OIDC_ISSUER
    ? parseHttpUrl('POSTKASSE_OIDC_ISSUER', env.POSTKASSE_OIDC_ISSUER)
    : null;
  const logLevel = parseLogLevel(env.LOG_LEVEL);
  const testIdpFlag = parseFlag('POSTKASSE_TEST_IDP', env.POSTKASSE_TEST_IDP);
  if (env.NODE_ENV === 'production' && externalIssuer === null && testIdpFlag !== true) {
    throw new Error('NODE_ENV=production needs a real identity provider: set POSTKASSE_OIDC_ISSUER');
  }
  const testIssuerEnabled = testIdpFlag ?? externalIssuer === null;
  if (env.NODE_ENV === 'production' && testIssuerEnabled) {
    throw new Error(
      'POSTKASSE_TEST_IDP lets anyone log in as anyone: it cannot be on with NODE_ENV=production. ' +
        'Set POSTKASSE_OIDC_ISSUER and turn POSTKASSE_TEST_IDP off',
    );
  }
  const testIssuerUrl = `${publicUrl}/test-idp`;
  if (!externalIssuer && !testIssuerEnabled) {
    throw new Error('No identity provider: set POSTKASSE_OIDC_ISSUER (and its client), or turn POSTKASSE_TEST_IDP on');
  }
  if (externalIssuer && (!env.POSTKASSE_OIDC_CLIENT_ID || !env.POSTKASSE_OIDC_CLIENT_SECRET)) {
    throw new Error('POSTKASSE_OIDC_ISSUER needs POSTKASSE_OIDC_CLIENT_ID and POSTKASSE_OIDC_CLIENT_SECRET');
  }
  const issuer = externalIssuer ?? testIssuerUrl;
  return {
    host,
    port,
    publicUrl,
    dataDir,
    webDir: resolve(env.POSTKASSE_WEB_DIR ?? defaultWebDir()),
    databaseUrl: checkDatabaseUrl(env.DATABASE_URL),
    pgPreparedStatements: parseFlag('POSTKASSE_PG_PREPARED_STATEMENTS', env.POSTKASSE_PG_PREPARED_STATEMENTS) ?? true,
    masterKey: env.POSTKASSE_MASTER_KEY || null,
    masterKeyFile: resolve(dataDir, 'keys', 'master.key'),
    platformKeyFile: resolve(dataDir, 'keys', 'platform-signing.jwk'),
    blobDir: resolve(dataDir, 'blobs'),
    blobStore: parseBlobStore(env),
    blobInlineMaxBytes: parseInteger(
      'POSTKASSE_BLOB_INLINE_MAX_BYTES',
      env.POSTKASSE_BLOB_INLINE_MAX_BYTES,
      env.DATABASE_URL ? 0 : 256 * 1024,
      0,
      16 * 1024 * 1024,
    ),
    logLevel,
    trustProxy: parseTrustProxy(env.POSTKASSE_TRUST_PROXY),
    rateLimits: parseRateLimits(env.POSTKASSE_RATE_LIMITS),
    rateLimitRedisUrl: parseRedisUrl(env.POSTKASSE_RATE_LIMIT_REDIS_URL, parseRateLimits(env.POSTKASSE_RATE_LIMITS)),
    maxLetterBytes: letterLimits.maxLetterBytes,
    oidc: {
      issuer,
      clientId: env.POSTKASSE_OIDC_CLIENT_ID ?? 'postkasse-web',
      clientSecret: env.POSTKASSE_OIDC_CLIENT_SECRET ?? null,
    },
    tokens: { issuer, audience: env.POSTKASSE_TOKEN_AUDIENCE ?? 'postkasse' },
    testIssuer: { enabled: testIssuerEnabled, keyFile: resolve(dataDir, 'keys', 'test-issuer.jwk') },
    delivery: {
      defaultHoldDays: parseInteger('POSTKASSE_DEFAULT_HOLD_DAYS', env.POSTKASSE_DEFAULT_HOLD_DAYS, 30, 1, 366),
      providerName: env.POSTKASSE_PROVIDER_NAME ?? 'Postkasse',
      printSpoolDir: resolve(env.POSTKASSE_PRINT_SPOOL_DIR ?? resolve(dataDir, 'print-spool')),
      allowLocalHttpWebhooks:
        parseFlag('POSTKASSE_WEBHOOKS_ALLOW_PRIVATE', env.POSTKASSE_WEBHOOKS_ALLOW_PRIVATE) ?? false,
    },
    workerIntervalMs: parseInteger('POSTKASSE_WORKER_INTERVAL_MS', env.POSTKASSE_WORKER_INTERVAL_MS, 1000, 0, 3600_000),
    livePollMs: parseInteger('POSTKASSE_LIVE_POLL_MS', env.POSTKASSE_LIVE_POLL_MS, 500, 50, 60_000),
    notifications: {
      smtpUrl: env.POSTKASSE_SMTP_URL || null,
      mailFrom: env.POSTKASSE_MAIL_FROM ?? 'Postkasse <no-reply@postkasse.invalid>',
      sms: env.POSTKASSE_SMS_URL
        ? {
            url: env.POSTKASSE_SMS_URL,
            token: env.POSTKASSE_SMS_TOKEN || null,
            format: parseSmsFormat(env.POSTKASSE_SMS_FORMAT),
            from: env.POSTKASSE_SMS_FROM ?? 'Postkasse',
          }
        : null,
      smsQuietHours: /^(off|none)$/i.test(env.POSTKASSE_SMS_QUIET_HOURS ?? '')
        ? null
        : checkQuietHours(env.POSTKASSE_SMS_QUIET_HOURS || '21:00-08:00'),
      timeZone: checkTimeZone(env.POSTKASSE_TIMEZONE ?? 'Europe/Oslo'),
      coalesceMs:
        parseInteger('POSTKASSE_NOTIFY_COALESCE_SECONDS', env.POSTKASSE_NOTIFY_COALESCE_SECONDS, 60, 0, 86_400) * 1000,
      minIntervalMs:
        parseInteger('POSTKASSE_NOTIFY_MIN_INTERVAL_MINUTES', env.POSTKASSE_NOTIFY_MIN_INTERVAL_MINUTES, 60, 0, 1440) *
        60_000,
      // Only the embedded default shows it (the test provider on), unless set; never in production.
      devOutbox:
        env.NODE_ENV !== 'production' &&
        (parseFlag('POSTKASSE_DEV_OUTBOX', env.POSTKASSE_DEV_OUTBOX) ?? testIssuerEnabled),
    },
    ...overrides,
  };
}

/** apps/web/dist, found through the package (the server also runs from the CLI's bundle, elsewhere). */
function defaultWebDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@postkasse/web/package.json')), 'dist');
}
