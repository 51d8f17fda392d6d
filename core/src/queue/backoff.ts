/** Retry timing of an async invocation or a message, from the manifest (`async.backoff`, SPEC §3). */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * The delay before the next try after `failedAttempts` failures (≥ 1): exponential from
 * `baseMs`, capped at `maxMs`, with "equal jitter" — half the step fixed, half random — so
 * retries of many invocations that failed together spread out instead of arriving as a herd,
 * while no retry comes sooner than half its step.
 */
export function backoffDelayMs(failedAttempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 40);
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(step / 2 + random() * (step / 2));
}
