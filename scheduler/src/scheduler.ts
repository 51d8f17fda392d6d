import type { InvocationOutcome, InvocationRequest, Invoker, Logger, WorkerSource } from '@isola/core';
import { placeInvocation } from './placement.js';

export interface SchedulerOptions {
  logger: Logger;
}

/**
 * Turns invocations into dispatches onto workers. This first version places synchronous
 * invocations on local workers; queues, retries and cross-machine placement come later.
 */
export class Scheduler implements Invoker {
  private rotation = 0;

  constructor(
    private readonly source: WorkerSource,
    private readonly options: SchedulerOptions,
  ) {}

  readyWorkers(): number {
    return this.source.workers().filter((worker) => worker.ready).length;
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const workers = this.source.workers();
    this.rotation = (this.rotation + 1) % Math.max(1, workers.length);
    const worker = placeInvocation(workers, request.function, request.limits.concurrency, this.rotation);
    if (worker === null) {
      this.options.logger.warn({ invocationId: request.invocationId, function: request.function.name }, 'no ready worker');
      return Promise.resolve({
        ok: false,
        error: { code: 'OVERLOADED', message: 'no worker is ready to run the invocation; retry shortly' },
        coldStart: false,
        logs: [],
        logsTruncated: false,
        timings: { loadMs: 0, runMs: 0 },
        workerId: '',
      });
    }
    return worker.invoke(request);
  }
}
