import { Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logging/logger.js';
import { backoffDelayMs, type BackoffPolicy } from './backoff.js';
import { queuePrefix } from './names.js';

export interface QueueWorkerTimings {
  /**
   * How long a job's lock lasts without renewal (renewed at half of it while the job runs). A
   * worker host that dies holds its jobs this long plus up to `stalledIntervalMs`; then another
   * host runs them again. Default 10,000.
   */
  lockDurationMs?: number;
  /** How often each worker looks for jobs whose lock expired. Default 5,000. */
  stalledIntervalMs?: number;
}

/** An error that asks for the next try after a given delay (a message's `retry({delaySeconds})`). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    readonly retryDelayMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/**
 * How long BullMQ waits before a job's next try: the delay the failure asked for, else the
 * job's own back-off policy (`data.backoff`), else a second.
 */
export function jobBackoffDelay(attemptsMade: number, _type?: string, error?: Error, job?: { data?: unknown }): number {
  if (error instanceof RetryLaterError) return error.retryDelayMs;
  const retryDelayMs = (error as { retryDelayMs?: unknown } | undefined)?.retryDelayMs;
  if (typeof retryDelayMs === 'number') return retryDelayMs;
  const policy = (job?.data as { backoff?: BackoffPolicy } | undefined)?.backoff;
  return backoffDelayMs(attemptsMade, policy ?? { baseMs: 1_000, maxMs: 60_000 });
}

/**
 * The BullMQ workers of one process, one per queue it consumes, created and closed as queues
 * come and go. Each has its own blocking connection (BullMQ duplicates the one given).
 * `maxStalledCount` is high on purpose: BullMQ fails a job outright once it stalled more often
 * than that, ignoring its remaining tries, and a stall here means a worker host died — not
 * the function's fault.
 */
export class QueueWorkerSet {
  private readonly workers = new Map<string, Worker>();
  private closing = false;
  private paused = false;

  constructor(
    private readonly connection: Redis,
    private readonly logger: Logger,
    private readonly timings: QueueWorkerTimings = {},
  ) {}

  has(name: string): boolean {
    return this.workers.has(name);
  }

  names(): string[] {
    return [...this.workers.keys()];
  }

  /** Starts consuming `name` (once; later calls keep the first worker). */
  ensure<Data, Result>(name: string, processor: Processor<Data, Result>, concurrency: number): void {
    if (this.closing || this.workers.has(name)) return;
    const lockDuration = this.timings.lockDurationMs ?? 10_000;
    const worker = new Worker<Data, Result>(name, processor, {
      connection: this.connection,
      prefix: queuePrefix,
      concurrency,
      lockDuration,
      stalledInterval: this.timings.stalledIntervalMs ?? 5_000,
      maxStalledCount: 10,
      settings: { backoffStrategy: jobBackoffDelay },
    });
    let lastWarning = 0;
    worker.on('error', (error) => {
      if (Date.now() - lastWarning < 5_000) return;
      lastWarning = Date.now();
      this.logger.warn({ err: error, queue: name }, 'queue worker error');
    });
    worker.on('failed', (job: Job | undefined, error: Error) => {
      if (job !== undefined && /stalled more than allowable limit/.test(error.message)) {
        this.logger.error({ queue: name, jobId: job.id }, 'job failed after stalling repeatedly: worker hosts kept dying while running it');
      }
    });
    this.workers.set(name, worker as unknown as Worker);
    if (this.paused) void worker.pause(true);
  }

  /**
   * Stops (or resumes) taking new jobs on every queue, keeping the jobs already taken: a host
   * that cannot run anything now (no worker process ready) leaves the jobs to other hosts
   * instead of taking them only to put them back.
   */
  setPaused(paused: boolean): void {
    if (this.paused === paused || this.closing) return;
    this.paused = paused;
    for (const worker of this.workers.values()) {
      if (paused) void worker.pause(true);
      else worker.resume();
    }
  }

  /** Stops consuming `name`; running jobs finish first. */
  async remove(name: string): Promise<void> {
    const worker = this.workers.get(name);
    if (worker === undefined) return;
    this.workers.delete(name);
    await worker.close();
  }

  /** Stops every worker: no new jobs are taken; running ones finish (graceful) or are left to stall (not). */
  async close(graceful = true): Promise<void> {
    this.closing = true;
    const workers = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(workers.map((worker) => worker.close(!graceful)));
  }
}
