// `isola secret put|delete|list`: a function's secrets. Values go in and never come back out.
import type { Command } from 'commander';
import { maxSecretValueBytes, secretNamePattern } from '@isola/core';
import { CliError, UsageError } from './cli-errors.js';
import { examples, note, platformCommand, printJson, withPlatform, type Platform } from './platform-options.js';
import { promptHidden, readStdin, stdinIsPiped } from './terminal-input.js';

export function registerSecretCommands(program: Command): void {
  const secret = program
    .command('secret')
    .description("manage a function's secrets (env.KEY inside the function; encrypted at rest, never shown again)")
    .addHelpText('after', '\nCommands: put, delete, list. Run "isola secret put --help" for details.');

  platformCommand(secret, 'put <name> <key>', 'set a secret: the value comes from standard input when piped, else from a hidden prompt')
    .addHelpText(
      'after',
      examples(
        [
        ['isola secret put cart-api STRIPE_KEY', 'prompts for the value (not echoed)'],
        ['printf %s "$STRIPE_KEY" | isola secret put cart-api STRIPE_KEY', 'from standard input'],
        ['isola secret put cart-api TLS_KEY < key.pem', 'from a file'],
        ],
        `One trailing newline of piped input is dropped. Values are 1 byte to ${maxSecretValueBytes / 1024} KiB; the function sees a new value from its next instance on.` +
          '\nNever pass a value as an argument: it would stay in your shell history.',
      ),
    )
    .action((name: string, key: string, _flags: unknown, command: Command) => withPlatform(command, (platform) => put(name, key, platform)));

  platformCommand(secret, 'delete <name> <key>', 'remove a secret')
    .alias('rm')
    .addHelpText('after', examples([['isola secret delete cart-api STRIPE_KEY', 'the function no longer sees it from its next instance on']]))
    .action((name: string, key: string, _flags: unknown, command: Command) => withPlatform(command, (platform) => remove(name, key, platform)));

  platformCommand(secret, 'list <name>', "list the names of a function's secrets (values are never returned)")
    .alias('ls')
    .addHelpText('after', examples([
        ['isola secret list cart-api', 'one name per line'],
        ['isola secret list cart-api --json', '{name, secrets: [...]}'],
      ]))
    .action((name: string, _flags: unknown, command: Command) => withPlatform(command, (platform) => list(name, platform)));
}

function checkKey(key: string, command: string): void {
  if (!secretNamePattern.test(key)) {
    throw new UsageError(`a secret name is like an environment variable: A-Z, 0-9 and _, not starting with a digit (STRIPE_KEY); got ${JSON.stringify(key)}`, command);
  }
}

async function put(name: string, key: string, platform: Platform): Promise<void> {
  checkKey(key, 'isola secret put');
  let value: string;
  if (stdinIsPiped()) {
    value = (await readStdin()).toString('utf8').replace(/\r?\n$/, '');
  } else {
    const typed = await promptHidden(`Value of ${key} for ${name} (not shown): `);
    if (typed === null) throw new CliError('cancelled: the secret was not set');
    value = typed;
  }
  if (value === '') {
    throw new CliError(`no value given for ${key}: pipe it in (printf %s "$VALUE" | isola secret put ${name} ${key}) or type it at the prompt; to remove a secret, use \`isola secret delete ${name} ${key}\``);
  }
  if (Buffer.byteLength(value) > maxSecretValueBytes) throw new CliError(`the value of ${key} is ${Buffer.byteLength(value)} bytes; a secret holds at most ${maxSecretValueBytes} (64 KiB)`);
  await platform.client.putSecret(name, key, value);
  if (platform.json) return printJson({ name, key, set: true });
  note(`Set secret ${key} of ${name} (${Buffer.byteLength(value)} bytes): the function sees it from its next instance on.`);
}

async function remove(name: string, key: string, platform: Platform): Promise<void> {
  checkKey(key, 'isola secret delete');
  await platform.client.deleteSecret(name, key);
  if (platform.json) return printJson({ name, key, deleted: true });
  note(`Deleted secret ${key} of ${name}.`);
}

async function list(name: string, platform: Platform): Promise<void> {
  const summary = await platform.client.getFunction(name);
  if (platform.json) return printJson({ name, secrets: summary.secrets });
  if (summary.secrets.length === 0) note(`${name} has no secrets set.`);
  for (const secret of summary.secrets) process.stdout.write(`${secret}\n`);
}
