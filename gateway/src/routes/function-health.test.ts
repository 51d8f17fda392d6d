import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionMetrics } from '@isola/core';
import { healthOf, statsOf } from './function-health.js';

/** An hour of metrics: `minutesAgo` → [invocations, errors]; the current minute is 0. */
function hour(counts: Record<number, [number, number]>): FunctionMetrics {
  const buckets = Array.from({ length: 60 }, (_, index) => {
    const [invocations, errors] = counts[59 - index] ?? [0, 0];
    return { start: new Date(index * 60_000).toISOString(), invocations, errors, coldStarts: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
  });
  const invocations = buckets.reduce((sum, bucket) => sum + bucket.invocations, 0);
  const errors = buckets.reduce((sum, bucket) => sum + bucket.errors, 0);
  return {
    bucketSeconds: 60,
    buckets,
    total: { invocations, errors, coldStarts: 1, errorRate: invocations === 0 ? 0 : errors / invocations, p50Ms: 4, p95Ms: 9, p99Ms: 12 },
  };
}

test('health: quarantine first, then failing over 5 minutes, degraded over the hour, idle, healthy', () => {
  const quarantined = [{ version: 3, codeHash: 'h', reason: 'it crashed its worker 2 times within 10 minutes (last: oom)', at: '' }];
  assert.deepEqual(healthOf(hour({ 0: [10, 0] }), quarantined), {
    status: 'quarantined',
    reason: 'version 3 is quarantined: it crashed its worker 2 times within 10 minutes (last: oom); redeploy to lift it',
  });
  assert.deepEqual(healthOf(hour({ 0: [10, 8], 4: [5, 4] }), []), { status: 'failing', reason: '12 of 15 invocations failed in the last 5 minutes' });
  // Half is enough; fewer than 3 is not; the sixth minute back is not recent.
  assert.equal(healthOf(hour({ 1: [4, 2] }), []).status, 'failing');
  assert.equal(healthOf(hour({ 0: [2, 2] }), []).status, 'healthy');
  assert.equal(healthOf(hour({ 5: [10, 10] }), []).status, 'healthy');
  assert.deepEqual(healthOf(hour({ 30: [19, 1], 0: [1, 0] }), []), { status: 'degraded', reason: '1 of 20 invocations (5%) failed in the last hour' });
  assert.deepEqual(healthOf(hour({ 30: [90, 12], 0: [30, 0] }), []), { status: 'degraded', reason: '12 of 120 invocations (10%) failed in the last hour' });
  assert.equal(healthOf(hour({ 30: [18, 1] }), []).status, 'healthy', 'too few invocations to call it degraded');
  assert.equal(healthOf(hour({ 30: [21, 1] }), []).status, 'healthy', 'under 5%');
  assert.deepEqual(healthOf(hour({}), []), { status: 'idle', reason: 'no invocations in the last hour' });
  assert.deepEqual(healthOf(hour({ 59: [1, 0] }), []), { status: 'healthy', reason: null });
});

test('stats are the hour totals without p95', () => {
  assert.deepEqual(statsOf(hour({ 0: [4, 1] })), { invocations: 4, errors: 1, errorRate: 0.25, coldStarts: 1, p50Ms: 4, p99Ms: 12 });
});
