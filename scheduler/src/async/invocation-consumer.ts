import { DelayedError, UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  attemptOf,
  backoffDelayMs,
  captureInvocation,
  functionQueueName,
  HandBack,
  HandBackSwitch,
  queueRefOfName,
  redisKeys,
  RetryLaterError,
  refusalDelayMs,
  wasRefused,
  type ErrorCode,
  type FunctionEvent,
  type InvocationAttempt,
  type InvocationJobData,
  type InvocationOutcome,
  type InvocationRecorder,
  type InvocationRequest,
  type Invoker,
  type Logger,
  type QueueWorkerSet,
} from '@isola/core';
import type { SlotGate } from './slot-gate.js';

export interface InvocationConsumerOptions {
  invoker: Invoker;
  recorder: InvocationRecorder;
  workers: QueueWorkerSet;
  /** For discovering function queues (SMEMBERS); a normal command connection. */
  redis: Redis;
  logger: Logger;
  /** Bounds the async invocations this host runs at once (over all functions and topics). */
  gate: SlotGate;
  /** Jobs each function queue's worker takes at once (they then wait at the gate). */
  concurrency: number;
  /** Awaited for every invocation that reached its final state, before its job ends (completion callbacks). */
  onFinal?: (data: InvocationJobData, outcome: InvocationOutcome) => Promise<void>;
}

/** What a completed job keeps as its BullMQ return value: small, the record has the rest. */
export interface InvocationJobResult {
  status: number;
  workerId: string;
}

/** Errors that another try cannot fix: the invocation fails at once. */
const finalErrors = new Set<ErrorCode>(['FUNCTION_HANDLER_MISSING', 'FUNCTION_NOT_FOUND', 'BAD_REQUEST', 'PAYLOAD_TOO_LARGE', 'FUNCTION_RESPONSE_TOO_LARGE']);

/**
 * Runs the async invocations of every function queue (`fn.<name>`) on this worker host: takes a
 * job, passes the host's async gate, runs it through the local scheduler (warm placement,
 * quarantine), records the try, and either completes the job, or fails it so BullMQ retries it
 * after the function's back-off — its last try leaves it in the failed set, the dead letters.
 *
 * The try's record is stored before the job completes or fails, so an invocation is never
 * finished in the queue but unfinished in its record. A host that dies mid-try leaves the job
 * locked until the lock expires; another host then runs it again and records the lost try as
 * WORKER_LOST (at least once).
 */
export class InvocationConsumer {
  private readonly gate: SlotGate;
  /** When the host stops: waiting jobs go back at once, running ones when the drain time is up. */
  private readonly stopping = new HandBackSwitch();

  constructor(private readonly options: InvocationConsumerOptions) {
    this.gate = options.gate;
  }

  /**
   * The host is stopping: jobs waiting for a slot return to the queue at once, first in line,
   * and are run by another host (the try does not count). Call `handBackRunning()` when the
   * drain time is up.
   */
  handBackWaiting(): void {
    this.stopping.handBackWaiting();
  }

  /**
   * Jobs still running go back to the queue; their invocations go on here until the host stops,
   * but their outcome is dropped, and the next try records this one as WORKER_LOST.
   */
  handBackRunning(): void {
    this.stopping.handBackRunning();
  }

  /** Consumes every function queue that exists now; later ones arrive as events (onEvent). */
  async start(): Promise<void> {
    const names = await this.options.redis.smembers(redisKeys.queueNames);
    for (const name of names) if (queueRefOfName(name)?.kind === 'function') this.consume(name);
  }

  /** Follows queue and function events (wire to FunctionStore.subscribe). */
  onEvent(event: FunctionEvent): void {
    if (event.type === 'queue' && queueRefOfName(event.queue)?.kind === 'function') this.consume(event.queue);
    if (event.type === 'deleted') void this.options.workers.remove(functionQueueName(event.name));
  }

  get inFlight(): number {
    return this.gate.inUse;
  }

  private consume(name: string): void {
    this.options.workers.ensure<InvocationJobData, InvocationJobResult>(name, (job, token) => this.process(job, token), this.options.concurrency);
  }

