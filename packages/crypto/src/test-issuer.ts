/**
 * The embedded test token issuer: an Ed25519 key kept in the data dir (mode 0600) that signs
 * access tokens carrying `pid` and `acr`, like ID-porten's test environment. Never for production.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { writeKeyFile } from './key-file.js';

export type TestIssuer = {
  issuer: string;
  audience: string;
  publicJwk: JWK;
  /** The signing key itself, for the embedded OpenID provider in the same process. */
  privateJwk: JWK;
  sign(claims: { pid: string; acr: string }, ttlSeconds?: number): Promise<string>;
};

export async function loadOrCreateJwk(path: string): Promise<JWK> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'EdDSA', use: 'sig' };
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    try {
      await writeKeyFile(path, JSON.stringify(jwk), { exclusive: true });
      return jwk;
    } catch (raced) {
      if ((raced as NodeJS.ErrnoException).code !== 'EEXIST') throw raced;
      return JSON.parse(await readFile(path, 'utf8')) as JWK;
    }
  }
}

export async function loadTestIssuer(options: {
  keyFile: string;
  issuer: string;
  audience: string;
}): Promise<TestIssuer> {
  const jwk = await loadOrCreateJwk(options.keyFile);
  const key = await importJWK(jwk, 'EdDSA');
  const { d: _private, ...publicJwk } = jwk;
  return {
    issuer: options.issuer,
    audience: options.audience,
    publicJwk,
    privateJwk: jwk,
    async sign(claims, ttlSeconds = 3600) {
      return new SignJWT({ pid: claims.pid, acr: claims.acr })
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid ?? '', typ: 'at+jwt' })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(claims.pid)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${ttlSeconds}s`)
        .sign(key);
    },
  };
}
