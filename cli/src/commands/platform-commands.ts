import type { Command } from 'commander';
import { registerDeployCommand } from './deploy.js';
import { registerFunctionCommands } from './functions.js';
import { registerInvokeCommand } from './invoke.js';
import { registerLogsCommand } from './logs.js';
import { registerSecretCommands } from './secret.js';

/** The commands that talk to a running platform (--url/--token, ISOLA_URL/ISOLA_TOKEN): docs/cli.md. */
export function registerPlatformCommands(program: Command): void {
  registerDeployCommand(program);
  registerInvokeCommand(program);
  registerLogsCommand(program);
  registerFunctionCommands(program);
  registerSecretCommands(program);
}
