import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import { redisKeys } from '../store/keys.js';
import { invocationStatuses, type FinalInvocationStatus, type InvocationRecord } from './invocation-record.js';
import { metricsTtlSeconds, minuteStartSeconds } from './record-batch.js';

export interface ListInvocationsOptions {
  status?: FinalInvocationStatus;
  /** 1 to 200; default 50. */
  limit?: number;
  /** `nextCursor` of the previous page, unchanged. */
  cursor?: string;
  /** Only records that started at or after this time (epoch ms). */
  since?: number;
  /** Only records that started at or before this time (epoch ms). */
  until?: number;
}

export interface InvocationPage {
  /** Newest first. A page may hold fewer than `limit` when records expired before their index entry was trimmed. */
  invocations: InvocationRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/**
 * One page of an index, newest first, after the entry the cursor names, within scores
 * [ARGV[4], ARGV[5]] (ZRANGE BYSCORE bounds). By rank when that entry is still there and within
 * the range's top, so ties in start time are neither skipped nor repeated however many entries
 * arrived since; the caller drops what the page holds below the range. When the entry was
 * trimmed (only the oldest are), everything older than its score is also older than it.
 * Returns member, score pairs flattened.
 */
const pageAfterScript = `
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[2])
local count = tonumber(ARGV[3])
local after = tonumber(ARGV[1])
local top = ARGV[5] == '+inf' and after or math.min(after, tonumber(ARGV[5]))
if rank and top == after then
  return redis.call('ZRANGE', KEYS[1], rank + 1, rank + count, 'REV', 'WITHSCORES')
end
local upper = top == after and ('(' .. ARGV[1]) or ARGV[5]
return redis.call('ZRANGE', KEYS[1], upper, ARGV[4], 'BYSCORE', 'REV', 'LIMIT', 0, count, 'WITHSCORES')
`;

/** Reads invocation records (written by `InvocationRecorder`) and deletes a function's. */
export class RecordStore {
  constructor(private readonly redis: Redis) {}

  async get(id: string): Promise<InvocationRecord | null> {
    const json = await this.redis.get(redisKeys.invocationRecord(id));
    return json === null ? null : (JSON.parse(json) as InvocationRecord);
  }

  /**
   * A function's records, newest first, optionally only those that started within
   * [since, until]. The cursor is stable while new records arrive: the next page continues after
   * the last record of this one.
   */
  async list(name: string, options: ListInvocationsOptions = {}): Promise<InvocationPage> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) throw new IsolaError('BAD_REQUEST', `limit must be an integer from 1 to 200, got ${limit}`);
    if (options.status !== undefined && !invocationStatuses.includes(options.status)) {
      throw new IsolaError('BAD_REQUEST', `status must be one of ${invocationStatuses.join(', ')}, got ${String(options.status)}`);
    }
    const { since, until } = options;
    for (const [label, bound] of [['since', since], ['until', until]] as const) {
      if (bound !== undefined && !Number.isFinite(bound)) throw new IsolaError('BAD_REQUEST', `${label} must be a time in epoch milliseconds, got ${bound}`);
    }
    if (since !== undefined && until !== undefined && since > until) {
      throw new IsolaError('BAD_REQUEST', `since (${new Date(since).toISOString()}) is after until (${new Date(until).toISOString()}): nothing can match`);
    }
    const min = since === undefined ? '-inf' : String(since);
    const max = until === undefined ? '+inf' : String(until);
    const index = options.status === undefined ? redisKeys.functionInvocations(name) : redisKeys.functionInvocationsByStatus(name, options.status);
    // One entry beyond the page tells whether there is a next one.
    let flat: string[];
    if (options.cursor !== undefined) flat = (await this.redis.eval(pageAfterScript, 1, index, ...decodeCursor(options.cursor), limit + 1, min, max)) as string[];
    else if (since === undefined && until === undefined) flat = await this.redis.zrange(index, 0, limit, 'REV', 'WITHSCORES');
    else flat = await this.redis.zrange(index, max, min, 'BYSCORE', 'REV', 'LIMIT', 0, limit + 1, 'WITHSCORES');
    const entries: { id: string; score: string }[] = [];
    for (let position = 0; position + 1 < flat.length; position += 2) {
      const score = flat[position + 1] as string;
      // Newest first: once one is older than the range, the rest are too.
      if (since !== undefined && Number(score) < since) break;
      entries.push({ id: flat[position] as string, score });
    }
    const page = entries.slice(0, limit);
    const jsons = page.length === 0 ? [] : await this.redis.mget(page.map((entry) => redisKeys.invocationRecord(entry.id)));
    const invocations = jsons.filter((json): json is string => json !== null).map((json) => JSON.parse(json) as InvocationRecord);
    const last = page.at(-1);
    return { invocations, nextCursor: entries.length > limit && last !== undefined ? encodeCursor(last.score, last.id) : null };
  }

  /**
   * Removes a function's invocation indexes, log stream and metric buckets. The records
   * themselves expire on their own. A recorder that still buffers invocations of the function
   * writes them afterwards.
   */
  async deleteFunction(name: string, now = Date.now()): Promise<void> {
    const keys = [redisKeys.functionInvocations(name), redisKeys.functionLogs(name), ...invocationStatuses.map((status) => redisKeys.functionInvocationsByStatus(name, status))];
    // Buckets live metricsTtlSeconds after their last write, which can come a while after the
    // minute (records are bucketed by start time): cover that, and some clock skew ahead.
    const first = minuteStartSeconds(now - (metricsTtlSeconds + 30 * 60) * 1000);
    const last = minuteStartSeconds(now + 10 * 60 * 1000);
    for (let minute = first; minute <= last; minute += 60) keys.push(redisKeys.functionMetrics(name, minute));
    await this.redis.del(...keys);
  }
}

function encodeCursor(score: string, id: string): string {
  return Buffer.from(JSON.stringify([Number(score), id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) && typeof value[1] === 'string') return [String(value[0]), value[1]];
  } catch {
    // reported below
  }
  throw new IsolaError('BAD_REQUEST', 'cursor is not valid: pass nextCursor from the previous page unchanged');
}
