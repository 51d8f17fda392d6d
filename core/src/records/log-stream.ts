import type { LogLevel, LogLine } from '../invocation/types.js';

/** A function's log line as stored in its stream (`isola:fn:<name>:logs`). */
export interface StoredLogLine {
  /** The stream entry id (`<ms>-<seq>`): when the line was stored. Usable as an exclusive `since`/`until` and as an SSE event id. */
  id: string;
  function: string;
  invocationId: string;
  version: number;
  level: LogLevel;
  /** Epoch milliseconds, when the function wrote the line. */
  time: number;
  message: string;
  /** Present on the line that marks output the runtime dropped (per-invocation log cap). */
  truncated?: true;
}

/** Minimum-level filtering order. */
export const logLevels = ['debug', 'log', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[];

const levelRank: Record<LogLevel, number> = { debug: 0, log: 1, info: 2, warn: 3, error: 4 };

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(levelRank, value);
}

export const truncationMessage =
  'log output truncated: this invocation wrote more than the per-invocation limit (ISOLA_MAX_LOG_BYTES); later lines were dropped';

/** The fields of one stream entry, in XADD order. */
export function logEntryFields(line: LogLine, invocationId: string, version: number, truncated = false): string[] {
  const fields = ['level', line.level, 'time', String(line.time), 'invocationId', invocationId, 'version', String(version), 'message', line.message];
  if (truncated) fields.push('truncated', '1');
  return fields;
}

/** Reads a stream entry back; entries not written by Isola come back with defaults rather than failing. */
export function decodeLogEntry(functionName: string, id: string, fields: readonly string[]): StoredLogLine {
  const values: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) values[fields[index] as string] = fields[index + 1] as string;
  const level = values.level;
  const line: StoredLogLine = {
    id,
    function: functionName,
    invocationId: values.invocationId ?? '',
    version: Number(values.version ?? 0),
    level: isLogLevel(level) ? level : 'log',
    time: Number(values.time ?? Number.parseInt(id, 10)),
    message: values.message ?? '',
  };
  if (values.truncated !== undefined) line.truncated = true;
  return line;
}

export interface LogFilter {
  /** Minimum level: debug < log < info < warn < error. */
  level?: LogLevel;
  /** Case-insensitive substring of the message. */
  search?: string;
  invocationId?: string;
}

/** A predicate for `filter`, built once per query. */
export function logLineMatcher(filter: LogFilter): (line: StoredLogLine) => boolean {
  const minimum = filter.level === undefined ? 0 : levelRank[filter.level];
  const needle = filter.search === undefined || filter.search === '' ? undefined : filter.search.toLowerCase();
  return (line) =>
    levelRank[line.level] >= minimum &&
    (filter.invocationId === undefined || line.invocationId === filter.invocationId) &&
    (needle === undefined || line.message.toLowerCase().includes(needle));
}
