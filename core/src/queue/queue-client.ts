import { createHash } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import { redisKeys } from '../store/keys.js';
import type { CloudEvent } from './cloud-events.js';
import { invocationJobName, messageJobName, type InvocationJobData, type MessageJobData } from './jobs.js';
import { functionQueueName, queuePrefix, topicQueueName } from './names.js';

export interface QueueClientOptions {
  /** How long an add may wait for Redis before the submission is refused (503). Default 2,000. */
  addTimeoutMs?: number;
  /** How stale a queue depth may be when checked against a limit. Default 100. */
  depthCacheMs?: number;
}

/** Jobs of one queue by state, as `GET /api/v1/queues` shows them. */
export interface QueueCounts {
  waiting: number;
  active: number;
  delayed: number;
  /** Final failures kept as dead letters. */
  failed: number;
}

/**
 * Completed jobs stay this long: long enough that a cron tick's job id still exists when a
 * replica with a late clock tries to add it again, and that a message published twice with one
 * id is taken once.
 */
const keepCompletedSeconds = 3600;

/**
 * The producer side of Isola's BullMQ queues, shared by every role that enqueues: the gateway
 * (async invocations, published messages), the cron trigger and the queues API. Failed jobs are
 * never removed by BullMQ: they are the dead letters, until redriven or the function is deleted.
 */
export class QueueClient {
  private readonly queues = new Map<string, Queue>();
  private readonly announced = new Set<string>();
  private readonly depths = new Map<string, { value: number; at: number; refreshing: Promise<number> | null }>();
  private readonly addTimeoutMs: number;
  private readonly depthCacheMs: number;

  constructor(
    private readonly redis: Redis,
    options: QueueClientOptions = {},
  ) {
    this.addTimeoutMs = options.addTimeoutMs ?? 2_000;
    this.depthCacheMs = options.depthCacheMs ?? 100;
  }

  /** The BullMQ queue of that name (one object per name, sharing this client's connection). */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: this.redis, prefix: queuePrefix });
      queue.on('error', () => undefined); // the connection's own listener reports failures
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** Enqueues an async invocation (or cron tick) of a function; the job id is the invocation id. */
  async submitInvocation(data: InvocationJobData, attempts: number, jobId = data.invocationId, options: JobsOptions = {}): Promise<void> {
    const name = functionQueueName(data.function.name);
    await this.withinTimeout(this.announce(name), name);
    await this.withinTimeout(
      this.queue(name).add(invocationJobName, data, {
        jobId,
        attempts,
        backoff: { type: 'isola' },
        removeOnComplete: { age: keepCompletedSeconds },
        removeOnFail: false,
        ...options,
      }),
      name,
    );
  }

  /**
   * Publishes events to a topic's queue in one call. The job id derives from each event's
   * source and id, so an event published twice is delivered once. Retries are counted by the
   * consumer (it knows `maxRetries`), so BullMQ is given room for them.
   */
  async publish(topic: string, events: readonly CloudEvent[]): Promise<string[]> {
    const name = topicQueueName(topic);
    await this.withinTimeout(this.announce(name), name);
    const jobs = events.map((event) => ({
      name: messageJobName,
      data: { event } satisfies MessageJobData,
      opts: { jobId: messageJobId(event), attempts: 1_000, backoff: { type: 'isola' }, removeOnComplete: { age: keepCompletedSeconds }, removeOnFail: false },
    }));
    await this.withinTimeout(this.queue(name).addBulk(jobs), name);
    return jobs.map((job) => job.opts.jobId);
  }

  /** Jobs waiting to run (waiting, delayed, prioritized), at most `depthCacheMs` old. */
  async depth(name: string): Promise<number> {
    const now = Date.now();
    const cached = this.depths.get(name);
    if (cached !== undefined && now - cached.at < this.depthCacheMs) return cached.value;
    if (cached?.refreshing) return cached.value;
    const entry = cached ?? { value: 0, at: 0, refreshing: null };
    this.depths.set(name, entry);
    entry.refreshing = this.queue(name)
      .getJobCountByTypes('waiting', 'delayed', 'prioritized', 'waiting-children')
      .then((value) => {
        entry.value = value;
        entry.at = Date.now();
        return value;
      })
      .finally(() => {
        entry.refreshing = null;
      });
    // The caller that finds the value too old waits for a fresh one; callers arriving while that
    // refresh runs take the last value (at most one refresh old).
    return entry.refreshing;
  }

  async counts(name: string): Promise<QueueCounts> {
    const counts = await this.queue(name).getJobCounts('waiting', 'prioritized', 'waiting-children', 'active', 'delayed', 'failed');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts['waiting-children'] ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  /** Every queue name Isola has enqueued to (function queues and topics). */
  async knownQueueNames(): Promise<string[]> {
    return (await this.redis.smembers(redisKeys.queueNames)).sort();
  }

  /**
   * Puts up to `limit` dead letters back into the queue with their attempts reset, oldest first.
   * Works on a snapshot of the failed set, so a letter that fails again during the redrive is
   * not taken twice. Returns how many were moved.
   */
  async redrive(name: string, limit: number): Promise<number> {
    const queue = this.queue(name);
    const failed = await queue.getFailed(0, limit - 1);
    let moved = 0;
    for (const job of failed.reverse()) {
      try {
        // BullMQ's counters start over, so must the ones kept beside them (see the consumer's lost tries).
        const data = job.data as { notRun?: number; lostRecorded?: number } | undefined;
        if (data !== undefined && (data.notRun !== undefined || data.lostRecorded !== undefined)) {
          await job.updateData({ ...data, notRun: 0, lostRecorded: 0 });
        }
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
        moved += 1;
      } catch {
        // Redriven or removed meanwhile (another caller): nothing to do.
      }
    }
    return moved;
  }

  /** Removes a queue with every job in it (a deleted function's async queue). */
  async obliterate(name: string): Promise<void> {
    await this.queue(name).obliterate({ force: true });
    await this.redis.srem(redisKeys.queueNames, name);
    this.announced.delete(name);
    await this.queues.get(name)?.close();
    this.queues.delete(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.queues.clear();
  }

  /** Records the queue's name once per process, and tells consumers about a new one. */
  private async announce(name: string): Promise<void> {
    if (this.announced.has(name)) return;
    const added = await this.redis.sadd(redisKeys.queueNames, name);
    if (added === 1) await this.redis.publish(redisKeys.eventsChannel, JSON.stringify({ type: 'queue', queue: name }));
    this.announced.add(name);
  }

  private async withinTimeout<T>(operation: Promise<T>, name: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new IsolaError('NOT_READY', `Redis did not take the job for queue ${name} within ${this.addTimeoutMs} ms; retry (with the same Idempotency-Key, if you sent one)`)),
        this.addTimeoutMs,
      );
    });
    try {
      return await Promise.race([operation, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A BullMQ-safe job id for an event, the same whenever the same event (source + id) is published. */
export function messageJobId(event: CloudEvent): string {
  return `m.${createHash('sha256').update(`${event.source}\n${event.id}`).digest('hex').slice(0, 40)}`;
}
