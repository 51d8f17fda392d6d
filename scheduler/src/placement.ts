import { instanceKey, type FunctionRef, type WorkerChannel } from '@isola/core';

/**
 * Picks the worker for an invocation: a worker that already has the code warm, unless it is
 * busier than `maxWarmLoad`; otherwise the least loaded ready worker. Ties rotate so that
 * load spreads evenly. Returns null when no worker is ready or every one runs `maxInFlight`.
 */
export function placeInvocation(
  workers: readonly WorkerChannel[],
  fn: FunctionRef,
  maxWarmLoad: number,
  rotation: number,
  maxInFlight = Infinity,
): WorkerChannel | null {
  const key = instanceKey(fn);
  let warmest: WorkerChannel | null = null;
  let leastLoaded: WorkerChannel | null = null;
  const count = workers.length;
  for (let offset = 0; offset < count; offset += 1) {
    const worker = workers[(rotation + offset) % count];
    if (worker === undefined || !worker.ready || worker.inFlight >= maxInFlight) continue;
    if (worker.isWarm(key) && worker.inFlight < maxWarmLoad && (warmest === null || worker.inFlight < warmest.inFlight)) {
      warmest = worker;
    }
    if (leastLoaded === null || worker.inFlight < leastLoaded.inFlight) leastLoaded = worker;
  }
  return warmest ?? leastLoaded;
}
