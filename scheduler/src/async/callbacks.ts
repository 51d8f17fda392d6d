import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisKeys, type InvocationJobData, type Logger, type QueueClient, type QueueWorkerSet } from '@isola/core';

/** The queue of completion callbacks (not a function's or a topic's, so the queues API leaves it out). */
export const callbackQueueName = 'isola.callbacks';

interface CallbackJobData {
  invocationId: string;
  url: string;
  backoff: { baseMs: number; maxMs: number };
}

export interface CallbackSenderOptions {
  queues: QueueClient;
  workers: QueueWorkerSet;
  /** Reads the invocation's record, which is what the callback carries. */
  redis: Redis;
  logger: Logger;
  /** Per delivery try. Default 10,000. */
  timeoutMs?: number;
  /** Tries per callback. Default 6 (about a minute of back-off). */
  attempts?: number;
}

/**
 * Completion callbacks (`X-Isola-Callback-Url`): once an async invocation reached its final
 * state, its record is POSTed as JSON to the URL the caller gave (its host was checked against
 * ISOLA_CALLBACK_ALLOWED_HOSTS when the invocation was accepted). Delivery is a job of its own,
 * so it survives restarts and is retried with back-off; a 2xx answer ends it, redirects are
 * not followed.
 */
export class CallbackSender {
  constructor(private readonly options: CallbackSenderOptions) {}

  start(): void {
    this.options.workers.ensure<CallbackJobData, void>(callbackQueueName, (job) => this.deliver(job), 8);
  }

  /** Stores the callback of an invocation that just reached its final state. */
  async enqueue(data: InvocationJobData): Promise<void> {
    if (data.callbackUrl === undefined) return;
    const job: CallbackJobData = { invocationId: data.invocationId, url: data.callbackUrl, backoff: { baseMs: 1_000, maxMs: 30_000 } };
    await this.options.queues.queue(callbackQueueName).add('callback', job, {
      jobId: `cb.${data.invocationId}`,
      attempts: this.options.attempts ?? 6,
      backoff: { type: 'isola' },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 86_400 },
    });
  }

  private async deliver(job: Job<CallbackJobData>): Promise<void> {
    const { invocationId, url } = job.data;
    const record = await this.options.redis.get(redisKeys.invocationRecord(invocationId));
    if (record === null) throw new Error(`the record of invocation ${invocationId} is gone (expired?); nothing to send`);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-isola-invocation-id': invocationId, 'user-agent': 'isola-callback/1' },
      body: record,
      redirect: 'manual',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    await response.body?.cancel();
    if (response.status < 200 || response.status > 299) {
      this.options.logger.warn({ invocationId, url, status: response.status, attempt: job.attemptsMade + 1 }, 'completion callback refused; will retry');
      throw new Error(`the callback URL answered ${response.status}`);
    }
  }
}
