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

await program.parseAsync(process.argv);
