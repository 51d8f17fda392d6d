/** What a reconcile asks of the queue: nothing (done), or another pass after a while. */
export interface ReconcileOutcome {
  requeueAfterMs?: number;
}

export interface WorkQueueOptions {
  /** Keys handled at once (one key is never handled twice at the same time). */
  concurrency: number;
  /** First retry delay after a failure; doubles with each failure in a row. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Called when a handler throws, before the retry is scheduled. */
  onError?: (key: string, error: unknown, failures: number, retryInMs: number) => void;
}

/**
 * The controller's queue of keys to reconcile, as client-go's rate-limited work queue: a key
 * added many times is handled once; a key added while it is being handled is handled again
 * after; a failed key comes back after an exponential back-off (with jitter) that resets once
 * it succeeds.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly order: string[] = [];
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private readonly idle: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly handle: (key: string) => Promise<ReconcileOutcome | void>,
    private readonly options: WorkQueueOptions,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    const timer = this.timers.get(key);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.timers.delete(key);
    }
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.waiting.has(key)) return;
    this.waiting.add(key);
    this.order.push(key);
    this.pump();
  }

  /** Adds the key after `ms`, unless it is added sooner. */
  addAfter(key: string, ms: number): void {
    if (this.stopped || this.timers.has(key) || this.waiting.has(key)) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, timer);
  }

  /** How many failures in a row the key has had. */
  failuresOf(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  get length(): number {
    return this.waiting.size + this.running.size;
  }

  /** Stops taking keys and waits for the running handlers. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.waiting.clear();
    this.order.length = 0;
    if (this.running.size > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (!this.stopped && this.running.size < this.options.concurrency && this.order.length > 0) {
      const key = this.order.shift() as string;
      this.waiting.delete(key);
      this.running.add(key);
      void this.run(key);
    }
  }

  private async run(key: string): Promise<void> {
    let retryInMs: number | null = null;
    try {
      const outcome = await this.handle(key);
      this.failures.delete(key);
      if (outcome?.requeueAfterMs !== undefined) retryInMs = outcome.requeueAfterMs;
    } catch (error) {
      const failures = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, failures);
      const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (failures - 1));
      retryInMs = Math.round(delay * (0.8 + Math.random() * 0.4));
      this.options.onError?.(key, error, failures, retryInMs);
    } finally {
      this.running.delete(key);
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryInMs !== null) this.addAfter(key, retryInMs);
    if (this.running.size === 0 && this.stopped) for (const resolve of this.idle.splice(0)) resolve();
    this.pump();
  }
}
