import { instanceKey, type ErrorShape, type InvocationOutcome, type InvocationRequest, type Invoker, type Logger, type WorkerSource } from '@isola/core';
import { placeInvocation } from './placement.js';
import { Quarantine } from './quarantine.js';

export interface SchedulerOptions {
  logger: Logger;
}

/**
 * Turns invocations into dispatches onto workers. This first version places synchronous
 * invocations on local workers; queues, retries and cross-machine placement come later.
 */
export class Scheduler implements Invoker {
  private rotation = 0;
  private readonly quarantine = new Quarantine();

  constructor(
    private readonly source: WorkerSource,
    private readonly options: SchedulerOptions,
  ) {}

  readyWorkers(): number {
    return this.source.workers().filter((worker) => worker.ready).length;
  }

  /** A function's isolate took its worker down; repeated crashes quarantine that version. */
  recordCrash(key: string, reason: string): void {
    if (this.quarantine.recordCrash(key, reason)) this.options.logger.warn({ instanceKey: key, reason }, 'function version quarantined');
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const quarantined = this.quarantine.reason(instanceKey(request.function));
    if (quarantined !== null) {
      const { name, version } = request.function;
      return Promise.resolve(refused({
        code: 'FUNCTION_QUARANTINED',
        message: `function "${name}" version ${version} is quarantined: ${quarantined}; fix it and redeploy to lift the quarantine`,
      }));
    }
    const workers = this.source.workers();
    this.rotation = (this.rotation + 1) % Math.max(1, workers.length);
    const worker = placeInvocation(workers, request.function, request.limits.concurrency, this.rotation);
    if (worker === null) {
      this.options.logger.warn({ invocationId: request.invocationId, function: request.function.name }, 'no ready worker');
      return Promise.resolve(refused({ code: 'OVERLOADED', message: 'no worker is ready to run the invocation; retry shortly' }));
    }
    return worker.invoke(request);
  }
}

/** The outcome of an invocation the scheduler did not dispatch. */
function refused(error: ErrorShape): InvocationOutcome {
  return { ok: false, error, coldStart: false, logs: [], logsTruncated: false, timings: { loadMs: 0, runMs: 0 }, workerId: '' };
}
