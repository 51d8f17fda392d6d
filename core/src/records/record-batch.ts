import type { ChainableCommander } from 'ioredis';
import { redisKeys } from '../store/keys.js';
import { attemptDurationMs, invocationStatuses, type CapturedInvocation, type FinalInvocationStatus } from './invocation-record.js';
import { latencyBucketIndex } from './latency-histogram.js';
import { logEntryFields, truncationMessage } from './log-stream.js';

/** Metric buckets outlive the hour they are read for by this much. */
export const metricsTtlSeconds = 2 * 60 * 60;

/** A captured invocation with its record already serialized. */
export interface PreparedInvocation {
  captured: CapturedInvocation;
  recordJson: string;
}

export interface RetentionOptions {
  ttlSeconds: number;
  maxPerFunction: number;
}

/** The hash field that counts one latency bucket of a minute's metrics. */
export function histogramField(bucketIndex: number): string {
  return `h${bucketIndex}`;
}

/** The minute bucket (its start, in epoch seconds) a time falls into. */
export function minuteStartSeconds(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60;
}

/**
 * Stores each record with its expiry and appends each log line to its function's stream, for a
 * whole batch in one command. Per-invocation commands cost the gateway more CPU than anything
 * else a record needs (ioredis builds, encodes and writes each one on the event loop), so they
 * travel as the arguments of one script call instead.
 * ARGV: ttl seconds, stream MAXLEN, record count n, n × (record key, JSON, "NX" or ""), then per log line:
 * stream key, field count, fields. Keys are not declared in KEYS: Isola uses one Redis (or a
 * Sentinel-managed primary), never Redis Cluster.
 */
export const writeRecordsAndLinesScript = `
local ttl, maxlen = ARGV[1], ARGV[2]
local records = tonumber(ARGV[3])
local at = 4
for _ = 1, records do
  if ARGV[at + 2] == 'NX' then
    redis.call('SET', ARGV[at], ARGV[at + 1], 'EX', ttl, 'NX')
  else
    redis.call('SET', ARGV[at], ARGV[at + 1], 'EX', ttl)
  end
  at = at + 3
end
while at <= #ARGV do
  local fields = tonumber(ARGV[at + 1])
  redis.call('XADD', ARGV[at], 'MAXLEN', '~', maxlen, '*', unpack(ARGV, at + 2, at + 1 + fields))
  at = at + 2 + fields
end
return records`;

/**
 * Queues on `pipeline` every write for a batch of finished invocations: records and log lines
 * (one script call), indexes (one ZADD per index), metrics, then the trims. Per-function work
 * (trims, expiries) and metric counters are queued once per batch, not once per invocation.
 */
export function queueBatchWrites(pipeline: ChainableCommander, batch: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  const byFunction = new Map<string, PreparedInvocation[]>();
  const args: (string | number)[] = [retention.ttlSeconds, retention.maxPerFunction, batch.length];
  for (const prepared of batch) {
    args.push(redisKeys.invocationRecord(prepared.captured.id), prepared.recordJson, prepared.captured.onlyIfAbsent ? 'NX' : '');
    const group = byFunction.get(prepared.captured.functionName);
    if (group === undefined) byFunction.set(prepared.captured.functionName, [prepared]);
    else group.push(prepared);
  }
  for (const [name, invocations] of byFunction) pushLogLines(args, name, invocations);
  pipeline.eval(writeRecordsAndLinesScript, 0, ...args);
  for (const [name, invocations] of byFunction) {
    queueIndexes(pipeline, name, invocations, retention, now);
    queueLogTrim(pipeline, name, invocations, retention, now);
    queueMetrics(pipeline, name, invocations);
  }
}

function queueIndexes(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  const members = new Map<string, (string | number)[]>([[redisKeys.functionInvocations(name), []]]);
  for (const { captured } of invocations) {
    members.get(redisKeys.functionInvocations(name))!.push(captured.startedAtMs, captured.id);
    // Only final statuses are indexed: an invocation is listed under the status it ended in.
    if (!invocationStatuses.includes(captured.status as FinalInvocationStatus)) continue;
    const byStatus = redisKeys.functionInvocationsByStatus(name, captured.status);
    let statusMembers = members.get(byStatus);
    if (statusMembers === undefined) {
      statusMembers = [];
      members.set(byStatus, statusMembers);
    }
    statusMembers.push(captured.startedAtMs, captured.id);
  }
  const oldestKept = now - retention.ttlSeconds * 1000;
  for (const [index, scoresAndIds] of members) {
    pipeline.zadd(index, ...scoresAndIds);
    pipeline.zremrangebyscore(index, '-inf', `(${oldestKept}`);
    pipeline.zremrangebyrank(index, 0, -(retention.maxPerFunction + 1));
    // An idle function's index goes with its last records.
    pipeline.expire(index, retention.ttlSeconds);
  }
}

/** Appends to `args` each log line of the invocations, and the truncation mark where output was dropped. */
function pushLogLines(args: (string | number)[], name: string, invocations: readonly PreparedInvocation[]): void {
  const stream = redisKeys.functionLogs(name);
  const push = (fields: string[]) => args.push(stream, fields.length, ...fields);
  for (const { captured } of invocations) {
    const { logs, logsTruncated } = captured.outcome;
    for (const line of logs) push(logEntryFields(line, captured.id, captured.version));
    if (logsTruncated) {
      const time = logs.at(-1)?.time ?? captured.startedAtMs + captured.elapsedMs;
      push(logEntryFields({ level: 'warn', time, message: truncationMessage }, captured.id, captured.version, true));
    }
  }
}

function queueLogTrim(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  if (!invocations.some(({ captured }) => captured.outcome.logs.length > 0 || captured.outcome.logsTruncated)) return;
  const stream = redisKeys.functionLogs(name);
  pipeline.xtrim(stream, 'MINID', '~', now - retention.ttlSeconds * 1000);
  pipeline.expire(stream, retention.ttlSeconds);
}

/** Adds the batch up per minute in memory, then one HINCRBY per touched counter. */
function queueMetrics(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[]): void {
  const minutes = new Map<number, Map<string, number>>();
  const add = (counters: Map<string, number>, field: string) => counters.set(field, (counters.get(field) ?? 0) + 1);
  for (const { captured } of invocations) {
    // A queued invocation has not run yet: its tries are counted when they run.
    if (captured.status === 'queued') continue;
    // An async try counts in the minute it ran, with its own duration (not the time it waited).
    const { lifecycle } = captured;
    const minute = minuteStartSeconds(lifecycle === undefined ? captured.startedAtMs : lifecycle.attemptStartedAt);
    const latencyMs = lifecycle === undefined ? captured.elapsedMs : attemptDurationMs(captured, lifecycle);
    let counters = minutes.get(minute);
    if (counters === undefined) {
      counters = new Map();
      minutes.set(minute, counters);
    }
    add(counters, 'invocations');
    if (!captured.outcome.ok || captured.httpStatus >= 500) add(counters, 'errors');
    if (captured.outcome.coldStart) add(counters, 'coldStarts');
    add(counters, histogramField(latencyBucketIndex(latencyMs)));
  }
  for (const [minute, counters] of minutes) {
    const key = redisKeys.functionMetrics(name, minute);
    for (const [field, count] of counters) pipeline.hincrby(key, field, count);
    pipeline.expire(key, metricsTtlSeconds);
  }
}
