/**
 * The relying party side of login: authorization code flow with PKCE against the configured
 * OpenID provider (openid-client). Discovery happens on first use and is retried after a failure.
 */
import * as client from 'openid-client';
import type { Config } from './config.js';

export type OidcClient = {
  configuration(): Promise<client.Configuration>;
  redirectUri: string;
};

export function createOidcClient(config: Config, clientSecret: string): OidcClient {
  let discovered: Promise<client.Configuration> | null = null;
  const issuer = new URL(config.oidc.issuer);
  return {
    redirectUri: `${config.publicUrl}/auth/callback`,
    configuration() {
      discovered ??= client
        .discovery(
          issuer,
          config.oidc.clientId,
          clientSecret,
          undefined,
          issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined,
        )
        .catch((error: unknown) => {
          discovered = null;
          throw error;
        });
      return discovered;
    },
  };
}
