import { Command } from 'commander';
import { adminCommands } from './commands/admin.js';
import { serveCommand } from './commands/serve.js';

const program = new Command()
  .name('postkasse')
  .description('Postkasse: a secure digital mailbox platform')
  .showHelpAfterError()
  .configureOutput({ outputError: (text, write) => write(text) });

serveCommand(program);
adminCommands(program);
(await import('./commands/send.js')).sendCommand(program);
(await import('./commands/batch.js')).batchCommands(program);
(await import('./commands/events.js')).eventsCommands(program);
(await import('./commands/receipts.js')).receiptsCommands(program);

await program.parseAsync(process.argv);
