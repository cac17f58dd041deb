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
   * header: what jose's SignJWT produces, at a fraction of the cost (jose goes through WebCrypto).
   * Receipts are signed for every event a sender sees, so this is on the hot path of sending: the
   * signature is made on libuv's thread pool (node's one-shot `sign` with a callback), which takes
   * about two thirds of its cost off the event loop (bench/ingest).
   */
  signCompact(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
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
      return new Promise((resolve, reject) => {
        sign(null, Buffer.from(input, 'utf8'), signingKey, (error, signature) => {
          if (error) reject(error);
          else resolve(`${input}.${signature.toString('base64url')}`);
        });
      });
    },
  };
}
