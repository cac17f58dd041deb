import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../../../test/browser.js';
import { letterJson, people, sendLetterHttp, startTestServer, type TestServer } from '../../../test/harness.js';

async function login(server: TestServer, browser: Browser, pid: string, acr: string, returnTo = '/') {
  const start = await browser.go(`${server.url}/auth/login?acr=${acr}&returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.res.status).toBe(200);
  expect(start.url).toContain('/test-idp/interaction/');
  const form = await start.res.text();
  expect(form).toContain('name="pid"');
  const level = acr.includes('high') ? 'idporten-loa-high' : 'idporten-loa-substantial';
  return browser.submit(start.url, form, { pid, acr: level });
}

describe('web login through the embedded OpenID provider', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    await server.person(people.kari, 'Kari Nordmann');
  });
  afterAll(() => server.close());

  it('publishes discovery under /test-idp', async () => {
    const meta = (await (await fetch(`${server.url}/test-idp/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta.issuer).toBe(`${server.url}/test-idp`);
    expect(meta.acr_values_supported).toEqual(['idporten-loa-substantial', 'idporten-loa-high']);
    expect(meta.code_challenge_methods_supported).toContain('S256');
  });

  it('logs in at substantial, keeps the acr in the session, and logs out', async () => {
    const browser = new Browser();
    const done = await login(server, browser, people.kari, 'idporten-loa-substantial', '/inbox?x=1');
    expect(done.url).toBe(`${server.url}/inbox?x=1`);
    const cookie = browser.cookie(server.url, 'pk_session');
    expect(cookie).toBeTruthy();
    const setCookie = browser.hops.find((h) => h.url.includes('/auth/callback'));
    expect(setCookie?.status).toBe(303);
    const session = await browser.request(`${server.url}/auth/session`);
    expect(session.status).toBe(200);
    const body = (await session.json()) as { authLevel: string; csrfToken: string; nationalId: string };
    expect(body).toMatchObject({ authLevel: 'substantial', nationalId: '128585*****' });
    const boxes = await browser.request(`${server.url}/api/v1/me/mailboxes`);
    expect(boxes.status).toBe(200);

    const noCsrf = await browser.request(`${server.url}/auth/logout`, { method: 'POST' });
    expect(noCsrf.status).toBe(403);
    const out = await browser.request(`${server.url}/auth/logout`, {
      method: 'POST',
      headers: { 'x-csrf-token': body.csrfToken },
    });
    expect(out.status).toBe(204);
    expect((await fetch(`${server.url}/auth/session`, { headers: { cookie: `pk_session=${cookie}` } })).status).toBe(
      401,
    );
  });

  it('logs in at high and steps up from substantial to high for a letter that needs it', async () => {
    const { apiKey } = await server.sender('public');
    await sendLetterHttp(server, apiKey, letterJson({ authLevel: 'high', subject: 'Helseopplysninger' }));
    const browser = new Browser();
    await login(server, browser, people.kari, 'idporten-loa-substantial');
    const boxes = (await (await browser.request(`${server.url}/api/v1/me/mailboxes`)).json()) as {
      items: Array<{ id: string }>;
    };
    const mailboxId = boxes.items[0]!.id;
    const list = (await (await browser.request(`${server.url}/api/v1/mailboxes/${mailboxId}/messages`)).json()) as {
      items: Array<{ id: string; restricted: boolean; subject: string | null }>;
    };
    const letter = list.items.find((i) => i.restricted)!;
    expect(letter.subject).toBeNull();
    const detail = (await (
      await browser.request(`${server.url}/api/v1/mailboxes/${mailboxId}/messages/${letter.id}`)
    ).json()) as {
      loginUrl: string;
    };
    expect(detail.loginUrl).toMatch(/^\/auth\/login\?acr=idporten-loa-high&returnTo=/);

    const stepped = await login(
      server,
      browser,
      people.kari,
      'idporten-loa-high',
      decodeURIComponent(detail.loginUrl.split('returnTo=')[1]!),
    );
    expect(stepped.url).toContain(letter.id);
    const after = (await (
      await browser.request(`${server.url}/api/v1/mailboxes/${mailboxId}/messages/${letter.id}`)
    ).json()) as {
      subject: string;
      restricted: boolean;
    };
    expect(after).toMatchObject({ subject: 'Helseopplysninger', restricted: false });
  });

  it('refuses a login whose level is lower than asked for', async () => {
    const browser = new Browser();
    const start = await browser.go(`${server.url}/auth/login?acr=high`);
    const done = await browser.submit(start.url, await start.res.text(), {
      pid: people.kari,
      acr: 'idporten-loa-substantial',
    });
    expect(done.res.status).toBe(403);
    expect(await done.res.text()).toContain('higher security level');
    expect(browser.cookie(server.url, 'pk_session')).toBeUndefined();
  });

  it("says why a login was refused in the browser's language, with the way back to the page it was for", async () => {
    const returnTo = '/inbox/0b6f3d3e-5f1e-4f57-9a53-0d8f3c1e2a01';
    const norwegian = new Browser({ 'accept-language': 'nb-NO,nb;q=0.9,en;q=0.5' });
    const start = await norwegian.go(`${server.url}/auth/login?acr=high&returnTo=${encodeURIComponent(returnTo)}`);
    const done = await norwegian.submit(start.url, await start.res.text(), {
      pid: people.kari,
      acr: 'idporten-loa-substantial',
    });
    expect(done.res.status).toBe(403);
    const html = await done.res.text();
    expect(html).toContain('<html lang="nb">');
    expect(html).toContain('<h1>For lavt sikkerhetsnivå</h1>');
    expect(html).toContain(
      `<a href="/auth/login?acr=idporten-loa-high&amp;returnTo=${encodeURIComponent(returnTo)}">Logg inn på høyere nivå</a>`,
    );
    expect(html).toContain('<a href="/">Tilbake til Postkasse</a>');

    const danish = new Browser({ 'accept-language': 'da-DK,da;q=0.9' });
    const stranger = await login(server, danish, people.per, 'idporten-loa-high');
    expect(stranger.res.status).toBe(403);
    expect(await stranger.res.text()).toContain('<h1>Ingen postkasse her</h1>');
    // A language the inbox does not speak gets English.
    const german = new Browser({ 'accept-language': 'de-DE,de;q=0.9' });
    expect(await (await login(server, german, people.per, 'idporten-loa-high')).res.text()).toContain(
      '<h1>No mailbox here</h1>',
    );
  });

  it('shows a clear page to a person who is not in the register', async () => {
    const browser = new Browser();
    const done = await login(server, browser, people.per, 'idporten-loa-high');
    expect(done.res.status).toBe(403);
    expect(done.res.headers.get('content-type')).toContain('text/html');
    expect(await done.res.text()).toContain('not registered');
  });

  it('opens the mailbox of a registered person at first login', async () => {
    const { registerPerson } = await import('@postkasse/core');
    await registerPerson(server.ctx.deps, { nationalId: people.ola, openMailbox: false });
    const browser = new Browser();
    await login(server, browser, people.ola, 'idporten-loa-substantial');
    const boxes = (await (await browser.request(`${server.url}/api/v1/me/mailboxes`)).json()) as { items: unknown[] };
    expect(boxes.items).toHaveLength(1);
  });

  it('refuses an invalid national id at the test login and keeps the form', async () => {
    const browser = new Browser();
    const start = await browser.go(`${server.url}/auth/login`);
    const done = await browser.submit(start.url, await start.res.text(), {
      pid: '12858510128',
      acr: 'idporten-loa-high',
    });
    expect(done.res.status).toBe(400);
    const html = await done.res.text();
    expect(html).toContain('not a valid national identity number');
    expect(html).toContain('aria-invalid="true"');
  });

  it('refuses open redirects in returnTo', async () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/x',
      '/\\evil.example',
      'javascript:alert(1)',
      '/.//evil.example',
      '/%2e//evil.example',
      '/a/..//evil.example',
      '/.%2e//evil.example',
    ]) {
      const res = await fetch(`${server.url}/auth/login?returnTo=${encodeURIComponent(bad)}`, { redirect: 'manual' });
      expect(res.status, bad).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('refuses a replayed authorization code, and a callback without its login cookie', async () => {
    const browser = new Browser();
    const start = await browser.go(`${server.url}/auth/login`);
    const loginCookie = browser.cookie(server.url, 'pk_login');
    expect(loginCookie).toBeTruthy();
    await browser.submit(start.url, await start.res.text(), { pid: people.kari, acr: 'idporten-loa-substantial' });
    expect(browser.cookie(server.url, 'pk_session')).toBeTruthy();
    const callback = browser.hops.find((h) => h.url.includes('/auth/callback?'))!.url;

    // The same code again, with the very login state it was issued for: the provider refuses it.
    const replay = new Browser();
    replay.cookies.set(new URL(server.url).host, new Map([['pk_login', loginCookie!]]));
    const replayed = await replay.request(callback);
    expect(replayed.status).toBe(400);
    expect(await replayed.text()).toContain('did not confirm the login');
    expect(replay.cookie(server.url, 'pk_session')).toBeUndefined();

    // A stolen callback URL without the login cookie gets nowhere either.
    const attacker = new Browser();
    const stolen = await attacker.request(callback);
    expect(stolen.status).toBe(400);
    expect(attacker.cookie(server.url, 'pk_session')).toBeUndefined();
  });

  it('asks for a fresh login after logout, even while the provider still has a session', async () => {
    const browser = new Browser();
    await login(server, browser, people.kari, 'idporten-loa-substantial');
    const { csrfToken } = (await (await browser.request(`${server.url}/auth/session`)).json()) as { csrfToken: string };
    await browser.request(`${server.url}/auth/logout`, { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
    const again = await browser.go(`${server.url}/auth/login`);
    expect(again.url).toContain('/test-idp/interaction/');
    expect(await again.res.text()).toContain('name="pid"');
    expect((await browser.request(`${server.url}/auth/session`)).status).toBe(401);
  });

  it("makes one user's session cookie useless for another user's mailbox", async () => {
    const { mailboxId: metteBox } = await server.person(people.mette);
    const browser = new Browser();
    await login(server, browser, people.kari, 'idporten-loa-high');
    const res = await browser.request(`${server.url}/api/v1/mailboxes/${metteBox}/messages`);
    expect(res.status).toBe(404);
  });
});
