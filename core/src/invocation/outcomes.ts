import type { ErrorShape } from '../errors/isola-error.js';
import type { InvocationOutcome } from './types.js';

/** The outcome of an invocation that was refused before it ran (no worker took it). */
export function refusedOutcome(error: ErrorShape): InvocationOutcome {
  return { ok: false, error, coldStart: false, logs: [], logsTruncated: false, timings: { loadMs: 0, runMs: 0 }, workerId: '' };
}

/** Whether an outcome is a refusal before the run (a limit, or no worker with room): no try was made. */
export function wasRefused(outcome: InvocationOutcome): boolean {
  return !outcome.ok && outcome.workerId === '' && (outcome.error.code === 'RATE_LIMITED' || outcome.error.code === 'OVERLOADED');
}

/** When a refused invocation may be tried again (its Retry-After), in ms. */
export function refusalDelayMs(outcome: InvocationOutcome): number {
  return (outcome.ok ? undefined : outcome.error.retryAfterMs) ?? 1_000;
}
