// `isola list`, `isola versions NAME` and `isola rollback NAME`: what is deployed, and which version serves.
import type { Command } from 'commander';
import type { AliasTarget } from '@isola/core';
import { UsageError } from './cli-errors.js';
import { formatAge, table } from './output.js';
import { examples, note, platformCommand, printJson, withPlatform, type Platform } from './platform-options.js';

export function registerFunctionCommands(program: Command): void {
  platformCommand(program, 'list', 'list the deployed functions: version, triggers, the last hour of invocations and errors, health')
    .alias('ls')
    .addHelpText(
      'after',
      examples([
        ['isola list', 'a table'],
        ['isola list --json | jq -r ".[].name"', "the API's summaries (manifest, aliases, stats, health) as JSON"],
      ]),
    )
    .action((_flags: unknown, command: Command) => withPlatform(command, list));

  platformCommand(program, 'versions <name>', "list a function's versions, newest first, with who deployed them, when, and the aliases pointing at each")
    .addHelpText('after', examples([
        ['isola versions cart-api', 'a table'],
        ['isola versions cart-api --json', '{name, aliases, versions: [...]}'],
      ]))
    .action((name: string, _flags: unknown, command: Command) => withPlatform(command, (platform) => versions(name, platform)));

  platformCommand(program, 'rollback <name>', 'point an alias (default latest) back at the previous version, or at the version --to names (older or newer)')
    .option('--to <version>', 'the version to serve (default: the one before the newest the alias serves)')
    .option('--alias <alias>', 'the alias to move', 'latest')
    .addHelpText(
      'after',
      examples(
        [
        ['isola rollback cart-api', 'latest back to the version before'],
        ['isola rollback cart-api --to 3', 'latest to version 3 (also promotes a version deployed with --no-promote)'],
        ['isola rollback cart-api --alias stable --to 2', 'another alias'],
        ],
        'Takes effect within a second on every gateway.',
      ),
    )
    .action((name: string, flags: { to?: string; alias: string }, command: Command) => withPlatform(command, (platform) => rollback(name, flags, platform)));
}

async function list(platform: Platform): Promise<void> {
  const functions = await platform.client.listFunctions({ stats: true });
  if (platform.json) return printJson(functions);
  if (functions.length === 0) {
    note('No functions deployed yet: run `isola deploy` in a function folder (or `isola init` to make one).');
    return;
  }
  const rows = functions
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((fn) => [
      fn.name,
      String(fn.version),
      triggersSummary(fn.manifest),
      fn.stats === undefined ? '-' : String(fn.stats.invocations),
      fn.stats === undefined ? '-' : String(fn.stats.errors),
      fn.health?.status ?? '-',
    ]);
  process.stdout.write(`${table(['NAME', 'VERSION', 'TRIGGERS', 'INVOCATIONS 1H', 'ERRORS 1H', 'HEALTH'], rows)}\n`);
  for (const fn of functions) {
    if (fn.health !== undefined && fn.health.reason !== null && fn.health.status !== 'idle') note(`${fn.name}: ${fn.health.reason}`);
  }
}

/** What makes the function run, e.g. `http (public), 2 routes, cron 0 9 * * 1, queue orders`. */
export function triggersSummary(manifest: Record<string, unknown>): string {
  const parts = [manifest.public === true ? 'http (public)' : 'http'];
  const routes = arrayOf(manifest.routes);
  if (routes.length > 0) parts.push(`${routes.length} route${routes.length === 1 ? '' : 's'}`);
  const crons = arrayOf(manifest.crons).map((cron) => (typeof cron === 'string' ? cron : String((cron as { schedule?: unknown }).schedule ?? '?')));
  if (crons.length === 1) parts.push(`cron ${crons[0] as string}`);
  else if (crons.length > 1) parts.push(`${crons.length} crons`);
  const topics = arrayOf(manifest.queues).map((queue) => String((queue as { topic?: unknown }).topic ?? '?'));
  if (topics.length > 0) parts.push(`queue ${topics.join(', ')}`);
  return parts.join(', ');
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

async function versions(name: string, platform: Platform): Promise<void> {
  const [found, summary] = await Promise.all([platform.client.versions(name), platform.client.getFunction(name)]);
  const aliasesOf = (version: number) =>
    Object.entries(summary.aliases).flatMap(([alias, target]) => {
      const weight = weightOf(target, version);
      return weight === null ? [] : [weight === 100 ? alias : `${alias} (${weight}%)`];
    });
  if (platform.json) {
    return printJson({ name, aliases: summary.aliases, versions: found.map((version) => ({ ...version, aliases: aliasesOf(version.version) })) });
  }
  const rows = found.map((version) => [
    String(version.version),
    formatAge(version.createdAt),
    version.author ?? '-',
    version.codeHash.slice(0, 12),
    aliasesOf(version.version).join(', '),
  ]);
  process.stdout.write(`${table(['VERSION', 'DEPLOYED', 'BY', 'CODE HASH', 'ALIASES'], rows)}\n`);
}

/** The share of the alias's traffic `version` gets (100 for a plain alias), null when none. */
function weightOf(target: AliasTarget, version: number): number | null {
  if ('version' in target) return target.version === version ? 100 : null;
  const weight = target.weights[String(version)];
  return weight === undefined || weight === 0 ? null : weight;
}

async function rollback(name: string, flags: { to?: string; alias: string }, platform: Platform): Promise<void> {
  let version: number | undefined;
  if (flags.to !== undefined) {
    version = Number(flags.to);
    if (!/^[1-9]\d{0,8}$/.test(flags.to)) throw new UsageError(`--to takes a version number (1, 2, ...; \`isola versions ${name}\` lists them); got ${JSON.stringify(flags.to)}`, 'isola rollback');
  }
  const moved = await platform.client.rollback(name, { alias: flags.alias, ...(version === undefined ? {} : { version }) });
  if (platform.json) return printJson({ name, ...moved });
  process.stdout.write(`${name} ${moved.alias}: ${describeTarget(moved.from)} → ${describeTarget(moved.to)}\n`);
}

/** `version 3`, or `version 3 (90%) + version 4 (10%)`. */
export function describeTarget(target: AliasTarget): string {
  if ('version' in target) return `version ${target.version}`;
  return Object.entries(target.weights)
    .map(([version, weight]) => `version ${version} (${weight}%)`)
    .join(' + ');
}
