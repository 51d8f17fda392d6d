import type { ChainableCommander } from 'ioredis';
import { redisKeys } from '../store/keys.js';
import { invocationStatusOf, type CapturedInvocation } from './invocation-record.js';
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
 * Queues on `pipeline` every write for a batch of finished invocations: records, indexes, log
 * lines and metrics, then the trims. Per-function work (trims, expiries) and metric counters
 * are queued once per batch, not once per invocation.
 */
export function queueBatchWrites(pipeline: ChainableCommander, batch: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  const byFunction = new Map<string, PreparedInvocation[]>();
  for (const prepared of batch) {
    const group = byFunction.get(prepared.captured.functionName);
    if (group === undefined) byFunction.set(prepared.captured.functionName, [prepared]);
    else group.push(prepared);
  }
  for (const [name, invocations] of byFunction) {
    queueRecords(pipeline, name, invocations, retention, now);
    queueLogLines(pipeline, name, invocations, retention, now);
    queueMetrics(pipeline, name, invocations);
  }
}

function queueRecords(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  const indexes = new Set<string>([redisKeys.functionInvocations(name)]);
  for (const { captured, recordJson } of invocations) {
    const status = invocationStatusOf(captured.outcome);
    const byStatus = redisKeys.functionInvocationsByStatus(name, status);
    indexes.add(byStatus);
    pipeline.set(redisKeys.invocationRecord(captured.id), recordJson, 'EX', retention.ttlSeconds);
    pipeline.zadd(redisKeys.functionInvocations(name), captured.startedAtMs, captured.id);
    pipeline.zadd(byStatus, captured.startedAtMs, captured.id);
  }
  const oldestKept = now - retention.ttlSeconds * 1000;
  for (const index of indexes) {
    pipeline.zremrangebyscore(index, '-inf', `(${oldestKept}`);
    pipeline.zremrangebyrank(index, 0, -(retention.maxPerFunction + 1));
    // An idle function's index goes with its last records.
    pipeline.expire(index, retention.ttlSeconds);
  }
}

function queueLogLines(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[], retention: RetentionOptions, now: number): void {
  const stream = redisKeys.functionLogs(name);
  let added = false;
  for (const { captured } of invocations) {
    const { logs, logsTruncated } = captured.outcome;
    for (const line of logs) {
      pipeline.xadd(stream, 'MAXLEN', '~', retention.maxPerFunction, '*', ...logEntryFields(line, captured.id, captured.version));
      added = true;
    }
    if (logsTruncated) {
      const time = logs.at(-1)?.time ?? captured.startedAtMs + captured.elapsedMs;
      const marker = { level: 'warn' as const, time, message: truncationMessage };
      pipeline.xadd(stream, 'MAXLEN', '~', retention.maxPerFunction, '*', ...logEntryFields(marker, captured.id, captured.version, true));
      added = true;
    }
  }
  if (!added) return;
  pipeline.xtrim(stream, 'MINID', '~', now - retention.ttlSeconds * 1000);
  pipeline.expire(stream, retention.ttlSeconds);
}

/** Adds the batch up per minute in memory, then one HINCRBY per touched counter. */
function queueMetrics(pipeline: ChainableCommander, name: string, invocations: readonly PreparedInvocation[]): void {
  const minutes = new Map<number, Map<string, number>>();
  const add = (counters: Map<string, number>, field: string) => counters.set(field, (counters.get(field) ?? 0) + 1);
  for (const { captured } of invocations) {
    const minute = minuteStartSeconds(captured.startedAtMs);
    let counters = minutes.get(minute);
    if (counters === undefined) {
      counters = new Map();
      minutes.set(minute, counters);
    }
    add(counters, 'invocations');
    if (!captured.outcome.ok || captured.httpStatus >= 500) add(counters, 'errors');
    if (captured.outcome.coldStart) add(counters, 'coldStarts');
    add(counters, histogramField(latencyBucketIndex(captured.elapsedMs)));
  }
  for (const [minute, counters] of minutes) {
    const key = redisKeys.functionMetrics(name, minute);
    for (const [field, count] of counters) pipeline.hincrby(key, field, count);
    pipeline.expire(key, metricsTtlSeconds);
  }
}
