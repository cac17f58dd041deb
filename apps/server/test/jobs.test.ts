import { randomUUID } from 'node:crypto';
import { type Deps, listDeadJobs, retryDeadJob, runDueJobs } from '@postkasse/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, letterJson, sendLetterHttp, startTestServer, type TestServer, testClock } from '../../../test/harness.js';
import { testDialects } from '../../../test/postgres.js';

const printDetails = {
  recipient: {
    name: 'Per Uregistrert',
    address: { type: 'norwegian', addressLines: ['Storgata 1'], postalCode: '0155', city: 'Oslo' },
  },
};

for (const dialect of await testDialects()) {
  describe(`the job table (${dialect})`, () => {
    let server: TestServer;
    const clock = testClock();
    let attempts = 0;
    let refuse = true;
    beforeAll(async () => {
      server = await startTestServer(
        dialect,
        {},
        {
          clock,
          // The printing house is the outside world: faked here, behind the PrintProvider port.
          print: {
            async submit(job) {
              attempts += 1;
              if (refuse) throw new Error('the printing house is closed');
              return { reference: `PH-${job.letterId.slice(0, 8)}` };
            },
          },
        },
      );
    });
    afterAll(async () => server.close());

    it('retries a failing print with backoff, then gives up and tells the sender (PRINT_FAILED)', async () => {
      const { apiKey } = await server.sender('public');
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: '09899910173' }, printDetails }),
      );
      expect(sent.body.status).toBe('PRINT_QUEUED');
      await server.ctx.worker.runOnce();
      expect(attempts).toBe(1);
      // Not again before the backoff has passed.
      await server.ctx.worker.runOnce();
      expect(attempts).toBe(1);
      for (let i = 0; i < 12; i++) {
        clock.advance(3600_000);
        await server.ctx.worker.runOnce();
      }
      expect(attempts).toBe(8);
      const after = await api(server, apiKey, 'GET', `/api/v1/messages/${sent.body.id}`);
      expect(after.body.status).toBe('PRINT_FAILED');
      expect(after.body.events.map((e: any) => e.type)).toEqual(['ACCEPTED', 'PRINT_QUEUED', 'PRINT_FAILED']);
      expect(after.body.events[2].data).toMatchObject({ reason: 'print_failed' });
      const letter = await server.ctx.deps.store.read.letters.findByExternalId(
        (await server.ctx.deps.store.read.senders.list()).find((s) => s.kind === 'public')?.id ?? '',
        sent.body.id,
      );
      const jobs = await server.ctx.deps.store.read.jobs.list(letter?.id ?? '');
      expect(jobs.map((j) => [j.kind, j.status])).toEqual([['letter.print', 'dead']]);
      expect(jobs[0]?.lastError).toMatch(/closed/);
    });

    it('shows the jobs that gave up in /metrics and to the operator, who can run one again', async () => {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/postkasse_jobs\{kind="letter\.print",state="dead"\} 1\b/);
      expect(metrics).toContain('# TYPE postkasse_jobs_oldest_due_seconds gauge');
      const [dead] = await listDeadJobs(server.ctx.deps);
      expect(dead).toMatchObject({ kind: 'letter.print', status: 'dead', attempts: 8 });
      expect(dead?.lastError).toMatch(/closed/);
      await retryDeadJob(server.ctx.deps, dead?.id as string);
      expect(await listDeadJobs(server.ctx.deps)).toEqual([]);
      const again = await (await fetch(`${server.url}/metrics`)).text();
      expect(again).toMatch(/postkasse_jobs\{kind="letter\.print",state="due"\} 1\b/);
      // Its letter has moved on (PRINT_FAILED, told to the sender): the step does nothing now.
      await server.ctx.worker.runOnce();
      expect(attempts).toBe(8);
      await expect(retryDeadJob(server.ctx.deps, dead?.id as string)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('prints once the printing house accepts again', async () => {
      refuse = false;
      const { apiKey } = await server.sender('public');
      const sent = await sendLetterHttp(
        server,
        apiKey,
        letterJson({ recipient: { nationalId: '09899910173' }, printDetails }),
      );
      await server.ctx.worker.runOnce();
      const after = await api(server, apiKey, 'GET', `/api/v1/messages/${sent.body.id}`);
      expect(after.body.status).toBe('PRINTED');
      expect(after.body.events.at(-1).data.reference).toMatch(/^PH-/);
    });

    it('runs each job once even with several workers claiming at the same time', async () => {
      const deps: Deps = server.ctx.deps;
      const runs = new Map<string, number>();
      const now = clock.now().toISOString();
      const refs = Array.from({ length: 60 }, () => randomUUID());
      await deps.store.write((repos) =>
        repos.jobs.enqueue(
          refs.map((ref) => ({
            id: randomUUID(),
            kind: 'held.release',
            ref,
            payload: { recipientType: 'person', recipientId: '09899910173' },
            runAt: now,
          })),
        ),
      );
      const handlers = {
        async run(_d: Deps, job: { ref: string }) {
          runs.set(job.ref, (runs.get(job.ref) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 2));
        },
        async gaveUp() {},
      };
      await Promise.all(
        Array.from({ length: 4 }, () =>
          runDueJobs(deps, handlers as never, { limit: 7 }).then(async (n) => {
            let total = n;
            while (true) {
              const more = await runDueJobs(deps, handlers as never, { limit: 7 });
              if (more === 0) return total;
              total += more;
            }
          }),
        ),
      );
      expect(refs.every((r) => runs.get(r) === 1)).toBe(true);
      for (const r of refs) expect(await deps.store.read.jobs.list(r)).toEqual([]);
    });

    it('writes nothing in a round with nothing due, and claims what falls due', async () => {
      const store = server.ctx.deps.store;
      const write = store.write;
      let writes = 0;
      store.write = ((work) => {
        writes += 1;
        return write(work);
      }) as typeof store.write;
      try {
        await server.ctx.worker.runOnce();
        writes = 0;
        // Idle: the jobs, the webhooks and the notification planner each only read.
        expect(await server.ctx.worker.runOnce()).toEqual({ jobs: 0, webhookEvents: 0, planned: 0 });
        expect(writes).toBe(0);
        const ref = randomUUID();
        await write((repos) =>
          repos.jobs.enqueue([
            {
              id: randomUUID(),
              kind: 'held.release',
              ref,
              payload: { recipientType: 'person', recipientId: '09899910173' },
              runAt: new Date(clock.now().getTime() + 60_000).toISOString(),
            },
          ]),
        );
        await server.ctx.worker.runOnce();
        expect(writes).toBe(0);
        expect((await store.read.jobs.list(ref)).map((j) => j.status)).toEqual(['pending']);
        clock.advance(61_000);
        expect((await server.ctx.worker.runOnce()).jobs).toBe(1);
        expect(writes).toBeGreaterThan(0);
        expect(await store.read.jobs.list(ref)).toEqual([]);
      } finally {
        store.write = write;
      }
    });
  });
}
