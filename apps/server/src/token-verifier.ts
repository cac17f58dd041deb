import { AppError, authLevelFromAcr, type PersonActor, parseNationalId } from '@postkasse/core';
import type { TestIssuer } from '@postkasse/crypto';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from './config.js';

export type TokenVerifier = { verify(token: string): Promise<PersonActor> };

const algorithms = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];

/**
 * Verifies recipient access tokens: signature against the issuer's keys, issuer, audience,
 * expiry; then reads the person (`pid`) and the level (`acr`). Any failure is `invalid_token`.
 */
export function createTokenVerifier(config: Config['tokens'], testIssuer: TestIssuer | null): TokenVerifier {
  let keys: JWTVerifyGetKey;
  if (config.jwksUrl) keys = createRemoteJWKSet(new URL(config.jwksUrl));
  else if (testIssuer) keys = createLocalJWKSet({ keys: [testIssuer.publicJwk] });
  else throw new Error('no keys to verify access tokens with');

  return {
    async verify(token) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms,
          requiredClaims: ['exp', 'iat'],
          clockTolerance: 30,
        }));
      } catch (error) {
        const expired = error instanceof joseErrors.JWTExpired;
        throw new AppError('invalid_token', expired ? 'The access token has expired' : 'The access token is not valid');
      }
      const pid = typeof payload.pid === 'string' ? payload.pid : null;
      const person = pid ? parseNationalId(pid) : null;
      const level = authLevelFromAcr(payload.acr);
      if (!person || !level) throw new AppError('invalid_token', 'The access token lacks a valid pid or acr');
      return { kind: 'person', nationalId: person.nationalId, authLevel: level };
    },
  };
}
