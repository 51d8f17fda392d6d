/**
 * A fixed, log-spaced latency histogram that Redis can add up with HINCRBY. Bucket `i` counts
 * durations in (bound[i-1], bound[i]] milliseconds (bucket 0 starts at 0); the bounds grow by
 * √2 from 0.1 ms to about 1,186 s, which covers the longest `limits.timeoutMs` (900 s). One more
 * bucket, index `latencyBucketBoundsMs.length`, holds anything longer.
 *
 * Error bound of the percentiles: a percentile is the nearest-rank value (the sample of rank
 * ⌈p·n⌉), and the estimate is interpolated linearly inside the bucket that holds that sample.
 * Estimate and true value therefore share a bucket: above 0.1 ms they are within a factor of
 * √2 of each other (−29 % / +41 % at worst); below 0.1 ms within 0.1 ms. Durations beyond the
 * last bound are reported as that bound.
 */
export const latencyBucketBoundsMs: readonly number[] = Array.from({ length: 48 }, (_, index) => 0.1 * 2 ** (index / 2));

/** How many counters a histogram has: one per bound plus the overflow bucket. */
export const latencyBucketCount = latencyBucketBoundsMs.length + 1;

/** The bucket a duration falls into. */
export function latencyBucketIndex(durationMs: number): number {
  const bounds = latencyBucketBoundsMs;
  if (!(durationMs > (bounds[0] as number))) return 0;
  let index = Math.min(bounds.length, Math.max(0, Math.ceil(2 * Math.log2(durationMs / 0.1))));
  // Correct a floating-point step across a bound in either direction.
  while (index > 0 && durationMs <= (bounds[index - 1] as number)) index -= 1;
  while (index < bounds.length && durationMs > (bounds[index] as number)) index += 1;
  return index;
}

/**
 * The `p`-th percentile (0 < p ≤ 1) of the durations counted in `counts` (one counter per
 * bucket), interpolated inside its bucket; 0 when nothing was counted. See the error bound above.
 */
export function latencyPercentile(counts: readonly number[], p: number): number {
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total === 0) return 0;
  const target = Math.max(p * total, Number.MIN_VALUE);
  let before = 0;
  for (let index = 0; index < counts.length; index += 1) {
    const count = counts[index] as number;
    if (count > 0 && before + count >= target) {
      const lower = index === 0 ? 0 : (latencyBucketBoundsMs[index - 1] as number);
      const upper = index < latencyBucketBoundsMs.length ? (latencyBucketBoundsMs[index] as number) : lower;
      return lower + ((target - before) / count) * (upper - lower);
    }
    before += count;
  }
  return latencyBucketBoundsMs[latencyBucketBoundsMs.length - 1] as number;
}
