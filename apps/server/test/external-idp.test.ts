import Fastify, { type FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../../../test/browser.js';
import {
  freePort,
  letterJson,
  people,
  sendLetterHttp,
  startTestServer,
  type TestServer,
} from '../../../test/harness.js';
import { createTestProvider, mountTestProvider } from '../src/test-idp/provider.js';

/**
 * A second OpenID provider, started on its own port with its own keys, configured as the external
 * issuer: the way a real ID-porten or MitID broker is plugged in, with no code changes.
 */
describe('an external OpenID provider as the issuer', () => {
  let idp: FastifyInstance;
  let idpUrl: string;
  let server: TestServer;
  // The display app's own callback; any page will do, the test reads the code from the redirect.
  let appRedirect: string;

  beforeAll(async () => {
    const idpPort = await freePort();
    const serverPort = await freePort();
    appRedirect = `http://127.0.0.1:${serverPort}/display-app/callback`;
    idpUrl = `http://127.0.0.1:${idpPort}/idp`;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'external-1', alg: 'EdDSA', use: 'sig' };
    const provider = createTestProvider({
      issuer: idpUrl,
      privateJwk,
      audience: 'postkasse',
      clients: [
        {
          clientId: 'postkasse-prod',
          clientSecret: 'rp-secret',
          redirectUris: [`http://127.0.0.1:${serverPort}/auth/callback`],
        },
        { clientId: 'display-app', clientSecret: 'app-secret', redirectUris: [appRedirect] },
      ],
    });
    idp = Fastify();
    await mountTestProvider(idp, provider, idpUrl, 'External broker');
    await idp.listen({ host: '127.0.0.1', port: idpPort });
    server = await startTestServer('sqlite', {
      PORT: String(serverPort),
      POSTKASSE_PUBLIC_URL: `http://127.0.0.1:${serverPort}`,
      POSTKASSE_TEST_IDP: 'off',
      POSTKASSE_OIDC_ISSUER: idpUrl,
      POSTKASSE_OIDC_CLIENT_ID: 'postkasse-prod',
      POSTKASSE_OIDC_CLIENT_SECRET: 'rp-secret',
    });
    await server.person(people.kari);
  });
  afterAll(async () => {
    await server.close();
    await idp.close();
  });

  it('has no embedded provider and no embedded test tokens', async () => {
    expect((await fetch(`${server.url}/test-idp/.well-known/openid-configuration`)).status).toBe(404);
    expect(server.ctx.testIssuer).toBeNull();
  });

  it('logs a person in through the external provider', async () => {
    const browser = new Browser();
    const start = await browser.go(`${server.url}/auth/login?acr=idporten-loa-high`);
    expect(start.url.startsWith(`${idpUrl}/interaction/`)).toBe(true);
    const done = await browser.submit(start.url, await start.res.text(), {
      pid: people.kari,
      acr: 'idporten-loa-high',
    });
    expect(done.url).toBe(`${server.url}/`);
    const session = (await (await browser.request(`${server.url}/auth/session`)).json()) as { authLevel: string };
    expect(session.authLevel).toBe('high');
  });

  it("accepts the external provider's access tokens from another display platform", async () => {
    const { apiKey } = await server.sender('public');
    await sendLetterHttp(server, apiKey, letterJson({ subject: 'Til visningsplattform' }));
    // The display app runs its own authorization code flow at the provider…
    const config = await client.discovery(new URL(idpUrl), 'display-app', 'app-secret', undefined, {
      execute: [client.allowInsecureRequests],
    });
    const verifier = client.randomPKCECodeVerifier();
    const authUrl = client.buildAuthorizationUrl(config, {
      redirect_uri: appRedirect,
      scope: 'openid mailbox',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      acr_values: 'idporten-loa-substantial',
      state: 'st',
    });
    const browser = new Browser();
    const start = await browser.go(authUrl.href);
    await browser.submit(start.url, await start.res.text(), { pid: people.kari, acr: 'idporten-loa-substantial' });
    const back = browser.hops.find((h) => h.location?.startsWith(appRedirect))!.location!;
    const tokens = await client.authorizationCodeGrant(config, new URL(back), {
      pkceCodeVerifier: verifier,
      expectedState: 'st',
    });
    // …and reads the mailbox through the recipient API with the access token it got.
    const headers = { authorization: `Bearer ${tokens.access_token}` };
    const boxes = (await (await fetch(`${server.url}/api/v1/me/mailboxes`, { headers })).json()) as {
      items: Array<{ id: string }>;
    };
    expect(boxes.items).toHaveLength(1);
    const list = (await (
      await fetch(`${server.url}/api/v1/mailboxes/${boxes.items[0]!.id}/messages`, { headers })
    ).json()) as {
      items: Array<{ subject: string }>;
    };
    expect(list.items.map((i) => i.subject)).toContain('Til visningsplattform');
  });

  it('refuses tokens signed by the embedded-style key of another issuer', async () => {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const { SignJWT } = await import('jose');
    const forged = await new SignJWT({ pid: people.kari, acr: 'idporten-loa-high' })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'external-1' })
      .setIssuer(idpUrl)
      .setAudience('postkasse')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await fetch(`${server.url}/api/v1/me/mailboxes`, { headers: { authorization: `Bearer ${forged}` } });
    expect(res.status).toBe(401);
  });
});
