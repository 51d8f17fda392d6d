import { Command } from 'commander';
import { describeError } from './commands/cli-errors.js';
import { registerDevCommand } from './commands/dev.js';
import { registerPlatformCommands } from './commands/platform-commands.js';
import { registerInitCommand } from './commands/init.js';
import { registerRoleCommands } from './commands/roles.js';
import { registerTestCommand } from './commands/test.js';
import { registerTypesCommand } from './commands/types.js';
import { registerUpCommand } from './commands/up.js';

const program = new Command('isola')
  .description('Isola: serverless TypeScript and JavaScript functions in V8 isolates')
  .version('0.1.0')
  .showHelpAfterError('(run "isola --help" for the list of commands)')
  // Usage errors exit 2 (below), failures 1: commander throws instead of exiting.
  .exitOverride();
registerUpCommand(program);
registerRoleCommands(program);
registerPlatformCommands(program);
registerInitCommand(program);
registerTypesCommand(program);
registerDevCommand(program);
registerTestCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const { message, exitCode } = describeError(error);
  if (message !== '') console.error(message);
  process.exit(exitCode);
}
