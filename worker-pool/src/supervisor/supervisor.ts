import type { Logger, WorkerChannel, WorkerSource } from '@isola/core';
import { WorkerProcess } from './worker-process.js';

export interface SupervisorOptions {
  workers: number;
  /** Environment of the worker processes (must hold REDIS_URL). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** See WorkerProcessOptions.heartbeatTimeoutMs. */
  heartbeatTimeoutMs: number;
  /** Called when a function's isolate takes its worker down (see WorkerProcess). */
  onFunctionCrash?: (instanceKey: string, reason: string) => void;
}

const maxRespawnDelayMs = 5_000;
/** A worker that lived this long resets the back-off. */
const healthyLifetimeMs = 30_000;

/**
 * Keeps `workers` pre-forked worker processes running: starts them, respawns any that dies
 * (with exponential back-off per slot) and stops them all on shutdown.
 */
export class Supervisor implements WorkerSource {
  private readonly slots: { worker: WorkerProcess; failures: number; startedAt: number }[] = [];
  private stopping = false;
  private generation = 0;

  constructor(private readonly options: SupervisorOptions) {}

  /** Forks every worker and resolves once all of them are ready. */
  async start(): Promise<void> {
    for (let index = 0; index < this.options.workers; index += 1) {
      this.slots.push({ worker: this.spawn(index), failures: 0, startedAt: Date.now() });
    }
    await Promise.all(this.slots.map((slot) => slot.worker.started));
  }

  workers(): readonly WorkerChannel[] {
    return this.slots.map((slot) => slot.worker);
  }


  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.slots.map((slot) => slot.worker.stop()));
  }

  private spawn(index: number): WorkerProcess {
    this.generation += 1;
    return new WorkerProcess({
      id: `w${index}.${this.generation}`,
      env: this.options.env,
      logger: this.options.logger,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      onExit: (worker, code, signal) => this.onExit(index, worker, code, signal),
      onFunctionCrash: (key, reason) => this.options.onFunctionCrash?.(key, reason),
    });
  }

  private onExit(index: number, worker: WorkerProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const slot = this.slots[index];
    if (this.stopping || slot === undefined || slot.worker !== worker) return;
    slot.failures = Date.now() - slot.startedAt > healthyLifetimeMs ? 1 : slot.failures + 1;
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
