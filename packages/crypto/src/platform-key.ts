/**
 * The platform's own signing key (Ed25519), kept in the data dir with mode 0600: it signs the
 * access tokens senders get from the client-credentials grant, and is published at
 * /.well-known/jwks.json so anyone can verify what the platform signed.
 */
import { createPrivateKey, type JsonWebKey, sign } from 'node:crypto';
import { importJWK, type JWK, type KeyObject } from 'jose';
import { loadOrCreateJwk } from './test-issuer.js';

export type PlatformKey = {
  privateKey: KeyObject | Uint8Array;
  /** Imported once: verifying a sender token must not re-import the key on every request. */
  publicKey: KeyObject | Uint8Array;
  publicJwk: JWK;
  kid: string;
  /**
   * A compact JWS (RFC 7515) of `payload` with `alg: EdDSA` and this key's `kid` in the protected
   * header, signed synchronously with node's Ed25519. It is what jose's SignJWT produces, at about
   * a third of the cost: jose goes through WebCrypto, whose every signature is a thread-pool job.
   * Receipts are signed for every event a sender sees, so this is on the hot path of sending.
   */
  signCompact(header: Record<string, unknown>, payload: Record<string, unknown>): string;
};

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

export async function loadPlatformKey(keyFile: string): Promise<PlatformKey> {
  const jwk = await loadOrCreateJwk(keyFile);
  const { d: _private, ...publicJwk } = jwk;
  const signingKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const kid = jwk.kid ?? '';
  return {
    privateKey: (await importJWK(jwk, 'EdDSA')) as KeyObject,
    publicKey: (await importJWK(publicJwk, 'EdDSA')) as KeyObject,
    publicJwk,
    kid,
    signCompact(header, payload) {
      const input = `${b64url(JSON.stringify({ ...header, alg: 'EdDSA', kid }))}.${b64url(JSON.stringify(payload))}`;
      return `${input}.${sign(null, Buffer.from(input, 'utf8'), signingKey).toString('base64url')}`;
    },
  };
}
