import type { Command } from 'commander';
import { logLevels, type StoredLogLine } from '@isola/core';
import type { LogQuery } from '@isola/core';
import { UsageError } from './cli-errors.js';
import { paletteFor, type Palette } from './output.js';
import { examples, note, platformCommand, withPlatform, type Platform } from './platform-options.js';

interface LogsFlags {
  follow?: boolean;
  level?: string;
  search?: string;
  since?: string;
  invocation?: string;
  limit?: string;
}

const usage = 'isola logs';
/** Lines shown before following when neither --limit nor --since says otherwise (as tail -f). */
const followBacklog = 10;

export function registerLogsCommand(program: Command): void {
  platformCommand(program, 'logs <name>', "print a function's console output; --follow streams new lines as they are written")
    .option('-f, --follow', 'keep printing new lines (a live tail that reconnects by itself) until Ctrl+C')
    .option('--level <level>', `only lines at this level or above: ${logLevels.join(', ')}`)
    .option('--search <text>', 'only lines whose message contains this text (case-insensitive)')
    .option('--since <time>', 'only lines from this time: a duration ago (30s, 10m, 2h, 1d) or a date and time (2025-03-01T12:00:00Z)')
    .option('--invocation <id>', 'only the lines of this invocation (X-Isola-Invocation-Id)')
    .option('--limit <n>', `at most this many lines, 1 to 1000 (default 200; ${followBacklog} before following with --follow)`)
    .addHelpText(
      'after',
      examples(
        [
        ['isola logs cart-api', 'the last 200 lines'],
        ['isola logs cart-api --follow', 'the last lines, then new ones as they come'],
        ['isola logs cart-api --level warn --since 1h', 'warnings and errors of the last hour'],
        ['isola logs cart-api --invocation 0d3f…', 'one invocation (its id is in X-Isola-Invocation-Id)'],
        ['isola logs cart-api --json | jq .message', 'one JSON object per line'],
        ],
        "Each line: local time, level, the invocation id's first 8 characters, the message.",
      ),
    )
    .action((name: string, flags: LogsFlags, command: Command) => withPlatform(command, (platform) => logs(name, flags, platform)));
}

async function logs(name: string, flags: LogsFlags, platform: Platform): Promise<void> {
  const filter = {
    ...(flags.level === undefined ? {} : { level: checkLevel(flags.level) }),
    ...(flags.search === undefined ? {} : { search: flags.search }),
    ...(flags.invocation === undefined ? {} : { invocationId: flags.invocation }),
  };
  const limit = flags.limit === undefined ? (flags.follow === true && flags.since === undefined ? followBacklog : undefined) : parseLimit(flags.limit);
  const query: LogQuery = { ...filter, ...(flags.since === undefined ? {} : { since: parseSince(flags.since) }), ...(limit === undefined ? {} : { limit }) };
  const print = lineWriter(platform.json);

  const queriedAt = Date.now();
  const page = await platform.client.logs(name, query);
  page.lines.forEach(print);
  if (flags.follow !== true) {
    if (page.more) note(`(more lines match than the ${page.lines.length} shown: narrow them with --since, --level or --search, or raise --limit up to 1000)`);
    return;
  }

  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // From the last line shown; with none, from a little before the query (no line matched then,
  // so nothing is shown twice, and a clock a few seconds ahead of the platform's loses nothing).
  const after = page.lines.at(-1)?.id ?? `${queriedAt - 5_000}-0`;
  let lost = false;
  try {
    for await (const event of platform.client.followLogs(name, filter, { after, signal: abort.signal })) {
      if (event.type === 'line') print(event.line);
      else if (event.type === 'open') {
        note(lost ? 'Reconnected.' : `Following the logs of ${name} (Ctrl+C to stop)…`);
        lost = false;
      } else {
        note(`Connection lost (${event.reason}); reconnecting in ${Math.round(event.retryMs / 1000)} s…`);
        lost = true;
      }
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Prints lines as `HH:MM:SS.mmm LEVEL [inv8] message`, or as JSON objects one per line. */
function lineWriter(json: boolean): (line: StoredLogLine) => void {
  if (json) return (line) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const palette = paletteFor(process.stdout);
  return (line) => process.stdout.write(`${formatLogLine(line, palette)}\n`);
}

export function formatLogLine(line: StoredLogLine, palette: Palette): string {
  const time = new Date(line.time);
  const clock = `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${String(time.getMilliseconds()).padStart(3, '0')}`;
  const level = line.level.toUpperCase().padEnd(5);
  const colouredLevel = line.level === 'error' ? palette.red(level) : line.level === 'warn' ? palette.yellow(level) : line.level === 'debug' ? palette.dim(level) : level;
  return `${palette.dim(clock)} ${colouredLevel} ${palette.cyan(`[${line.invocationId.slice(0, 8)}]`)} ${line.message}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

function checkLevel(level: string): string {
  const lower = level.toLowerCase();
  if (!(logLevels as readonly string[]).includes(lower)) throw new UsageError(`--level must be one of ${logLevels.join(', ')}; got ${JSON.stringify(level)}`, usage);
  return lower;
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!/^\d+$/.test(text) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000; got ${JSON.stringify(text)}`, usage);
  return limit;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` → that long ago; a date and time → itself; as epoch milliseconds (what the API takes). */
export function parseSince(text: string, now = Date.now()): string {
  const duration = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (duration !== null) return String(Math.round(now - Number(duration[1]) * (durationUnits[duration[2] as string] ?? 0)));
  const time = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim()) || Number.isNaN(time)) {
    throw new UsageError(`--since takes a duration ago (30s, 10m, 2h, 1d) or a date and time (2025-03-01T12:00:00Z); got ${JSON.stringify(text)}`, usage);
  }
  return String(time);
}
