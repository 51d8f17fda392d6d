import { createHash, randomUUID } from 'node:crypto';
import type { QueueClient } from '../queue/queue-client.js';
import type { InvocationJobData } from '../queue/jobs.js';
import type { InvocationRecorder } from '../records/invocation-recorder.js';
import type { FunctionVersion } from '../store/function-store.js';
import type { CronSpec } from './cron-schedule.js';

/** What enqueueing a `scheduled` invocation needs. */
export interface CronEnqueueDeps {
  queues: QueueClient;
  recorder: InvocationRecorder;
}

/**
 * The BullMQ job id of one tick: function, schedule id and the tick's nominal time, so every
 * replica that fires the tick names the same job and BullMQ takes it once.
 */
export function cronTickJobId(functionName: string, cronId: string, tickMs: number): string {
  return `cron.${functionName}.${cronId}.${tickMs}`;
}

/** The invocation id of a tick's job, the same on every replica (UUID-shaped, from SHA-256). */
export function cronTickInvocationId(jobId: string): string {
  const hex = createHash('sha256').update(jobId).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Enqueues the function's `scheduled` invocation for a tick (`jobId` from cronTickJobId) or, with
 * no job id, for a manual run (a fresh id). Safe to call from many replicas for one tick: the job
 * is added once and its `queued` record written once. Returns the invocation id.
 */
export async function enqueueScheduled(
  deps: CronEnqueueDeps,
  fn: FunctionVersion,
  spec: CronSpec,
  tick: { scheduledTime: number; jobId?: string },
): Promise<string> {
  const invocationId = tick.jobId === undefined ? randomUUID() : cronTickInvocationId(tick.jobId);
  const submittedAt = Date.now();
  const data: InvocationJobData = {
    invocationId,
    function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
    limits: fn.manifest.limits,
    trigger: 'cron',
    backoff: fn.manifest.async.backoff,
    submittedAt,
    scheduled: { cron: spec.schedule, scheduledTime: tick.scheduledTime },
  };
  const maxAttempts = fn.manifest.async.retries + 1;
  // The job first: a `queued` record then proves the job exists (the missed-tick scan relies on
  // it). Written only if absent, it cannot replace the record of a try that already ran.
  await deps.queues.submitInvocation(data, maxAttempts, tick.jobId ?? invocationId);
  await deps.recorder.recordQueued({ invocationId, function: fn.name, version: fn.version, trigger: 'cron', submittedAt, maxAttempts });
  return invocationId;
}
