import { purgeEndedSessions, sealPlainMetadata, sweepOrphanBlobs } from '@postkasse/core';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { type AppContext, createContext } from './context.js';

export type RunningServer = { app: FastifyInstance; ctx: AppContext; url: string; stop(): Promise<void> };

/** Opens storage, builds the app and listens; stops cleanly on SIGTERM and SIGINT. */
export async function startServer(config: Config, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const ctx = await createContext(config);
  const app = await buildApp(ctx);
  await app.listen({ host: config.host, port: config.port });
  if (ctx.testIdpClient) {
    app.log.warn(
      'The embedded TEST identity provider is on at /test-idp: anyone can log in as any national id. ' +
        'Configure POSTKASSE_OIDC_ISSUER (and turn POSTKASSE_TEST_IDP off) for real use.',
    );
  }
  ctx.worker.start(app.log);
  ctx.onStoreWarning((message) => app.log.warn({ store: ctx.deps.store.dialect }, message));
  // Letters written before their subjects and file names were sealed are sealed now, once.
  const stopSealing = new AbortController();
  const sealing = sealPlainMetadata(ctx.deps, { signal: stopSealing.signal })
    .then((r) => (r.letters > 0 || r.documents > 0 || r.secrets > 0) && app.log.info(r, 'plain letter metadata sealed'))
    .catch((error: unknown) => app.log.error({ err: error }, 'sealing plain letter metadata failed'));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  // The orphan sweep runs hourly in the background; in a multi-process deployment every process
  // may run it, which is harmless (deletes are idempotent and only old, unreferenced blobs go).
  // Sessions that ended without logging out (a closed tab) go with it: they name a person.
  const sweep = setInterval(() => {
    sweepOrphanBlobs(ctx.deps)
      .then((r) => r.deleted > 0 && app.log.info(r, 'orphan blobs swept'))
      .catch((error: unknown) => app.log.error({ err: error }, 'orphan blob sweep failed'));
    purgeEndedSessions(ctx.deps)
      .then((deleted) => deleted > 0 && app.log.info({ deleted }, 'ended sessions deleted'))
      .catch((error: unknown) => app.log.error({ err: error }, 'deleting ended sessions failed'));
  }, 3600_000);
  sweep.unref();
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(sweep);
      stopSealing.abort();
      await sealing;
      await app.close();
      await ctx.close();
    })();
    return stopping;
  };
  if (options.handleSignals !== false) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        app.log.info({ signal }, 'shutting down');
        // Whatever still holds the server up (a request that does not finish) does not hold it forever.
        setTimeout(() => {
          app.log.error({ signal }, 'shutdown did not finish within 15 s; exiting');
          process.exit(1);
        }, 15_000).unref();
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { app, ctx, url: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`, stop };
}
