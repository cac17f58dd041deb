import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';

/** This installation's version: the package of the command that runs (bin/postkasse.js beside it). */
function packageVersion(): string {
  try {
    const file = join(dirname(process.argv[1] ?? '.'), '..', 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** With --json, a usage error (a missing option, an unknown command) is a JSON document too. */
const json = process.argv.includes('--json');

const program = new Command()
  .name('postkasse')
  .description('Postkasse: a secure digital mailbox platform')
  .version(packageVersion(), '-V, --version', 'print the version')
  .showHelpAfterError()
  .configureOutput({
    outputError: (text, write) => {
      if (json) {
        const detail = text.trim().replace(/^error: /, '');
        process.stdout.write(`${JSON.stringify({ error: { code: 'invalid_arguments', detail } }, null, 2)}\n`);
      }
      write(text);
    },
  });

/**
 * Command groups load only when used: the sender commands (send, batch, events, receipts) need
 * the SDK alone and start fast; serve, admin and dev load the server. Help shows them all.
 */
const groups: Record<string, () => Promise<void>> = {
  serve: async () => (await import('./commands/serve.js')).serveCommand(program),
  admin: async () => (await import('./commands/admin.js')).adminCommands(program),
  dev: async () => (await import('./commands/dev.js')).devCommands(program),
  send: async () => (await import('./commands/send.js')).sendCommand(program),
  batch: async () => (await import('./commands/batch.js')).batchCommands(program),
  events: async () => (await import('./commands/events.js')).eventsCommands(program),
  receipts: async () => (await import('./commands/receipts.js')).receiptsCommands(program),
};
const wanted = process.argv[2];
const load = wanted && groups[wanted] ? [groups[wanted]] : Object.values(groups);
for (const register of load) await register();

await program.parseAsync(process.argv);
