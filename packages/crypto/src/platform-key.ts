/**
 * The platform's own signing key (Ed25519), kept in the data dir with mode 0600: it signs the
 * access tokens senders get from the client-credentials grant, and is published at
 * /.well-known/jwks.json so anyone can verify what the platform signed.
 */
import { importJWK, type JWK, type KeyObject } from 'jose';
import { loadOrCreateJwk } from './test-issuer.js';

export type PlatformKey = {
  privateKey: KeyObject | Uint8Array;
  /** Imported once: verifying a sender token must not re-import the key on every request. */
  publicKey: KeyObject | Uint8Array;
  publicJwk: JWK;
  kid: string;
};

export async function loadPlatformKey(keyFile: string): Promise<PlatformKey> {
  const jwk = await loadOrCreateJwk(keyFile);
  const { d: _private, ...publicJwk } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'EdDSA')) as KeyObject,
    publicKey: (await importJWK(publicJwk, 'EdDSA')) as KeyObject,
    publicJwk,
    kid: jwk.kid ?? '',
  };
}
