import { isErrorShape, type InvocationOutcome, type InvocationRequest, type InvocationTimings } from '@isola/core';
import type { DispatchOutcome } from '../sandbox/function-instance.js';
import type { InstanceRegistry } from './instance-registry.js';

/** Runs one invocation in this worker; never throws: every failure becomes an error outcome. */
export async function runInvocation(
  registry: InstanceRegistry,
  request: InvocationRequest,
  workerId: string,
): Promise<InvocationOutcome> {
  let coldStart = true;
  let loadMs = 0;
  try {
    const lookup = await registry.acquire(request);
    coldStart = lookup.coldStart;
    loadMs = lookup.loadMs;
    const started = performance.now();
    let dispatched: DispatchOutcome;
    try {
      dispatched = await lookup.instance.dispatch(request);
    } finally {
      registry.release(request, lookup.instance);
    }
    const runMs = performance.now() - started;
    const { cpuMs, heapBytes, ...outcome } = dispatched;
    const timings: InvocationTimings = { loadMs, runMs };
    if (cpuMs !== undefined) timings.cpuMs = cpuMs;
    if (heapBytes !== undefined) timings.heapBytes = heapBytes;
    return { ...outcome, coldStart, timings, workerId };
  } catch (error) {
    const shape = isErrorShape(error)
      ? error
      : { code: 'INTERNAL' as const, message: `worker failed to run the invocation: ${error instanceof Error ? error.message : String(error)}` };
    return { ok: false, error: shape, coldStart, logs: [], logsTruncated: false, timings: { loadMs, runMs: 0 }, workerId };
  }
}
