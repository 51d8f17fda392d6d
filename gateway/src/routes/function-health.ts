import { z } from 'zod';
import type { FunctionMetrics, QuarantinedVersion } from '@isola/core';

/** A function's last hour at a glance (`?stats=true` on the functions list and show). */
export const functionStatsSchema = z.object({
  invocations: z.number(),
  errors: z.number().describe('failed invocations and those answered with a status of 500 or more'),
  errorRate: z.number().describe('errors / invocations; 0 when there were none'),
  coldStarts: z.number(),
  p50Ms: z.number(),
  p99Ms: z.number(),
});
export type FunctionStats = z.infer<typeof functionStatsSchema>;

export const healthStatuses = ['quarantined', 'failing', 'degraded', 'idle', 'healthy'] as const;

export const functionHealthSchema = z.object({
  status: z
    .enum(healthStatuses)
    .describe(
      'quarantined: a version latest serves crashed its worker repeatedly and is refused; failing: at least half of at least 3 invocations in the last 5 minutes failed; degraded: at least 5% of at least 20 invocations in the last hour failed; idle: no invocations in the last hour',
    ),
  reason: z.string().nullable().describe('why, in a sentence; null when healthy'),
});
export type FunctionHealth = z.infer<typeof functionHealthSchema>;

/** `failing`: within the last this many minutes (the current one counting as one)... */
const recentMinutes = 5;
/** ...at least this many invocations... */
const failingMinInvocations = 3;
/** ...and at least this share of them failed. */
const failingErrorRate = 0.5;
/** `degraded`: over the hour, at least this many invocations with at least this share failed. */
const degradedMinInvocations = 20;
const degradedErrorRate = 0.05;

export function statsOf(metrics: FunctionMetrics): FunctionStats {
  const { invocations, errors, errorRate, coldStarts, p50Ms, p99Ms } = metrics.total;
  return { invocations, errors, errorRate, coldStarts, p50Ms, p99Ms };
}

/**
 * How a function is doing, worst first: a quarantined version among those `latest` serves
 * (`quarantined`, already narrowed to them), then its recent and hourly error rates.
 */
export function healthOf(metrics: FunctionMetrics, quarantined: readonly QuarantinedVersion[]): FunctionHealth {
  const first = quarantined[0];
  if (first !== undefined) return { status: 'quarantined', reason: `version ${first.version} is quarantined: ${first.reason}; redeploy to lift it` };
  let recent = 0;
  let recentErrors = 0;
  for (const bucket of metrics.buckets.slice(-recentMinutes)) {
    recent += bucket.invocations;
    recentErrors += bucket.errors;
  }
  if (recent >= failingMinInvocations && recentErrors >= recent * failingErrorRate) {
    return { status: 'failing', reason: `${recentErrors} of ${recent} invocations failed in the last ${recentMinutes} minutes` };
  }
  const { invocations, errors, errorRate } = metrics.total;
  if (invocations >= degradedMinInvocations && errorRate >= degradedErrorRate) {
    return { status: 'degraded', reason: `${errors} of ${invocations} invocations (${percent(errorRate)}) failed in the last hour` };
  }
  if (invocations === 0) return { status: 'idle', reason: 'no invocations in the last hour' };
  return { status: 'healthy', reason: null };
}

function percent(rate: number): string {
  const value = rate * 100;
  return `${value >= 10 ? Math.round(value) : Math.round(value * 10) / 10}%`;
}
