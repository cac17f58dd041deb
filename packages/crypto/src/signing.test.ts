import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPlatformKey } from './platform-key.js';
import { secureRandomBytes } from './random-pool.js';

const made: string[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
});

describe('the platform key signs compact JWS that any JOSE library verifies', () => {
  it('signs with EdDSA and its kid, and the signature covers the payload', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pk-sign-'));
    made.push(dir);
    const key = await loadPlatformKey(join(dir, 'platform.jwk'));
    const jws = await key.signCompact({ typ: 'postkasse-receipt+jwt' }, { sub: 'brev-1', aud: 'sender-1', n: 'æøå' });
    expect(decodeProtectedHeader(jws)).toEqual({ typ: 'postkasse-receipt+jwt', alg: 'EdDSA', kid: key.kid });
    const publicKey = await importJWK(key.publicJwk, 'EdDSA');
    const { payload } = await jwtVerify(jws, publicKey, { audience: 'sender-1', subject: 'brev-1' });
    expect(payload.n).toBe('æøå');
    // Deterministic (Ed25519): the same content signs the same.
    expect(await key.signCompact({ typ: 'postkasse-receipt+jwt' }, { sub: 'brev-1', aud: 'sender-1', n: 'æøå' })).toBe(
      jws,
    );
    // A changed payload with the old signature fails.
    const [head, , signature] = jws.split('.');
    const forged = `${head}.${Buffer.from(JSON.stringify({ sub: 'brev-2' })).toString('base64url')}.${signature}`;
    await expect(compactVerify(forged, publicKey)).rejects.toThrow();
  });
});

describe('pooled secure random bytes', () => {
  it('hands out bytes of the size asked, each once, never changed afterwards', () => {
    const taken = Array.from({ length: 2000 }, (_, i) => secureRandomBytes(1 + (i % 48)));
    const copies = taken.map((b) => Buffer.from(b));
    for (const [i, b] of taken.entries()) expect(b.byteLength).toBe(1 + (i % 48));
    // Many more draws (several new blocks) leave what was handed out as it was.
    for (let i = 0; i < 2000; i++) secureRandomBytes(32);
    for (const [i, b] of taken.entries()) expect(Buffer.compare(b, copies[i] as Buffer)).toBe(0);
    // No two 16-byte draws alike, and the bytes are not all one value.
    const ids = new Set(Array.from({ length: 5000 }, () => secureRandomBytes(16).toString('hex')));
    expect(ids.size).toBe(5000);
    expect(new Set(secureRandomBytes(1024)).size).toBeGreaterThan(200);
  });
});
