// What every command that talks to a platform shares: --url, --token and --json, where the
// token comes from, and one way of turning failures into messages that say what to do next.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CommanderError, Option, type Command } from 'commander';
import { IsolaError } from '@isola/core';
import { IsolaClient } from '@isola/core';
import { CliError, platformErrorMessage, UsageError, type TokenSource } from './cli-errors.js';

export const defaultPlatformUrl = 'http://127.0.0.1:8080';

export interface PlatformFlags {
  url?: string;
  token?: string;
  json?: boolean;
}

/** A platform command's resolved connection. */
export interface Platform {
  client: IsolaClient;
  url: string;
  tokenSource: TokenSource;
  /** --json: print data as JSON on stdout. */
  json: boolean;
}

const tokenHelp =
  'API token (default: the admin token `isola up` stored in .isola/admin-token here or in a parent folder, or under $ISOLA_DATA_DIR)';

/** Adds a subcommand with --url, --token and --json. */
export function platformCommand(parent: Command, nameAndArgs: string, description: string): Command {
  const command = parent.command(nameAndArgs);
  const path = commandPath(command);
  return command
    .description(description)
    .showHelpAfterError(`(run "${path} --help" for usage and examples)`)
    .addOption(new Option('--url <url>', "the platform's URL").env('ISOLA_URL').default(defaultPlatformUrl))
    .addOption(new Option('--token <token>', tokenHelp).env('ISOLA_TOKEN'))
    .option('--json', 'print the result as JSON on stdout (for scripts)');
}

/** The client and the token's origin for a command defined by {@link platformCommand}. */
export function resolvePlatform(command: Command): Platform {
  const flags = command.opts<PlatformFlags>();
  const url = (flags.url ?? defaultPlatformUrl).trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url (or ISOLA_URL) must be an http or https URL such as ${defaultPlatformUrl}, got ${JSON.stringify(url)}`, commandPath(command));
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url (or ISOLA_URL) must be an http or https URL such as ${defaultPlatformUrl}, got ${JSON.stringify(url)}`, commandPath(command));
  }
  const { token, source } = resolveToken(flags.token, command.getOptionValueSource('token'));
  return { client: new IsolaClient(url, token), url: url.replace(/\/+$/, ''), tokenSource: source, json: flags.json === true };
}

function resolveToken(flag: string | undefined, source: string | undefined): { token: string; source: TokenSource } {
  if (flag !== undefined && flag.trim() !== '') return { token: flag.trim(), source: source === 'env' ? { kind: 'env' } : { kind: 'flag' } };
  const file = adminTokenFile();
  if (file !== null) {
    const token = readFileSync(file, 'utf8').trim();
    if (token !== '') return { token, source: { kind: 'file', path: file } };
  }
  return { token: '', source: { kind: 'none' } };
}

/** `$ISOLA_DATA_DIR/admin-token`, else the nearest `.isola/admin-token` from here up. */
function adminTokenFile(): string | null {
  const dataDir = process.env.ISOLA_DATA_DIR;
  if (dataDir !== undefined && dataDir !== '') {
    const file = resolve(dataDir, 'admin-token');
    return existsSync(file) ? file : null;
  }
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const file = join(dir, '.isola', 'admin-token');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return null;
  }
}

/**
 * Runs a platform command's body: errors of the platform become messages that say what to do
 * (with where the token came from when it was refused); usage errors pass through.
 */
export async function withPlatform(command: Command, run: (platform: Platform) => Promise<void>): Promise<void> {
  const platform = resolvePlatform(command);
  try {
    await run(platform);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CliError || error instanceof CommanderError) throw error;
    if (error instanceof IsolaError) throw new CliError(platformErrorMessage(error, platform.tokenSource));
    throw error;
  }
}

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A progress or status line on stderr (stdout is kept for data). */
export function note(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** `--help` text: examples, one per line, each `$ command` then a comment. */
export function examples(lines: [command: string, comment: string][], notes?: string): string {
  const width = Math.max(...lines.map(([command]) => command.length));
  const shown = lines.map(([command, comment]) => `  $ ${command.padEnd(width)}  # ${comment}`).join('\n');
  return `\nExamples:\n${shown}\n${notes === undefined ? '' : `\n${notes}\n`}\n${platformHelp}`;
}

const platformHelp =
  `Connection: --url or ISOLA_URL (default ${defaultPlatformUrl}); --token or ISOLA_TOKEN (default: .isola/admin-token, written by \`isola up\`).\n` +
  'Exit codes: 0 done, 1 failed (the message says why), 2 bad usage.';

/** `isola secret put`: the command's name with its parents'. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current !== null; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}
