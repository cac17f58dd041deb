import { loadConfig, startServer } from '@postkasse/server';
import type { Command } from 'commander';
import { seedDemo } from '../demo.js';

export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('run the server (SQLite under POSTKASSE_DATA_DIR, or PostgreSQL with DATABASE_URL)')
    .option('--demo', 'seed demo senders, persons and a first letter on an empty database')
    .action(async (opts: { demo?: boolean }) => {
      const config = loadConfig();
      const server = await startServer(config);
      if (opts.demo) await seedDemo(server.ctx, config.publicUrl, server.app.log);
      server.app.log.info(
        { url: server.url, storage: config.databaseUrl ? 'postgres' : 'sqlite' },
        'postkasse is ready',
      );
    });
}
