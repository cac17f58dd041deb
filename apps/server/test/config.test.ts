import { loadConfig } from '@postkasse/server';
import { describe, expect, it } from 'vitest';

describe('configuration: where documents are kept', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test' };

  it('keeps documents up to 256 KiB in the database with SQLite, and every one as a file with PostgreSQL', () => {
    expect(loadConfig(base).blobInlineMaxBytes).toBe(256 * 1024);
    expect(loadConfig({ ...base, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' }).blobInlineMaxBytes).toBe(0);
  });

  it('takes a limit of its own, 0 for files only, on either database', () => {
    expect(loadConfig({ ...base, POSTKASSE_BLOB_INLINE_MAX_BYTES: '0' }).blobInlineMaxBytes).toBe(0);
    expect(
      loadConfig({
        ...base,
        DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x',
        POSTKASSE_BLOB_INLINE_MAX_BYTES: '65536',
      }).blobInlineMaxBytes,
    ).toBe(65536);
  });

  it.each(['-1', '1.5', 'many', String(16 * 1024 * 1024 + 1)])('refuses %s with the variable named', (value) => {
    expect(() => loadConfig({ ...base, POSTKASSE_BLOB_INLINE_MAX_BYTES: value })).toThrow(
      /POSTKASSE_BLOB_INLINE_MAX_BYTES must be an integer 0-16777216/,
    );
  });
});

describe('configuration: PostgreSQL prepared statements', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/x' };

  it('names repeated statements unless turned off, and refuses anything but on or off', () => {
    expect(loadConfig(base).pgPreparedStatements).toBe(true);
    expect(loadConfig({ ...base, POSTKASSE_PG_PREPARED_STATEMENTS: 'off' }).pgPreparedStatements).toBe(false);
    expect(loadConfig({ ...base, POSTKASSE_PG_PREPARED_STATEMENTS: 'on' }).pgPreparedStatements).toBe(true);
    expect(() => loadConfig({ ...base, POSTKASSE_PG_PREPARED_STATEMENTS: 'sometimes' })).toThrow(
      /POSTKASSE_PG_PREPARED_STATEMENTS must be on or off/,
    );
  });
});

describe('configuration: webhooks to private addresses', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test' };

  it('refuses them unless the operator turns them on, in development as in production', () => {
    expect(loadConfig(base).delivery.allowLocalHttpWebhooks).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).delivery.allowLocalHttpWebhooks).toBe(false);
    expect(loadConfig({ ...base, POSTKASSE_WEBHOOKS_ALLOW_PRIVATE: 'on' }).delivery.allowLocalHttpWebhooks).toBe(true);
    expect(() => loadConfig({ ...base, POSTKASSE_WEBHOOKS_ALLOW_PRIVATE: 'maybe' })).toThrow(
      /POSTKASSE_WEBHOOKS_ALLOW_PRIVATE must be on or off/,
    );
  });
});

describe('configuration: production', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test', NODE_ENV: 'production' };

  it('refuses the embedded test identity provider, and wants a real one', () => {
    expect(() => loadConfig({ ...base, POSTKASSE_TEST_IDP: 'on' })).toThrow(/cannot be on with NODE_ENV=production/);
    expect(() => loadConfig(base)).toThrow(/needs a real identity provider/);
    expect(() => loadConfig({ ...base, POSTKASSE_TEST_IDP: 'off' })).toThrow(/needs a real identity provider/);
    const config = loadConfig({
      ...base,
      POSTKASSE_OIDC_ISSUER: 'https://idp.example.org',
      POSTKASSE_OIDC_CLIENT_ID: 'x',
      POSTKASSE_OIDC_CLIENT_SECRET: 'y',
    });
    expect(config.testIssuer.enabled).toBe(false);
  });
});

