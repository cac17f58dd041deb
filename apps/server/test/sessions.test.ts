/**
 * Login sessions are kept no longer than they can be used: a session that ended (idle too long,
 * or past its absolute end) without its cookie coming back is deleted by the hourly purge.
 */
import { completeLogin, purgeEndedSessions, resolveSession, sessionPolicy } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { people, rawStatement, startTestServer, type TestServer, testClock } from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

describe.each(await testDialects())('ended sessions (%s)', (dialect) => {
  let server: TestServer;
  const clock = testClock();
  const count = async () =>
    Number((await rawStatement<{ n: number | string }>(server, 'select count(*) as n from sessions'))[0]?.n);

  beforeAll(async () => {
    server = await startTestServer(dialect, {}, { clock });
    await server.person(people.kari);
    await server.person(people.ola);
  });
  afterAll(() => server?.close());

  it('deletes sessions idle too long or past their end, and keeps the live ones', async () => {
    const deps = server.ctx.deps;
    await completeLogin(deps, { nationalId: people.kari, authLevel: 'high' });
    clock.advance(20 * 60_000);
    const ola = await completeLogin(deps, { nationalId: people.ola, authLevel: 'high' });
    expect(await count()).toBe(2);

    // Kari's tab was closed 35 minutes ago; Ola's was used 15 minutes ago.
    clock.advance(15 * 60_000);
    expect(await purgeEndedSessions(deps)).toBe(1);
    expect(await count()).toBe(1);
    expect((await resolveSession(deps, ola.token))?.nationalId).toBe(people.ola);

    // Used all day: past the absolute end, it goes too.
    for (let t = 35 * 60_000; t < sessionPolicy.absoluteMs; t += 20 * 60_000) {
      clock.advance(20 * 60_000);
      await resolveSession(deps, ola.token);
    }
    clock.advance(20 * 60_000);
    expect(await purgeEndedSessions(deps)).toBe(1);
    expect(await count()).toBe(0);
  });
});
