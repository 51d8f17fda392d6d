import type { Redis } from 'ioredis';
import { redisKeys } from '../store/keys.js';
import { latencyBucketCount, latencyPercentile } from './latency-histogram.js';
import { histogramField, minuteStartSeconds } from './record-batch.js';

export interface MetricsBucket {
  /** ISO 8601: the start of the minute. */
  start: string;
  invocations: number;
  errors: number;
  coldStarts: number;
  /** Latency percentiles (durationMs of the records), 0 when there were no invocations. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface FunctionMetrics {
  bucketSeconds: 60;
  /** Oldest first; the last is the current, unfinished minute. */
  buckets: MetricsBucket[];
  total: {
    invocations: number;
    errors: number;
    coldStarts: number;
    /** errors / invocations; 0 when there were none. */
    errorRate: number;
    p50Ms: number;
    p95Ms: number;
    p99Ms: number;
  };
}

/**
 * A function's per-minute metrics, written by `InvocationRecorder`. Errors are failed
 * invocations and those answered with a status of 500 or more. Invocations count in the
 * minute they started. Percentiles come from merged fixed histograms; see `latency-histogram.ts`
 * for their error bound (within a factor of √2).
 */
export class FunctionMetricsReader {
  constructor(private readonly redis: Redis) {}

  /** The 60 minutes up to and including the current one. */
  async lastHour(name: string, now = Date.now()): Promise<FunctionMetrics> {
    return (await this.lastHourOfEach([name], now)).get(name) as FunctionMetrics;
  }

  /** `lastHour` of each function named, in one round trip however many there are. */
  async lastHourOfEach(names: readonly string[], now = Date.now()): Promise<Map<string, FunctionMetrics>> {
    const current = minuteStartSeconds(now);
    const minutes = Array.from({ length: 60 }, (_, index) => current - (59 - index) * 60);
    const found = new Map<string, FunctionMetrics>();
    if (names.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const name of names) for (const minute of minutes) pipeline.hgetall(redisKeys.functionMetrics(name, minute));
    const results = (await pipeline.exec()) ?? [];
    names.forEach((name, index) => found.set(name, summarize(minutes, results.slice(index * minutes.length, (index + 1) * minutes.length))));
    return found;
  }
}

/** One function's metrics from its minutes' hashes (`results`, one per minute, as the pipeline answered). */
function summarize(minutes: readonly number[], results: readonly [Error | null, unknown][]): FunctionMetrics {
  const merged = new Array<number>(latencyBucketCount).fill(0);
  const total = { invocations: 0, errors: 0, coldStarts: 0 };
  const buckets = minutes.map((minute, index): MetricsBucket => {
    const [error, value] = results[index] ?? [null, {}];
    if (error !== null) throw error;
    const fields = (value ?? {}) as Record<string, string>;
    const counts = Array.from({ length: latencyBucketCount }, (_, bucket) => Number(fields[histogramField(bucket)] ?? 0));
    counts.forEach((count, bucket) => (merged[bucket] = (merged[bucket] as number) + count));
    const invocations = Number(fields.invocations ?? 0);
    const errors = Number(fields.errors ?? 0);
    const coldStarts = Number(fields.coldStarts ?? 0);
    total.invocations += invocations;
    total.errors += errors;
    total.coldStarts += coldStarts;
    return { start: new Date(minute * 1000).toISOString(), invocations, errors, coldStarts, ...percentiles(counts) };
  });
  return {
    bucketSeconds: 60,
    buckets,
    total: { ...total, errorRate: total.invocations === 0 ? 0 : total.errors / total.invocations, ...percentiles(merged) },
  };
}

function percentiles(counts: readonly number[]): { p50Ms: number; p95Ms: number; p99Ms: number } {
  const at = (p: number) => Math.round(latencyPercentile(counts, p) * 1000) / 1000;
  return { p50Ms: at(0.5), p95Ms: at(0.95), p99Ms: at(0.99) };
}
