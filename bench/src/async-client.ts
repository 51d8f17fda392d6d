/**
 * The client side of the async benchmark, forked by async.ts: a process of its own, so the load
 * competes with what it measures for the cores as any client on this machine would, and never
 * runs on the event loop of what it measures. It submits no-op jobs (raw BullMQ `Queue.add`, or
 * Isola's HTTP async trigger) and watches the queue for their completion, over connections of
 * its own: one to submit, one to read counts (BullMQ), one to check results (plain commands),
 * one (while measuring latency) blocking on the queue's event stream.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { AsyncClientConfig, AsyncCommand, AsyncReply, BurstCheck, BurstTiming, SequentialResult } from './async-messages.js';

const config = JSON.parse(process.argv[2] ?? '') as AsyncClientConfig;
const redisAddress = new URL(config.redisUrl);
const connection = (): ConnectionOptions => ({ host: redisAddress.hostname, port: Number(redisAddress.port), maxRetriesPerRequest: null });

interface Submitter {
  /** Submits one no-op job; resolves with its id once the platform (or Redis) took it. */
  submit(): Promise<string>;
  close(): Promise<void>;
}

/** Raw BullMQ: `Queue.add` on the client's own connection, with the job options Isola uses. */
function bullmqSubmitter(): Submitter {
  const queue = new Queue(config.queue.name, { connection: connection(), prefix: config.queue.prefix });
  const run = randomBytes(4).toString('hex');
  let sequence = 0;
  return {
    async submit() {
      sequence += 1;
      // A custom id, as Isola's (its invocation id), so each job can be checked by id.
      const id = `raw.${run}.${sequence}`;
      await queue.add(
        'noop',
        { sequence },
        { jobId: id, attempts: config.rawJobAttempts, backoff: { type: 'fixed', delay: 1_000 }, removeOnComplete: { age: config.keepCompletedSeconds }, removeOnFail: false },
      );
      return id;
    },
    close: () => queue.close(),
  };
}

/** Isola: `POST` to the async trigger over keep-alive connections; the 202's body names the invocation. */
function httpSubmitter(url: string, headers: Record<string, string>): Submitter {
  const agent = new Agent({ keepAlive: true, maxSockets: config.inFlight });
  const target = new URL(url);
  return {
    submit: () =>
      new Promise<string>((resolve, reject) => {
        const outgoing = request(target, { method: 'POST', agent, headers: { ...headers, 'content-length': '0' } }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 202) {
              reject(new Error(`POST ${target.pathname} answered ${response.statusCode}: ${body.slice(0, 300)}`));
              return;
            }
            const id = (JSON.parse(body) as { invocationId?: unknown }).invocationId;
            if (typeof id === 'string') resolve(id);
            else reject(new Error(`POST ${target.pathname} answered 202 without an invocationId: ${body.slice(0, 300)}`));
          });
        });
        outgoing.on('error', reject);
        outgoing.end();
      }),
    close: async () => agent.destroy(),
  };
}

/**
 * Waits for single jobs' completion events (BullMQ QueueEvents on the queue's event stream). An
 * event may arrive before the submitter learns its id (the 202 still on its way), so events
 * nobody waits for yet are kept.
 */
class CompletionWatcher {
  private readonly waiting = new Map<string, { resolve: () => void; reject: (error: Error) => void }>();
  private readonly early = new Map<string, string | null>();

  private constructor(private readonly events: QueueEvents) {
    events.on('completed', ({ jobId }) => this.settle(jobId, null));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, failedReason || 'failed'));
  }

  /** Starts reading after the stream's newest entry, so no event from now on is missed. */
  static async start(observer: Queue): Promise<CompletionWatcher> {
    const newest = await commands.xrevrange(observer.keys.events ?? '', '+', '-', 'COUNT', 1);
    const events = new QueueEvents(config.queue.name, { connection: connection(), prefix: config.queue.prefix, lastEventId: newest[0]?.[0] ?? '0-0' });
    await events.waitUntilReady();
    return new CompletionWatcher(events);
  }

  wait(id: string): Promise<void> {
    if (this.early.has(id)) {
      const failure = this.early.get(id);
      this.early.delete(id);
      return failure === null ? Promise.resolve() : Promise.reject(new Error(`job ${id} failed: ${failure}`));
    }
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`job ${id} did not complete within ${config.timeoutMs} ms`));
      }, config.timeoutMs);
      this.waiting.set(id, {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  close(): Promise<void> {
    return this.events.close();
  }

  private settle(id: string, failure: string | null): void {
    const waiter = this.waiting.get(id);
    if (waiter === undefined) {
      this.early.set(id, failure);
      return;
    }
    this.waiting.delete(id);
    if (failure === null) waiter.resolve();
    else waiter.reject(new Error(`job ${id} failed: ${failure}`));
  }
}

const submitter = config.target.kind === 'bullmq' ? bullmqSubmitter() : httpSubmitter(config.target.url, config.target.headers);
const observer = new Queue(config.queue.name, { connection: connection(), prefix: config.queue.prefix });
const commands = new Redis(config.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });

