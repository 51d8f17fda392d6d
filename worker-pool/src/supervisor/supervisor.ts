import type { Logger, WorkerChannel, WorkerSource } from '@isola/core';
import type { FunctionProvider } from './function-provider.js';
import { WorkerProcess } from './worker-process.js';

export interface SupervisorOptions {
  workers: number;
  /** Environment of the worker processes (must hold REDIS_URL unless `functions` is given). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** See WorkerProcessOptions.heartbeatTimeoutMs. */
  heartbeatTimeoutMs: number;
  /** Called when a function's isolate takes its worker down (see WorkerProcess). */
  onFunctionCrash?: (instanceKey: string, reason: string) => void;
  /** Recycle a worker after this many invocations or this much resident memory (0: never). */
  recycle?: { maxInvocations: number; maxRssBytes: number };
  /** Prefixed to worker ids (`<node>/w0.1`), so that an id names one process of the whole platform. */
  idPrefix?: string;
  /** Where workers get function code and secrets; absent: from Redis. See FunctionProvider. */
  functions?: FunctionProvider;
}

const maxRespawnDelayMs = 5_000;
/** A worker that lived this long resets the back-off. */
const healthyLifetimeMs = 30_000;
/** A worker that was ready this long did not die of its start: the back-off starts over. */
const servedLongEnoughMs = 1_000;

/**
 * Keeps `workers` pre-forked worker processes running: starts them, respawns any that dies
 * (with exponential back-off per slot) and stops them all on shutdown.
 */
export class Supervisor implements WorkerSource {
  private readonly slots: { worker: WorkerProcess; failures: number; startedAt: number; replacing: boolean }[] = [];
  /** Recycled workers finishing their last invocations. */
  private readonly draining = new Set<WorkerProcess>();
  private stopping = false;
  private generation = 0;

  constructor(private readonly options: SupervisorOptions) {}

  /** Forks every worker and resolves once all of them are ready. */
  async start(): Promise<void> {
    for (let index = 0; index < this.options.workers; index += 1) {
      this.slots.push({ worker: this.spawn(index), failures: 0, startedAt: Date.now(), replacing: false });
    }
    await Promise.all(this.slots.map((slot) => slot.worker.started));
  }

  workers(): readonly WorkerChannel[] {
    return this.slots.map((slot) => slot.worker);
  }

  /** Takes a function's loaded instances out of use on every worker (its code or secrets changed; see FunctionProvider). */
  evict(functionName: string): void {
    for (const slot of this.slots) slot.worker.evict(functionName);
    for (const worker of this.draining) worker.evict(functionName);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.slots.map((slot) => slot.worker.stop()), ...[...this.draining].map((worker) => worker.stop())]);
  }

  private spawn(index: number): WorkerProcess {
    this.generation += 1;
    return new WorkerProcess({
      id: `${this.options.idPrefix === undefined ? '' : `${this.options.idPrefix}/`}w${index}.${this.generation}`,
      env: this.options.env,
      logger: this.options.logger,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      onExit: (worker, code, signal) => this.onExit(index, worker, code, signal),
      onFunctionCrash: (key, reason) => this.options.onFunctionCrash?.(key, reason),
      onActivity: (worker) => this.recycleIfDue(index, worker),
      ...(this.options.functions === undefined ? {} : { functions: this.options.functions }),
    });
  }

  /**
   * Replaces a worker that reached its invocation count or resident-memory limit (disposed
   * isolates give back only part of their memory): a fresh worker is started, takes the slot
   * once ready, and the old one drains — it answers what it runs, takes nothing new, exits.
   */
  private recycleIfDue(index: number, worker: WorkerProcess): void {
    const slot = this.slots[index];
    const limits = this.options.recycle;
    if (this.stopping || limits === undefined || slot === undefined || slot.worker !== worker || slot.replacing) return;
    let reason: string | null = null;
    if (limits.maxInvocations > 0 && worker.invocations >= limits.maxInvocations) {
      reason = `it ran ${worker.invocations} invocations (ISOLA_WORKER_MAX_INVOCATIONS)`;
    } else if (limits.maxRssBytes > 0 && worker.invocations > 0 && worker.rssBytes > limits.maxRssBytes) {
      reason = `its resident memory reached ${Math.round(worker.rssBytes / 1048576)} MB (ISOLA_WORKER_MAX_RSS_MB)`;
    }
    if (reason === null) return;
    slot.replacing = true;
    this.options.logger.info({ workerId: worker.id, reason }, 'recycling worker');
    const replacement = this.spawn(index);
    replacement.started.then(
      () => {
        slot.replacing = false;
        if (this.stopping) {
          void replacement.stop();
          return;
        }
        slot.worker = replacement;
        slot.startedAt = Date.now();
        this.draining.add(worker);
        void worker.gone.then(() => this.draining.delete(worker));
        worker.drain();
      },
      (error: unknown) => {
        slot.replacing = false;
        this.options.logger.error({ err: error, workerId: replacement.id }, 'replacement worker failed to start; keeping the old one');
      },
    );
  }

  private onExit(index: number, worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const slot = this.slots[index];
    if (this.stopping || slot === undefined || slot.worker !== worker) return;
    // Back-off is for crash loops: a worker that fails on its own before (or right after) it is
    // ready. One that served for a while, or was killed from outside (an operator, the OOM
    // killer: SIGKILL that the supervisor did not send), comes back at once.
    const servedMs = worker.readyAt === null ? 0 : Date.now() - worker.readyAt;
    // Only once it was ready: a worker killed while starting each time (the OOM killer, too many
    // workers for the memory) is a loop and backs off.
    const killedFromOutside = signal === 'SIGKILL' && !worker.killedForSilence && worker.readyAt !== null;
    const healthy = Date.now() - slot.startedAt > healthyLifetimeMs || servedMs >= servedLongEnoughMs || killedFromOutside;
    slot.failures = healthy ? 1 : slot.failures + 1;
    const delayMs = Math.min(maxRespawnDelayMs, 100 * 2 ** (slot.failures - 1));
    this.options.logger.error({ workerId: worker.id, code, signal, respawnInMs: delayMs }, 'worker exited; respawning');
    setTimeout(() => {
      if (this.stopping) return;
      slot.worker = this.spawn(index);
      slot.startedAt = Date.now();
      slot.worker.started.catch((error: unknown) => this.options.logger.error({ err: error }, 'respawned worker failed to start'));
    }, delayMs).unref();
  }
}