describe('configuration: numbers and the database URL are read strictly', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test' };

  it.each(['1e3', ' 8080', '0x50', '80.0', 'abc', '70000'])('refuses PORT=%j', (port) => {
    expect(() => loadConfig({ ...base, PORT: port })).toThrow(/PORT must be 0-65535/);
  });

  it('takes a plain port, and refuses a database URL of another kind', () => {
    expect(loadConfig({ ...base, PORT: '8211' }).port).toBe(8211);
    expect(() => loadConfig({ ...base, POSTKASSE_WORKER_INTERVAL_MS: '1e3' })).toThrow(/must be an integer/);
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://root@127.0.0.1/db' })).toThrow(/PostgreSQL URL/);
    expect(loadConfig({ ...base, DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/x' }).databaseUrl).toMatch(
      /^postgresql:/,
    );
  });

  it('names the variable of a log level, an address or an identity provider client that is not right', () => {
    expect(() => loadConfig({ ...base, LOG_LEVEL: 'verbose' })).toThrow(/LOG_LEVEL must be one of .*info.*verbose/);
    expect(loadConfig({ ...base, LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    for (const url of ['notaurl', 'ftp://post.example.no']) {
      expect(() => loadConfig({ ...base, POSTKASSE_PUBLIC_URL: url })).toThrow(/POSTKASSE_PUBLIC_URL must be an http/);
      expect(() => loadConfig({ ...base, POSTKASSE_OIDC_ISSUER: url, POSTKASSE_OIDC_CLIENT_ID: 'c' })).toThrow(
        /POSTKASSE_OIDC_ISSUER must be an http/,
      );
    }
    expect(loadConfig({ ...base, POSTKASSE_PUBLIC_URL: 'https://post.example.no/' }).publicUrl).toBe(
      'https://post.example.no',
    );
    expect(() =>
      loadConfig({ ...base, POSTKASSE_OIDC_ISSUER: 'https://idp.example.no', POSTKASSE_OIDC_CLIENT_ID: 'c' }),
    ).toThrow(/needs POSTKASSE_OIDC_CLIENT_ID and POSTKASSE_OIDC_CLIENT_SECRET/);
  });
});

describe('configuration: proxies believed about the client address', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test' };

  it('believes none by default, or so many hops, or the proxies and networks named', () => {
    expect(loadConfig(base).trustProxy).toBe(false);
    expect(loadConfig({ ...base, POSTKASSE_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ ...base, POSTKASSE_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...base, POSTKASSE_TRUST_PROXY: '10.0.0.5, 192.168.0.0/16,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.5',
      '192.168.0.0/16',
      'fd00::/8',
    ]);
  });

  it.each(['true', 'proxy.example.no', '10.0.0.0/33', '10.0.0.1/8/2', '11', '10.0.0.5,'])(
    'refuses %s with the variable named',
    (value) => {
      expect(() => loadConfig({ ...base, POSTKASSE_TRUST_PROXY: value })).toThrow(/POSTKASSE_TRUST_PROXY/);
    },
  );
});

describe('configuration: rate limits', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/pk-config-test' };

  it('has defaults, takes any of the three, and turns off', () => {
    expect(loadConfig(base).rateLimits).toEqual({ sender: 120_000, person: 1_200, anonymous: 600 });
    expect(loadConfig({ ...base, POSTKASSE_RATE_LIMITS: 'person=60, anonymous=10' }).rateLimits).toEqual({
      sender: 120_000,
      person: 60,
      anonymous: 10,
    });
    expect(loadConfig({ ...base, POSTKASSE_RATE_LIMITS: 'off' }).rateLimits).toBeNull();
  });

  it('takes a Redis to share the counts in, and never repeats a refused URL (it may hold a password)', () => {
    expect(loadConfig(base).rateLimitRedisUrl).toBeNull();
    expect(
      loadConfig({ ...base, POSTKASSE_RATE_LIMIT_REDIS_URL: 'rediss://:s3cret@redis.internal:6380/2' })
        .rateLimitRedisUrl,
    ).toBe('rediss://:s3cret@redis.internal:6380/2');
    for (const bad of ['http://:s3cret@redis.internal', 'redis://:s3cret@redis.internal/db', 'not a url s3cret']) {
      let message = '';
      try {
        loadConfig({ ...base, POSTKASSE_RATE_LIMIT_REDIS_URL: bad });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message, bad).toMatch(/^POSTKASSE_RATE_LIMIT_REDIS_URL/);
      expect(message, bad).not.toContain('s3cret');
    }
    expect(() =>
      loadConfig({ ...base, POSTKASSE_RATE_LIMITS: 'off', POSTKASSE_RATE_LIMIT_REDIS_URL: 'redis://localhost' }),
    ).toThrow(/POSTKASSE_RATE_LIMITS is off/);
  });

  it.each(['sender=0', 'sender', 'robot=5', 'person=-1', 'person=1e3'])(
    'refuses %s with the variable named',
    (value) => {
      expect(() => loadConfig({ ...base, POSTKASSE_RATE_LIMITS: value })).toThrow(/POSTKASSE_RATE_LIMITS/);
    },
  );
});

describe('POSTKASSE_BLOB_STORE', () => {
  const base = { POSTKASSE_DATA_DIR: '/tmp/x' };

  it('keeps files under the data dir by default', () => {
    expect(loadConfig(base).blobStore).toEqual({ kind: 'files' });
    expect(loadConfig({ ...base, POSTKASSE_BLOB_STORE: 'files' }).blobStore).toEqual({ kind: 'files' });
  });

  it('takes an S3 bucket with a prefix, an endpoint, a region and the path style', () => {
    expect(loadConfig({ ...base, POSTKASSE_BLOB_STORE: 's3://post-docs' }).blobStore).toEqual({
      kind: 's3',
      bucket: 'post-docs',
      prefix: '',
      endpoint: undefined,
      region: undefined,
      forcePathStyle: false,
    });
    expect(
      loadConfig({
        ...base,
        POSTKASSE_BLOB_STORE: 's3://post-docs/no/prod',
        POSTKASSE_S3_ENDPOINT: 'https://objects.example.no/',
        POSTKASSE_S3_REGION: 'eu-north-1',
      }).blobStore,
    ).toEqual({
      kind: 's3',
      bucket: 'post-docs',
      prefix: 'no/prod/',
      endpoint: 'https://objects.example.no',
      region: 'eu-north-1',
      forcePathStyle: true,
    });
    expect(
      loadConfig({
        ...base,
        POSTKASSE_BLOB_STORE: 's3://post-docs/',
        POSTKASSE_S3_ENDPOINT: 'https://objects.example.no',
        POSTKASSE_S3_PATH_STYLE: 'off',
      }).blobStore,
    ).toMatchObject({ prefix: '', forcePathStyle: false });
  });

  it.each([
    's3://',
    's3://Upper-Case',
    's3://ab',
    's3://a..b/x',
    's3://bucket/../up',
    's3://bucket/a//b',
    's3://bucket/sp ace',
    'minio://bucket',
    '/var/lib/blobs',
  ])('refuses %s with the variable named', (value) => {
    expect(() => loadConfig({ ...base, POSTKASSE_BLOB_STORE: value })).toThrow(/POSTKASSE_BLOB_STORE must be/);
  });

  it('does not repeat a refused value that may hold credentials', () => {
    expect(() => loadConfig({ ...base, POSTKASSE_BLOB_STORE: 's3://AKIA:s3cret@bucket/x' })).toThrow(
      /^POSTKASSE_BLOB_STORE must be files or s3:\/\/bucket\/prefix \([^)]*\)$/,
    );
  });

  it('refuses S3 settings without an S3 store, and a bad endpoint or region', () => {
    expect(() => loadConfig({ ...base, POSTKASSE_S3_ENDPOINT: 'https://objects.example.no' })).toThrow(
      /POSTKASSE_S3_ENDPOINT apply to an S3 blob store/,
    );
    const s3 = { ...base, POSTKASSE_BLOB_STORE: 's3://post-docs' };
    expect(() => loadConfig({ ...s3, POSTKASSE_S3_ENDPOINT: 'ftp://objects' })).toThrow(/POSTKASSE_S3_ENDPOINT/);
    expect(() => loadConfig({ ...s3, POSTKASSE_S3_REGION: 'EU North' })).toThrow(/POSTKASSE_S3_REGION/);
    expect(() => loadConfig({ ...s3, POSTKASSE_S3_PATH_STYLE: 'maybe' })).toThrow(/POSTKASSE_S3_PATH_STYLE/);
  });
});
