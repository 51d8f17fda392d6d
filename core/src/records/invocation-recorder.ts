import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import type { Logger } from '../logging/logger.js';
import { buildInvocationRecord, captureInvocation, captureQueuedInvocation, serializeInvocationRecord, type CapturedInvocation, type InvocationRecordInput, type QueuedInvocationInput } from './invocation-record.js';
import { OldestFirstBuffer } from './oldest-first-buffer.js';
import { redisKeys } from '../store/keys.js';
import { queueBatchWrites, type PreparedInvocation } from './record-batch.js';

export interface InvocationRecorderOptions {
  /** How long records and log lines are kept (config `recordTtlSeconds`). */
  ttlSeconds: number;
  /** Records and log lines kept per function at most (config `recordMaxPerFunction`). */
  maxPerFunction: number;
  /** How often buffered invocations are written. Default 50. */
  flushIntervalMs?: number;
  /** Invocations held while Redis cannot take them; beyond this the oldest are dropped. Default 5,000. */
  maxBuffered?: number;
  /** Receives at most one warning per flush (Redis failures, dropped invocations). */
  logger?: Logger;
}

/** The longest wait between attempts while Redis keeps failing. */
const maxRetryDelayMs = 5_000;

/**
 * Writes finished invocations to Redis: the record, the function's indexes, its log stream and
 * its per-minute metrics (see `queueBatchWrites`). `record()` runs on the gateway's hot path, so
 * it only buffers; a timer writes the buffer in one pipeline per flush.
 *
 * Leaves out: exactly-once writing. A batch Redis rejected as a whole stays buffered and is
 * tried again (bounded by `maxBuffered`, oldest dropped first), so a connection lost after
 * Redis ran a batch but before it answered can write it twice: records and indexes are
 * idempotent, log lines and metric counts are not. A batch Redis took only in part is not
 * retried. What is buffered when the process dies is lost.
 */
