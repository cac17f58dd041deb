import { AppError, apiKeyPrefix, authLevelFromAcr, type PersonActor, parseNationalId } from '@postkasse/core';
import type { TestIssuer } from '@postkasse/crypto';
import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from './config.js';

export type TokenVerifier = { verify(token: string): Promise<PersonActor> };

const algorithms = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];

/** The issuer's signing keys: from its discovery document, fetched once and cached (with rotation). */
export function discoveredKeys(issuer: string): JWTVerifyGetKey {
  let keys: Promise<JWTVerifyGetKey> | null = null;
  const load = async () => {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`discovery of ${issuer} answered ${res.status}`);
    const meta = (await res.json()) as { jwks_uri?: string; issuer?: string };
    if (meta.issuer !== issuer || !meta.jwks_uri) throw new Error(`discovery of ${issuer} is not for that issuer`);
    return createRemoteJWKSet(new URL(meta.jwks_uri));
  };
  return async (header, token) => {
    keys ??= load().catch((error: unknown) => {
      keys = null;
      throw error;
    });
    return (await keys)(header, token);
  };
}

/**
 * What an integration developer needs to fix a refused token, without saying anything that is
 * not public already (the issuer and audience accepted are in the server's configuration and
 * discovery): which check failed.
 */
/** The oldest an access token may be, by its `iat`: a day. */
const MAX_TOKEN_AGE_SECONDS = 86_400;

function whyInvalid(error: unknown, config: Config['tokens']): string {
  if (error instanceof joseErrors.JWTExpired) {
    return error.claim === 'iat'
      ? 'The access token was issued more than 24 hours ago; get a new one'
      : 'The access token has expired';
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'iss')
      return `The access token is from another issuer than the one accepted (${config.issuer})`;
    if (error.claim === 'aud') return `The access token is for another audience than this server (${config.audience})`;
    if (error.reason === 'missing') return `The access token lacks the "${error.claim}" claim`;
    if (error.claim === 'iat') return 'The access token is issued in the future (check the clocks)';
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed || error instanceof joseErrors.JWKSNoMatchingKey) {
    return "The access token's signature is not from the issuer's keys";
  }
  return 'The access token is not valid';
}

/**
 * Verifies recipient access tokens: signature against the issuer's keys, issuer, audience,
 * expiry; then reads the person (`pid`) and the level (`acr`). Any failure is `invalid_token`.
 */
export function createTokenVerifier(config: Config['tokens'], testIssuer: TestIssuer | null): TokenVerifier {
  const embedded = testIssuer && testIssuer.issuer === config.issuer;
  const keys: JWTVerifyGetKey = embedded
    ? createLocalJWKSet({ keys: [testIssuer.publicJwk] })
    : discoveredKeys(config.issuer);

  return {
    async verify(token) {
      if (token.startsWith(apiKeyPrefix)) {
        throw new AppError(
          'invalid_token',
          "This is a sender's API key: it is for the sender API (/api/v1/messages, /api/v1/events); " +
            "the recipient API takes a person's access token",
        );
      }
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: config.issuer,
          audience: config.audience,
          algorithms,
          requiredClaims: ['exp', 'iat'],
          clockTolerance: 30,
          // No access token lives longer than a day (the CLI's longest), whatever its exp says, and
          // none is issued in the future.
          maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        }));
      } catch (error) {
        throw new AppError('invalid_token', whyInvalid(error, config));
      }
      const pid = typeof payload.pid === 'string' ? payload.pid : null;
      const person = pid ? parseNationalId(pid) : null;
      const level = authLevelFromAcr(payload.acr);
      if (!person || !level) throw new AppError('invalid_token', 'The access token lacks a valid pid or acr');
      return { kind: 'person', nationalId: person.nationalId, authLevel: level };
    },
  };
}
