import { type Config, loadConfig, startServer } from '@postkasse/server';
import type { Command } from 'commander';
import { seedDemo } from '../demo.js';

/**
 * Why the server could not start, in one line an operator can act on: the variable or path at
 * fault rather than a stack trace.
 */
function startupProblem(error: unknown, config: Config | null): string {
  const e = error as NodeJS.ErrnoException & { code?: string };
  if (e?.code === 'EADDRINUSE') return `port ${config?.port} on ${config?.host} is in use (set PORT)`;
  if (e?.code === 'EACCES' && config)
    return `no permission to listen on port ${config.port} or to use ${config.dataDir}`;
  const message = error instanceof Error ? error.message : String(error);
  if (config && /unable to open database file|SQLITE_CANTOPEN|EACCES|ENOTDIR|EROFS/.test(message)) {
    return `${message} (data dir ${config.dataDir}: it must be a directory this user can write)`;
  }
  if (
    config?.databaseUrl &&
    /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|timeout|password authentication|does not exist/.test(message)
  ) {
    return `${message} (DATABASE_URL: is PostgreSQL running there, and may this user connect?)`;
  }
  if (config?.blobStore.kind === 's3' && /BLOB_STORE_UNAVAILABLE|blob store at s3:/.test(`${e?.code} ${message}`)) {
    return `${message} (POSTKASSE_BLOB_STORE, POSTKASSE_S3_ENDPOINT and the AWS credentials: does the bucket exist, and may they use it?)`;
  }
  return message;
}

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the server (SQLite under POSTKASSE_DATA_DIR, or PostgreSQL with DATABASE_URL)')
    .option('--demo', 'seed demo senders, persons and a first letter on an empty database (not in production)')
    .action(async (opts: { demo?: boolean }) => {
      let config: Config | null = null;
      try {
        config = loadConfig();
        if (opts.demo && process.env.NODE_ENV === 'production') {
          throw new Error('--demo seeds synthetic senders and persons: it is refused with NODE_ENV=production');
        }
        const server = await startServer(config);
        if (opts.demo) await seedDemo(server.ctx, config.publicUrl, server.app.log);
        server.app.log.info(
          {
            url: server.url,
            storage: config.databaseUrl ? 'postgres' : 'sqlite',
            blobs: server.ctx.blobBackend.location,
          },
          'postkasse is ready',
        );
      } catch (error) {
        process.stderr.write(`error: ${startupProblem(error, config)}\n`);
        // Whatever had opened (a pool, a listening socket) must not keep the process alive.
        process.exit(1);
      }
    });
}
