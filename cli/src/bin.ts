import { Command } from 'commander';
import { IsolaError } from '@isola/core';
import { registerDevCommand } from './commands/dev.js';
import { registerRoleCommands } from './commands/roles.js';
import { registerTestCommand } from './commands/test.js';
import { registerUpCommand } from './commands/up.js';

const program = new Command('isola')
  .description('Isola: serverless TypeScript and JavaScript functions in V8 isolates')
  .version('0.1.0')
  .showHelpAfterError('(run "isola --help" for the list of commands)');
registerUpCommand(program);
registerRoleCommands(program);
registerDevCommand(program);
registerTestCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const message = error instanceof IsolaError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(`isola: ${message}`);
  process.exit(1);
}
