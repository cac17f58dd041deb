/**
 * The platform's own signing key (Ed25519), kept in the data dir with mode 0600: it signs receipts and the
 * access tokens senders get from the client-credentials grant, and is published at
 * /.well-known/jwks.json so anyone can verify what the platform signed.
 */
import { createPrivateKey, type JsonWebKey, randomUUID, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, importJWK, type JWK, type KeyObject } from 'jose';
import { replaceKeyFile } from './key-file.js';
import { loadOrCreateJwk } from './test-issuer.js';

export type PlatformKey = {
  privateKey: KeyObject | Uint8Array;
  /** Imported once: verifying a sender token must not re-import the key on every request. */
  publicKey: KeyObject | Uint8Array;
  publicJwk: JWK;
  /**
   * The public halves of earlier signing keys (`rotatePlatformKey`), published beside the current
   * one: a receipt a sender keeps for years must still verify after the key has changed.
   */
  retiredJwks: JWK[];
  kid: string;
  /**
   * A compact JWS (RFC 7515) of `payload` with `alg: EdDSA` and this key's `kid` in the protected
   * header, as jose's SignJWT produces it. The signature is made by node's Ed25519 on the thread
   * pool: receipts are signed for every event a sender sees, so this is on the hot path of
   * sending, and a signature made there costs the event loop about 11 µs against 40 µs made on
   * it (jose's WebCrypto path costs it about three times as much as either).
   */
  signCompact(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>;
};

const b64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** Where the public halves of retired keys are kept: beside the key file, as a JWK set. */
export const retiredKeysFile = (keyFile: string) => `${keyFile.replace(/\.jwk$/, '')}.retired.jwks`;

async function readRetired(keyFile: string): Promise<JWK[]> {
  try {
    return (JSON.parse(await readFile(retiredKeysFile(keyFile), 'utf8')) as { keys: JWK[] }).keys;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`${retiredKeysFile(keyFile)} is not a JWK set: ${(error as Error).message}`);
  }
}

const publicHalf = (jwk: JWK): JWK => {
  const { d: _private, ...rest } = jwk;
  return rest;
};

/**
 * Replaces the signing key with a new one. The old key's public half joins the retired set (which
 * /.well-known/jwks.json keeps publishing), its private half is gone. A server running on the old
 * key keeps signing with it until it restarts.
 */
export async function rotatePlatformKey(keyFile: string): Promise<{ kid: string; retiredKid: string }> {
  const current = JSON.parse(await readFile(keyFile, 'utf8')) as JWK;
  const retired = await readRetired(keyFile);
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const next = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'EdDSA', use: 'sig' };
  // The retired set is written first: were the process stopped between the two, the old key is
  // still the current one and also listed as retired, which verifies the same.
  const setFile = retiredKeysFile(keyFile);
  await replaceKeyFile(setFile, JSON.stringify({ keys: [...retired, publicHalf(current)] }));
  await replaceKeyFile(keyFile, JSON.stringify(next));
  return { kid: next.kid, retiredKid: current.kid ?? '' };
}

export async function loadPlatformKey(keyFile: string): Promise<PlatformKey> {
  const jwk = await loadOrCreateJwk(keyFile);
  const publicJwk = publicHalf(jwk);
  const retiredJwks = (await readRetired(keyFile)).filter((k) => k.kid !== jwk.kid).map(publicHalf);
  const signingKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const kid = jwk.kid ?? '';
  return {
    privateKey: (await importJWK(jwk, 'EdDSA')) as KeyObject,
    publicKey: (await importJWK(publicJwk, 'EdDSA')) as KeyObject,
    publicJwk,
    retiredJwks,
    kid,
    signCompact(header, payload) {
      const input = `${b64url(JSON.stringify({ ...header, alg: 'EdDSA', kid }))}.${b64url(JSON.stringify(payload))}`;
      return new Promise((resolve, reject) =>
        sign(null, Buffer.from(input, 'utf8'), signingKey, (error, signature) =>
          error ? reject(error) : resolve(`${input}.${signature.toString('base64url')}`),
        ),
      );
    },
  };
}
