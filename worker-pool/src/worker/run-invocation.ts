import { isErrorShape, type InvocationOutcome, type InvocationRequest } from '@isola/core';
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
    const outcome = await lookup.instance.dispatch(request);
    const runMs = performance.now() - started;
    registry.release(request, lookup.instance);
    return { ...outcome, coldStart, timings: { loadMs, runMs }, workerId };
  } catch (error) {
    const shape = isErrorShape(error)
      ? error
      : { code: 'INTERNAL' as const, message: `worker failed to run the invocation: ${error instanceof Error ? error.message : String(error)}` };
    return { ok: false, error: shape, coldStart, logs: [], logsTruncated: false, timings: { loadMs, runMs: 0 }, workerId };
  }
}