/** Submit, wait for that job's completion event, next: latency at the lowest load. */
async function sequential(count: number): Promise<SequentialResult> {
  const watcher = await CompletionWatcher.start(observer);
  const result: SequentialResult = { latenciesMs: [], submitMs: [] };
  try {
    for (let index = 0; index < count; index += 1) {
      const started = performance.now();
      const id = await submitter.submit();
      result.submitMs.push(performance.now() - started);
      await watcher.wait(id);
      result.latenciesMs.push(performance.now() - started);
    }
  } finally {
    await watcher.close();
  }
  return result;
}

/** How often a burst reads the queue's completed and failed counts. */
const pollIntervalMs = 2;

/**
 * `count` submissions with `inFlight` at a time, while the sizes of the queue's completed and
 * failed sets are polled every `pollIntervalMs` (two ZCARDs in one round trip: cheaper for the
 * client and Redis than reading every event, and nothing to lose if it falls behind). The ids
 * are kept for `check`.
 */
async function burst(count: number): Promise<BurstTiming> {
  const completedKey = observer.keys.completed ?? '';
  const failedKey = observer.keys.failed ?? '';
  const finished = async () => {
    const [completed, failed] = ((await commands.pipeline().zcard(completedKey).zcard(failedKey).exec()) ?? []).map(([error, value]) => {
      if (error !== null) throw error;
      return Number(value);
    });
    return { completed: completed ?? 0, failed: failed ?? 0 };
  };
  const before = await finished();
  const ids: string[] = [];
  lastBurstIds = ids;
  let next = 0;
  let failure: unknown = null;
  let submittedAt = Number.NaN;
  const started = performance.now();
  const lane = async () => {
    while (next < count && failure === null) {
      next += 1;
      ids.push(await submitter.submit());
    }
  };
  const submitting = Promise.all(Array.from({ length: Math.min(config.inFlight, count) }, lane)).then(
    () => void (submittedAt = performance.now()),
    (error: unknown) => void (failure = error),
  );
  let doneAt: number;
  let after: { completed: number; failed: number };
  for (;;) {
    if (failure !== null) throw failure;
    after = await finished();
    if (after.completed - before.completed + after.failed - before.failed >= count) {
      doneAt = performance.now();
      break;
    }
    if (performance.now() - started > config.timeoutMs) {
      throw new Error(`after ${config.timeoutMs} ms only ${after.completed - before.completed} of ${count} jobs completed (${ids.length} submitted)`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  await submitting;
  if (failure !== null) throw failure;

  return { count, submitSeconds: (submittedAt - started) / 1000, seconds: (doneAt - started) / 1000, failed: after.failed - before.failed };
}

let lastBurstIds: readonly string[] = [];

/** Looks every id of the last burst up in the completed set, and for Isola its record in Redis. */
async function check(): Promise<BurstCheck> {
  const completed = new Set(await observer.getRanges(['completed'], 0, -1));
  return {
    completedIds: lastBurstIds.filter((id) => completed.has(id)).length,
    succeededRecords: config.recordKeyPrefix === null ? null : await succeededRecords(config.recordKeyPrefix, lastBurstIds),
  };
}

/** How many of the ids have an invocation record in Redis whose status is `succeeded`. */
async function succeededRecords(prefix: string, ids: readonly string[]): Promise<number> {
  let succeeded = 0;
  for (let from = 0; from < ids.length; from += 1_000) {
    const pipeline = commands.pipeline();
    for (const id of ids.slice(from, from + 1_000)) pipeline.get(`${prefix}${id}`);
    for (const [error, value] of (await pipeline.exec()) ?? []) {
      if (error === null && typeof value === 'string' && (JSON.parse(value) as { status?: unknown }).status === 'succeeded') succeeded += 1;
    }
  }
  return succeeded;
}

function reply(message: AsyncReply): void {
  process.send?.(message);
}

async function handle(command: AsyncCommand): Promise<void> {
  try {
    if (command.type === 'sequential') reply({ type: 'sequential-done', requestId: command.requestId, result: await sequential(command.count) });
    else if (command.type === 'burst') reply({ type: 'burst-done', requestId: command.requestId, result: await burst(command.count) });
    else reply({ type: 'check-done', requestId: command.requestId, result: await check() });
  } catch (error) {
    reply({ type: 'failed', requestId: command.requestId, message: error instanceof Error ? error.message : String(error) });
  }
}

process.on('message', (command: AsyncCommand) => void handle(command));
process.on('disconnect', () => {
  void Promise.allSettled([submitter.close(), observer.close(), commands.quit()]).then(() => process.exit(0));
});
try {
  await Promise.all([observer.waitUntilReady(), commands.connect()]);
  reply({ type: 'ready' });
} catch (error) {
  reply({ type: 'failed', requestId: null, message: `cannot reach Redis at ${config.redisUrl}: ${(error as Error).message}` });
  process.disconnect();
}
