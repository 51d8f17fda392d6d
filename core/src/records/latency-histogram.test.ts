import assert from 'node:assert/strict';
import { test } from 'node:test';
import { latencyBucketBoundsMs, latencyBucketCount, latencyBucketIndex, latencyPercentile } from './latency-histogram.js';

test('bounds run from 0.1 ms past the longest timeout, each √2 above the last', () => {
  assert.equal(latencyBucketBoundsMs[0], 0.1);
  assert.ok((latencyBucketBoundsMs.at(-1) as number) > 900_000);
  for (let index = 1; index < latencyBucketBoundsMs.length; index += 1) {
    assert.ok(Math.abs((latencyBucketBoundsMs[index] as number) / (latencyBucketBoundsMs[index - 1] as number) - Math.SQRT2) < 1e-9);
  }
});

test('a duration lands in the bucket whose bounds hold it, bounds included at the top', () => {
  assert.equal(latencyBucketIndex(0), 0);
  assert.equal(latencyBucketIndex(0.1), 0);
  assert.equal(latencyBucketIndex(0.10001), 1);
  for (const [index, bound] of latencyBucketBoundsMs.entries()) {
    assert.equal(latencyBucketIndex(bound), index, `bound ${bound}`);
    assert.equal(latencyBucketIndex(bound * 1.0000001), index + 1, `just above ${bound}`);
  }
  assert.equal(latencyBucketIndex(10 ** 9), latencyBucketCount - 1);
});

test('percentiles of uniform 1..1000 ms are within the documented factor of √2', () => {
  const counts = new Array<number>(latencyBucketCount).fill(0);
  for (let ms = 1; ms <= 1000; ms += 1) counts[latencyBucketIndex(ms)] = (counts[latencyBucketIndex(ms)] as number) + 1;
  for (const [p, exact] of [
    [0.5, 500],
    [0.95, 950],
    [0.99, 990],
  ] as const) {
    const estimate = latencyPercentile(counts, p);
    assert.ok(estimate / exact < Math.SQRT2 && exact / estimate < Math.SQRT2, `p${p * 100}: ${estimate} vs ${exact}`);
    // The claim behind the bound: the estimate falls in the bucket of the true value.
    assert.equal(latencyBucketIndex(estimate), latencyBucketIndex(exact));
  }
  assert.equal(latencyPercentile(new Array<number>(latencyBucketCount).fill(0), 0.5), 0);
});