  private async process(job: Job<InvocationJobData, InvocationJobResult>, token?: string): Promise<InvocationJobResult> {
    const data = job.data;
    const maxAttempts = job.opts.attempts ?? 1;
    const lost = lostAttempts(job, data);
    const previous = [...(data.attempts ?? []), ...lost];
    // Numbered over the invocation's whole life; the tries left count from the last redrive.
    const attempt = previous.length + 1;
    const lastTry = job.attemptsMade + 1 >= maxAttempts;
    const request = invocationRequestOf(data);
    let release: () => void;
    try {
      release = await this.gate.acquire(this.stopping.waiting);
    } catch (error) {
      if (!(error instanceof HandBack)) throw error;
      // Never started: counted apart so the next try does not take it for a lost one.
      await job.updateData({ ...data, notRun: (data.notRun ?? 0) + 1 });
      return this.handBack(job, token);
    }
    const attemptStartedAt = Date.now();
    let outcome: InvocationOutcome | HandBack;
    try {
      if (this.stopping.runningGone) {
        // Got its slot after the drain time was up: never started.
        await job.updateData({ ...data, notRun: (data.notRun ?? 0) + 1 });
        return await this.handBack(job, token);
      }
      outcome = await this.stopping.race(this.options.invoker.invoke(request));
    } finally {
      release();
    }
    if (outcome instanceof HandBack) return this.handBack(job, token);
    // Refused before it ran (the function's maxInFlight or rateLimit, or a saturated node): not
    // a try; the job waits as long as the refusal says and is taken again.
    if (wasRefused(outcome)) {
      await job.updateData({ ...data, notRun: (data.notRun ?? 0) + 1 });
      await job.moveToDelayed(Date.now() + refusalDelayMs(outcome), token);
      throw new DelayedError();
    }
    const failedFinally = !outcome.ok && (finalErrors.has(outcome.error.code) || outcome.noRetry === true || lastTry);
    const status = outcome.ok ? 'succeeded' : failedFinally ? 'failed' : 'retrying';
    const retryDelayMs = status === 'retrying' ? backoffDelayMs(attempt, data.backoff) : undefined;
    const now = Date.now();
    const input = {
      request,
      outcome,
      trigger: data.trigger,
      elapsedMs: now - data.submittedAt,
      startedAt: data.submittedAt,
      lifecycle: {
        status,
        attempt,
        maxAttempts,
        submittedAt: data.submittedAt,
        attemptStartedAt,
        previousAttempts: previous,
        ...(retryDelayMs === undefined ? {} : { nextAttemptAt: now + retryDelayMs }),
      },
    } as const;
    await this.options.recorder.recordDurably(input);

    if (outcome.ok) {
      await this.options.onFinal?.(data, outcome);
      return { status: outcome.response.status, workerId: outcome.workerId };
    }
    const message = `${outcome.error.code}: ${outcome.error.message}`;
    // The job keeps its history, so a redriven dead letter's record shows every try.
    const tried = attemptOf(captureInvocation(input, now));
    await job.updateData({ ...data, attempts: [...previous, ...(tried === undefined ? [] : [tried])], lostRecorded: (data.lostRecorded ?? 0) + lost.length });
    if (status === 'failed') {
      await this.options.onFinal?.(data, outcome);
      this.options.logger.warn({ function: data.function.name, invocationId: data.invocationId, attempts: attempt, error: outcome.error }, 'async invocation failed: dead letter');
      // Tries may remain (a final error code): BullMQ must not use them.
      throw new UnrecoverableError(message);
    }
    throw new RetryLaterError(message, retryDelayMs ?? 0);
  }

  /** Returns the job to the front of its queue for another host; BullMQ then leaves it alone. */
  private async handBack(job: Job<InvocationJobData, InvocationJobResult>, token: string | undefined): Promise<never> {
    await job.moveToWait(token);
    this.options.logger.info({ function: job.data.function.name, invocationId: job.data.invocationId }, 'async invocation handed back to its queue: this host is stopping');
    throw new WaitingError();
  }
}



/**
 * Tries that started but never ended because their worker host died: BullMQ counts each start
 * (`attemptsStarted`, this one included) but only failed tries in `attemptsMade`; starts
 * handed back before they ran (`notRun`) are not tries at all.
 */
function lostAttempts(job: Job, data: InvocationJobData): InvocationAttempt[] {
  const recorded = data.attempts?.length ?? 0;
  const lost = Math.max(0, job.attemptsStarted - 1 - job.attemptsMade - (data.lostRecorded ?? 0) - (data.notRun ?? 0));
  const at = new Date(job.processedOn ?? Date.now()).toISOString();
  return Array.from({ length: lost }, (_unused, index) => ({
    attempt: recorded + index + 1,
    startedAt: at,
    durationMs: 0,
    status: 'failed' as const,
    error: { code: 'WORKER_LOST', message: 'the worker host running this try stopped before it finished; the invocation was run again' },
  }));
}

/** The invocation a job describes, ready for the scheduler. */
export function invocationRequestOf(data: InvocationJobData): InvocationRequest {
  const base = { invocationId: data.invocationId, function: data.function, limits: data.limits };
  if (data.scheduled !== undefined) return { ...base, trigger: 'scheduled', scheduled: data.scheduled };
  const stored = data.request ?? { method: 'POST', url: `http://isola.invalid/fn/${data.function.name}/`, headers: [] };
  return {
    ...base,
    trigger: 'http',
    request: {
      method: stored.method,
      url: stored.url,
      headers: stored.headers,
      ...(stored.bodyBase64 === undefined ? {} : { body: Buffer.from(stored.bodyBase64, 'base64') }),
    },
  };
}