export class InvocationRecorder {
  private readonly ttlSeconds: number;
  private readonly maxPerFunction: number;
  private readonly flushIntervalMs: number;
  private readonly maxBuffered: number;
  private readonly logger: Logger | undefined;
  private readonly pending = new OldestFirstBuffer<CapturedInvocation>();
  /** Callers of recordDurably() waiting for their record to be written. */
  private readonly waiters = new Map<CapturedInvocation, { resolve: () => void; reject: (error: unknown) => void }>();
  private flushSoon: NodeJS.Immediate | null = null;
  private droppedTotal = 0;
  /** Dropped since the last warning. */
  private droppedUnreported = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private flushing = false;
  private failures = 0;
  private retryAt = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    options: InvocationRecorderOptions,
  ) {
    this.ttlSeconds = positiveInteger('ttlSeconds', options.ttlSeconds);
    this.maxPerFunction = positiveInteger('maxPerFunction', options.maxPerFunction);
    this.flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs ?? 50);
    this.maxBuffered = positiveInteger('maxBuffered', options.maxBuffered ?? 5_000);
    this.logger = options.logger;
    this.timer = setInterval(() => this.onTick(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Invocations dropped since the recorder started: buffer overflow, or recorded after close(). */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Invocations waiting to be written. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Buffers a finished invocation. Never throws and never waits: the caller is serving a request. */
  record(input: InvocationRecordInput): void {
    this.buffer(() => captureInvocation(input, Date.now()));
  }

  private buffer(capture: () => CapturedInvocation): void {
    try {
      if (this.closed) throw new Error('recorder closed');
      this.pending.push(capture());
      if (this.pending.length > this.maxBuffered) this.drop(this.pending.length - this.maxBuffered);
    } catch {
      // A malformed input or a closed recorder: counted, and reported by the next flush.
      this.droppedTotal += 1;
      this.droppedUnreported += 1;
    }
  }

  /**
   * Writes a record and resolves once Redis has it (rejects when the write failed; the record is
   * then not kept for another try). Records given together within one event-loop turn share one
   * write. For async tries, whose job must not complete before its record is stored: a worker
   * host that dies between the two would leave the invocation looking unfinished forever.
   */
  recordDurably(input: InvocationRecordInput): Promise<void> {
    if (this.closed) return Promise.reject(new IsolaError('NOT_READY', 'the invocation recorder is closed'));
    const captured = captureInvocation(input, Date.now());
    const written = new Promise<void>((resolve, reject) => this.waiters.set(captured, { resolve, reject }));
    this.pending.push(captured);
    this.flushSoon ??= setImmediate(() => {
      this.flushSoon = null;
      void this.flush();
    });
    return written;
  }

  /**
   * Stores the `queued` record of an accepted async invocation at once (so the id the client
   * just got can be looked up), unless a later record exists; its index entry follows with the
   * next batch.
   */
  async recordQueued(input: QueuedInvocationInput): Promise<void> {
    const captured = captureQueuedInvocation(input);
    await this.redis.set(redisKeys.invocationRecord(captured.id), serializeInvocationRecord(buildInvocationRecord(captured)), 'EX', this.ttlSeconds, 'NX');
    this.buffer(() => captured);
  }

  /** Writes everything buffered so far. Resolves once the write is done or has failed (failures are logged, not thrown). */
  flush(): Promise<void> {
    const run = this.flushChain.then(() => this.flushOnce());
    // One failed flush must not stop the ones queued after it.
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stops the timer and writes what is left, waiting at most `timeoutMs` for Redis. What it
   * could not write is counted as dropped. Does not close the Redis connection (the caller's).
   */
  async close(timeoutMs = 5_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    const written = await Promise.race([this.flush().then(() => true as const), timedOut]);
    clearTimeout(timer);
    if (!written || this.pending.length > 0) {
      const lost = this.pending.length;
      this.drop(lost);
      this.logger?.warn(
        { component: 'invocation-recorder', dropped: lost, droppedTotal: this.droppedTotal, writeInFlight: !written },
        written ? 'invocation records not written at close: Redis did not take them' : `invocation records may be lost at close: Redis did not answer within ${timeoutMs} ms`,
      );
    }
  }

  private onTick(): void {
    if (this.flushing || Date.now() < this.retryAt) return;
    if (this.pending.length === 0 && this.droppedUnreported === 0) return;
    void this.flush();
  }

  private drop(count: number): void {
    const dropped = this.pending.dropOldest(count, (captured) => this.failWaiter(captured, 'the record buffer overflowed'));
    this.droppedTotal += dropped;
    this.droppedUnreported += dropped;
  }

  /** Tells a recordDurably() caller its record will not be written. */
  private failWaiter(captured: CapturedInvocation, why: string): void {
    const waiter = this.waiters.get(captured);
    if (waiter === undefined) return;
    this.waiters.delete(captured);
    waiter.reject(new IsolaError('NOT_READY', `the invocation record was not written: ${why}`));
  }

  private async flushOnce(): Promise<void> {
    const batch = this.prepare(this.pending.takeAll());
    let failure: unknown;
    let partialFailure: unknown;
    if (batch.length > 0) {
      this.flushing = true;
      try {
        const pipeline = this.redis.pipeline();
        queueBatchWrites(pipeline, batch, { ttlSeconds: this.ttlSeconds, maxPerFunction: this.maxPerFunction }, Date.now());
        const results = (await pipeline.exec()) ?? [];
        const errors = results.filter(([error]) => error !== null).map(([error]) => error);
        if (results.length === 0 || errors.length === results.length) failure = errors[0] ?? new Error('Redis did not run the pipeline');
        else if (errors.length > 0) partialFailure = errors[0];
      } catch (error) {
        failure = error;
      } finally {
        this.flushing = false;
      }
    }
    const durable = new Set<CapturedInvocation>();
    for (const { captured } of batch) {
      const waiter = this.waiters.get(captured);
      if (waiter === undefined) continue;
      durable.add(captured);
      this.waiters.delete(captured);
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
    if (failure !== undefined) {
      // Keep the batch ahead of what arrived meanwhile; the oldest go first when over the cap.
      // Durable records are not kept: their writers were told, and try again on their own.
      this.pending.unshiftAll(batch.map((prepared) => prepared.captured).filter((captured) => !durable.has(captured)));
      if (this.pending.length > this.maxBuffered) this.drop(this.pending.length - this.maxBuffered);
      this.failures += 1;
      this.retryAt = Date.now() + Math.min(maxRetryDelayMs, this.flushIntervalMs * 2 ** this.failures);
    } else {
      this.failures = 0;
      this.retryAt = 0;
    }
    this.warnOnce(failure ?? partialFailure, failure !== undefined);
  }

  /** Serializes each record now, so one that cannot be serialized is dropped alone. */
  private prepare(batch: CapturedInvocation[]): PreparedInvocation[] {
    const prepared: PreparedInvocation[] = [];
    for (const captured of batch) {
      try {
        prepared.push({ captured, recordJson: serializeInvocationRecord(buildInvocationRecord(captured)) });
      } catch {
        this.failWaiter(captured, 'it could not be serialized');
        this.droppedTotal += 1;
        this.droppedUnreported += 1;
      }
    }
    return prepared;
  }

  private warnOnce(error: unknown, batchKept: boolean): void {
    if (error === undefined && this.droppedUnreported === 0) return;
    const message =
      error === undefined
        ? 'invocation records dropped'
        : batchKept
          ? 'invocation records not written: Redis failed; they stay buffered and are tried again'
          : 'invocation records partly written: Redis rejected some commands';
    this.logger?.warn(
      { component: 'invocation-recorder', err: error, dropped: this.droppedUnreported, droppedTotal: this.droppedTotal, buffered: this.pending.length },
      message,
    );
    this.droppedUnreported = 0;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new IsolaError('INTERNAL', `InvocationRecorder: ${name} must be a positive integer, got ${value}`);
  return value;
}
