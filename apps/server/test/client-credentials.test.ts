import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { addSenderAdmin, registerClientKey } from '@postkasse/core';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type KeyObject, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { letterForm, letterJson, people, startTestServer, type TestServer } from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const dialects = await testDialects();

describe.each(dialects)('senders with client credentials and a signed JWT assertion (%s)', (dialect) => {
  let server: TestServer;
  let senderId: string;
  let signingKey: KeyObject;
  let clientKeyId: string;

  const assertion = (
    over: { aud?: string; iss?: string; jti?: string; ttl?: number; key?: KeyObject; kid?: string } = {},
  ) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: over.kid ?? 'sender-key-1' })
      .setIssuer(over.iss ?? senderId)
      .setSubject(over.iss ?? senderId)
      .setAudience(over.aud ?? `${server.url}/oauth/token`)
      .setJti(over.jti ?? randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${over.ttl ?? 60}s`)
      .sign(over.key ?? signingKey);

  const exchange = async (jwt: string, grantType = 'client_credentials') => {
    const res = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: grantType,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  const send = async (token: string) =>
    fetch(`${server.url}/api/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: letterForm(letterJson()),
    });

  beforeAll(async () => {
    server = await startTestServer(dialect);
    ({ id: senderId } = await server.sender('public'));
    await server.person(people.kari);
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'sender-key-1', alg: 'EdDSA' };
    clientKeyId = (await registerClientKey(server.ctx.deps, senderId, jwk as never)).id;
  });
  afterAll(() => server.close());

  it('exchanges an assertion for a token the sender API accepts, signed by the published key', async () => {
    const { status, body } = await exchange(await assertion());
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: never[] };
    const { payload } = await jwtVerify(body.access_token, createLocalJWKSet({ keys: jwks.keys }), {
      audience: 'postkasse-sender-api',
    });
    expect(payload.sub).toBe(senderId);
    expect((await send(body.access_token)).status).toBe(201);
  });

  it('refuses a replayed assertion', async () => {
    const jwt = await assertion();
    expect((await exchange(jwt)).status).toBe(200);
    const again = await exchange(jwt);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('refuses assertions with the wrong audience, issuer, key or lifetime', async () => {
    const other = (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey;
    for (const jwt of [
      await assertion({ aud: 'https://elsewhere.example/token' }),
      await assertion({ iss: randomUUID() }),
      await assertion({ key: other }),
      await assertion({ ttl: 3600 }),
      await assertion({ kid: 'unknown-kid' }),
    ]) {
      const res = await exchange(jwt);
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('invalid_client');
    }
    expect((await exchange('not-a-jwt')).body.error).toBe('invalid_request');
    expect((await exchange(await assertion(), 'password')).body.error).toBe('unsupported_grant_type');
  });

  it('is useless on the recipient API, and a forged platform token is refused', async () => {
    const { body } = await exchange(await assertion());
    expect(
      (await fetch(`${server.url}/api/v1/me/mailboxes`, { headers: { authorization: `Bearer ${body.access_token}` } }))
        .status,
    ).toBe(401);
    const forged = await new SignJWT({ cid: clientKeyId })
      .setProtectedHeader({ alg: 'EdDSA' })
      .setIssuer(server.url)
      .setSubject(senderId)
      .setAudience('postkasse-sender-api')
      .setExpirationTime('5m')
      .sign(signingKey);
    expect((await send(forged)).status).toBe(401);
  });

  it('stops a token from working at once when its client key is revoked', async () => {
    const { body } = await exchange(await assertion());
    expect((await send(body.access_token)).status).toBe(201);
    await server.ctx.deps.store.write((r) => r.clientKeys.revoke(senderId, clientKeyId, new Date().toISOString()));
    expect((await send(body.access_token)).status).toBe(401);
    expect((await exchange(await assertion())).status).toBe(401);
  });

  it("refuses an assertion naming another sender, signed with this sender's key", async () => {
    const other = await server.sender('public');
    const res = await exchange(await assertion({ iss: other.id }));
    expect(res).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  it('refuses client keys that are private, symmetric, weak or nameless', async () => {
    await server.person(people.ola);
    await addSenderAdmin(server.ctx.deps, '974000008', people.ola);
    const token = await server.token(people.ola);
    const post = (jwk: Record<string, unknown>) =>
      fetch(`${server.url}/api/v1/senders/${senderId}/client-keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jwk }),
      });
    const pair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const publicJwk = await exportJWK(pair.publicKey);
    const privateJwk = await exportJWK(pair.privateKey);
    const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    for (const bad of [
      { ...privateJwk, kid: 'private' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'symmetric' },
      { ...weakRsa, kid: 'rsa-1024' },
      publicJwk,
      { kty: 'OKP', crv: 'Ed25519', x: 'not-a-key', kid: 'broken' },
    ]) {
      const res = await post(bad);
      expect(res.status, JSON.stringify(bad).slice(0, 60)).toBe(400);
      expect(((await res.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('invalid_jwk');
    }
    const good = await post({ ...publicJwk, kid: 'fresh-key' });
    expect(good.status).toBe(201);
    expect(((await good.json()) as { jwk: Record<string, unknown> }).jwk.d).toBeUndefined();
    expect((await post({ ...publicJwk, kid: 'fresh-key' })).status).toBe(422);
  });
});
