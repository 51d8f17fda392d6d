import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import type { LogLevel } from '../invocation/types.js';
import { redisKeys } from '../store/keys.js';
import { decodeLogEntry, isLogLevel, logLineMatcher, type LogFilter, type StoredLogLine } from './log-stream.js';

/**
 * A bound of a log query: epoch milliseconds, an ISO 8601 time (both inclusive), or a stream
 * entry id such as `1735689600000-3` (exclusive: pass the last line's id to get the next page).
 */
export type LogBound = number | string;

export interface LogQueryOptions extends LogFilter {
  since?: LogBound;
  until?: LogBound;
  /** Default 200, at most 1,000. */
  limit?: number;
}

export interface LogQueryResult {
  /** Oldest to newest. With `since`, the first `limit` matches after it; without, the last `limit` before `until`. */
  lines: StoredLogLine[];
  /**
   * True when more matching lines may exist beyond this page: in the direction read (after the
   * last line with `since`, before the first line without), or when the scan cap was reached.
   */
  more: boolean;
}

export interface LogFollowOptions extends LogFilter {
  signal: AbortSignal;
  /** Resume after this stream id (an SSE client's Last-Event-ID); default: lines stored from now on. */
  after?: string;
}

export interface LogStoreOptions {
  /** A new connection for each follower: XREAD BLOCK holds its connection. Closed when the follow ends. */
  connect: () => Redis;
}

/** Stream entries read per round trip. */
const chunkSize = 500;
/** A query examines at most this many stored lines, so a filter that matches nothing stays cheap. */
const maxScanned = 100_000;
/** How long one XREAD waits; bounds how long a follower takes to notice a dead connection. */
const followBlockMs = 1_000;
const streamIdPattern = /^\d+-\d+$/;
const maxStreamIdPart = 2n ** 64n - 1n;

/** Whether `value` is a stream entry id Redis takes (`<ms>-<seq>`, each part at most 2^64-1), such as a log line's id. */
export function isStreamId(value: string): boolean {
  const match = /^(\d{1,20})-(\d{1,20})$/.exec(value);
  return match !== null && BigInt(match[1] as string) <= maxStreamIdPart && BigInt(match[2] as string) <= maxStreamIdPart;
}

/**
 * A function's log lines (`isola:fn:<name>:logs`, written by `InvocationRecorder`). Stream ids
 * are the Redis time a line was stored, within a flush interval of the end of its invocation;
 * `since`/`until` select by that time. A line's own `time` is when the function wrote it, up to
 * the invocation's duration earlier.
 *
 * Leaves out: server-side filtering (level, search and invocation id are applied to the lines
 * read, at most `maxScanned` per query).
 */
export class LogStore {
  private readonly connect: () => Redis;

  constructor(
    private readonly redis: Redis,
    options: LogStoreOptions,
  ) {
    this.connect = options.connect;
  }

  async query(name: string, options: LogQueryOptions = {}): Promise<LogQueryResult> {
    const limit = options.limit ?? 200;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new IsolaError('BAD_REQUEST', `limit must be an integer from 1 to 1000, got ${limit}`);
    checkLevel(options.level);
    const start = options.since === undefined ? '-' : streamBound(options.since, 'since');
    const end = options.until === undefined ? '+' : streamBound(options.until, 'until');
    // Nothing comes before the first possible id or after the last (and Redis refuses such ranges).
    if (end === '(0-0' || start === `(${maxStreamIdPart}-${maxStreamIdPart}`) return { lines: [], more: false };
    const matches = logLineMatcher(options);
    const key = redisKeys.functionLogs(name);
    const forward = options.since !== undefined;
    const lines: StoredLogLine[] = [];
    let from = forward ? start : end;
    let scanned = 0;
    while (scanned < maxScanned) {
      const entries = forward ? await this.redis.xrange(key, from, end, 'COUNT', chunkSize) : await this.redis.xrevrange(key, from, start, 'COUNT', chunkSize);
      for (const [index, [id, fields]] of entries.entries()) {
        const line = decodeLogEntry(name, id, fields);
        if (!matches(line)) continue;
        lines.push(line);
        if (lines.length === limit) {
          const more = index < entries.length - 1 || entries.length === chunkSize;
          return { lines: forward ? lines : lines.reverse(), more };
        }
      }
      scanned += entries.length;
      const last = entries.at(-1);
      if (entries.length < chunkSize || last === undefined) return { lines: forward ? lines : lines.reverse(), more: false };
      from = `(${last[0]}`;
    }
    return { lines: forward ? lines : lines.reverse(), more: true };
  }

  /**
   * New lines of a function as they are stored, on a connection of its own (blocking XREAD of
   * at most a second at a time). Ends when `signal` aborts, closing that connection; a Redis
   * failure ends it with the error.
   */
  async *follow(name: string, options: LogFollowOptions): AsyncGenerator<StoredLogLine, void, undefined> {
    checkLevel(options.level);
    if (options.after !== undefined && !isStreamId(options.after)) throw new IsolaError('BAD_REQUEST', `after must be a log line id such as 1735689600000-0, got ${options.after}`);
    const { signal } = options;
    if (signal.aborted) return;
    const key = redisKeys.functionLogs(name);
    const matches = logLineMatcher(options);
    const connection = this.connect();
    // Errors reach the pending command; without a listener ioredis would also print them.
    connection.on('error', () => undefined);
    const stop = () => connection.disconnect();
    signal.addEventListener('abort', stop, { once: true });
    try {
      let lastId = options.after ?? (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
      while (!signal.aborted) {
        let reply: [string, [string, string[]][]][] | null;
        try {
          reply = (await connection.xread('COUNT', chunkSize, 'BLOCK', followBlockMs, 'STREAMS', key, lastId)) as [string, [string, string[]][]][] | null;
        } catch (error) {
          if (signal.aborted) return;
          throw error;
        }
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            lastId = id;
            const line = decodeLogEntry(name, id, fields);
            if (matches(line)) yield line;
            if (signal.aborted) return;
          }
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
      connection.disconnect();
    }
  }
}

function checkLevel(level: LogLevel | undefined): void {
  if (level !== undefined && !isLogLevel(level)) throw new IsolaError('BAD_REQUEST', `level must be one of debug, log, info, warn, error, got ${String(level)}`);
}

/** A query bound as an XRANGE id: times are inclusive, stream ids exclusive. */
function streamBound(bound: LogBound, name: 'since' | 'until'): string {
  if (typeof bound === 'string' && streamIdPattern.test(bound)) {
    if (!isStreamId(bound)) throw new IsolaError('BAD_REQUEST', `${name} ${bound} is not a log line id: each part of one is at most ${maxStreamIdPart}`);
    // Without leading zeros, so that the query sees `(0-0` however it was written.
    const [ms, seq] = bound.split('-') as [string, string];
    return `(${BigInt(ms)}-${BigInt(seq)}`;
  }
  const ms = typeof bound === 'number' ? bound : /^\d+$/.test(bound) ? Number(bound) : Date.parse(bound);
  if (!Number.isFinite(ms) || ms < 0) throw new IsolaError('BAD_REQUEST', `${name} must be epoch milliseconds, an ISO 8601 time or a log line id, got ${String(bound)}`);
  // A bare millisecond id covers every entry of that millisecond, at either end.
  return String(name === 'since' ? Math.ceil(ms) : Math.floor(ms));
}
