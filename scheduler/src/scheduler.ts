import {
  instanceKey,
  parseInstanceKey,
  refusedOutcome,
  type FunctionRef,
  type InvocationOutcome,
  type InvocationRequest,
  type Invoker,
  type Logger,
  type WorkerSource,
} from '@isola/core';
import { placeInvocation } from './placement.js';
import { Quarantine } from './quarantine.js';

export interface SchedulerOptions {
  logger: Logger;
  /** Invocations one worker process runs at once; beyond, the node is saturated (503 OVERLOADED). Default 128. */
  maxInFlightPerWorker?: number;
  /**
   * Where quarantined versions are noted for the API to show (the FunctionStore). Written off the
   * invocation path, once per quarantine; invocations are refused from this process's memory.
   */
  quarantineNotes?: {
    recordQuarantine(fn: FunctionRef, reason: string): Promise<void>;
    listNames(): Promise<string[]>;
    quarantinedVersions(names: readonly string[]): Promise<Map<string, { version: number; codeHash: string; reason: string }[]>>;
  };
}

/**
 * Places invocations on this node's worker processes: a worker with the version warm first,
 * else the least loaded (see placeInvocation); versions that crashed their worker repeatedly
 * are quarantined. Across nodes, gateways place with the ClusterInvoker; async invocations
 * reach a node through its queue consumers.
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

  /** Invocations running on this node's workers now. */
  inFlight(): number {
    let total = 0;
    for (const worker of this.source.workers()) total += worker.inFlight;
    return total;
  }

  /** Invocations this node runs at once before it refuses more. */
  capacity(): number {
    return this.readyWorkers() * this.maxInFlightPerWorker;
  }

  private get maxInFlightPerWorker(): number {
    return this.options.maxInFlightPerWorker ?? 128;
  }

  /**
   * Restores the quarantines noted in Redis (by this node before a restart, or by others), so a
   * version that kept crashing workers stays refused until it is redeployed. Returns how many.
   */
  async restoreQuarantines(): Promise<number> {
    const notes = this.options.quarantineNotes;
    if (notes === undefined) return 0;
    const byName = await notes.quarantinedVersions(await notes.listNames());
    let restored = 0;
    for (const [name, versions] of byName) {
      for (const { version, codeHash, reason } of versions) {
        this.quarantine.restore(instanceKey({ name, version, codeHash }), reason);
        restored++;
      }
    }
    return restored;
  }

  /** A function's isolate took its worker down; repeated crashes quarantine that version. */
  recordCrash(key: string, reason: string): void {
    if (!this.quarantine.recordCrash(key, reason)) return;
    const { logger, quarantineNotes } = this.options;
    logger.warn({ instanceKey: key, reason }, 'function version quarantined');
    const fn = parseInstanceKey(key);
    const why = this.quarantine.reason(key);
    if (quarantineNotes === undefined || fn === null || why === null) return;
    // The quarantine holds without the note; only the API would not show it.
    quarantineNotes.recordQuarantine(fn, why).catch((error: unknown) => logger.warn({ err: error, instanceKey: key }, 'could not note the quarantine in Redis; the API will not show it'));
  }

  invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    const quarantined = this.quarantine.reason(instanceKey(request.function));
    if (quarantined !== null) {
      const { name, version } = request.function;
      return Promise.resolve(refusedOutcome({
        code: 'FUNCTION_QUARANTINED',
        message: `function "${name}" version ${version} is quarantined: ${quarantined}; fix it and redeploy to lift the quarantine`,
      }));
    }
    const workers = this.source.workers();
    this.rotation = (this.rotation + 1) % Math.max(1, workers.length);
    const worker = placeInvocation(workers, request.function, request.limits.concurrency, this.rotation, this.maxInFlightPerWorker);
    if (worker === null) {
      const ready = workers.some((candidate) => candidate.ready);
      if (!ready) this.options.logger.warn({ invocationId: request.invocationId, function: request.function.name }, 'no ready worker');
      return Promise.resolve(
        refusedOutcome({
          code: 'OVERLOADED',
          message: ready ? 'every worker of the platform is busy; retry shortly' : 'no worker is ready to run the invocation; retry shortly',
          retryAfterMs: 1_000,
        }),
      );
    }
    return worker.invoke(request);
  }
}

