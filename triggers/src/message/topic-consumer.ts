import { randomUUID } from 'node:crypto';
import { DelayedError, UnrecoverableError, WaitingError } from 'bullmq';
import {
  HandBack,
  HandBackSwitch,
  messagePayloadOf,
  RetryLaterError,
  topicQueueName,
  refusalDelayMs,
  wasRefused,
  type FunctionEvent,
  type FunctionVersion,
  type InvocationOutcome,
  type InvocationRecorder,
  type InvocationRequest,
  type Invoker,
  type Logger,
  type MessageDecision,
  type QueueClient,
  type QueueWorkerSet,
  type FunctionStore,
  type TopicConsumer,
} from '@isola/core';
import { MessageBatcher, type PendingMessage } from './message-batcher.js';

/** Bounds how many async invocations a host runs at once (shared with function queues). */
export interface AsyncGate {
  acquire(signal?: AbortSignal): Promise<() => void>;
}

export interface TopicConsumersOptions {
  store: FunctionStore;
  /** The version a topic's consumer runs now (its `latest`). */
  resolveFunction(name: string): Promise<FunctionVersion | null>;
  invoker: Invoker;
  recorder: InvocationRecorder;
  workers: QueueWorkerSet;
  /** For dead-letter topics. */
  queues: QueueClient;
  gate: AsyncGate;
  logger: Logger;
}

/**
 * The message trigger on a worker host (SPEC §5): for every consumed topic, takes its messages
 * in batches (`batchSize`, `maxBatchWaitMs`) and calls the consumer's `queue(batch)`; then
 * settles each message by the handler's decision. A retried message comes back after its delay
 * (or the back-off); one that was delivered `maxRetries + 1` times goes to the `deadLetter`
 * topic, or stays in the topic's dead letters (`GET /api/v1/queues`).
 */
export class TopicConsumers {
  /** Topic → the consumer config its worker was started with. */
  private readonly running = new Map<string, string>();
  private readonly stopping = new HandBackSwitch();
  private readonly batchers = new Map<string, MessageBatcher>();

  constructor(private readonly options: TopicConsumersOptions) {}

  /** Starts, restarts or stops topic workers to match the consumers recorded in Redis. */
  async sync(): Promise<void> {
    const consumers = await this.options.store.topicConsumers();
    for (const [topic, config] of consumers) {
      const key = JSON.stringify(config);
      if (this.running.get(topic) === key) continue;
      if (this.running.has(topic)) await this.stop(topic);
      this.running.set(topic, key);
      this.start(topic, config);
    }
    for (const topic of [...this.running.keys()]) {
      if (consumers.has(topic)) continue;
      this.running.delete(topic);
      await this.stop(topic);
    }
  }

  /** Stops consuming a topic: its gathered messages are handled now, then its worker closes. */
  private async stop(topic: string): Promise<void> {
    this.batchers.get(topic)?.flushNow();
    this.batchers.delete(topic);
    await this.options.workers.remove(topicQueueName(topic));
  }

  /** The host is stopping: batches waiting for a slot go back to their topics at once. */
  handBackWaiting(): void {
    this.stopping.handBackWaiting();
    for (const batcher of this.batchers.values()) batcher.flushNow();
  }

  /** The drain time is up: batches still running go back too. */
  handBackRunning(): void {
    this.stopping.handBackRunning();
  }

  /** Deploys and deletes change who consumes what. */
  onEvent(event: FunctionEvent): void {
    if (event.type === 'deployed' || event.type === 'deleted') {
      void this.sync().catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not update the topic consumers'));
    }
  }

  private start(topic: string, config: TopicConsumer): void {
    const batcher = new MessageBatcher(config.batchSize, config.maxBatchWaitMs, (batch) => this.runBatch(topic, config, batch));
    this.batchers.set(topic, batcher);
    // Twice the batch size: the next batch fills while one runs.
    this.options.workers.ensure<{ event: never }, void>(topicQueueName(topic), (job, token) => batcher.add(job as never, token), config.batchSize * 2);
  }

  private async runBatch(topic: string, config: TopicConsumer, batch: PendingMessage[]): Promise<void> {
    const fn = await this.options.resolveFunction(config.function);
    if (fn === null) throw new Error(`the consumer "${config.function}" of topic "${topic}" is not deployed`);
    const request: InvocationRequest = {
      invocationId: randomUUID(),
      function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
      limits: fn.manifest.limits,
      trigger: 'queue',
      batch: { queue: topic, messages: batch.map(({ job }) => messagePayloadOf(job.data.event, job.attemptsMade + 1, job.timestamp)) },
    };
    const started = performance.now();
    let release: () => void;
    try {
      release = await this.options.gate.acquire(this.stopping.waiting);
    } catch (error) {
      if (!(error instanceof HandBack)) throw error;
      await settleAll(batch, (message) => message.job.moveToWait(message.token), () => new WaitingError());
      return;
    }
    let outcome: InvocationOutcome | HandBack;
    try {
      outcome = await this.stopping.race(this.options.invoker.invoke(request));
    } finally {
      release();
    }
    if (outcome instanceof HandBack) {
      // The drain time is up: the batch goes back whole (a delivery that may have done its work: at least once).
      await settleAll(batch, (message) => message.job.moveToWait(message.token), () => new WaitingError());
      return;
    }
    if (wasRefused(outcome)) {
      // The consumer's maxInFlight or rateLimit, or a saturated node: not a delivery; the
      // messages wait as long as the refusal says.
      const until = Date.now() + refusalDelayMs(outcome);
      await settleAll(batch, (message) => message.job.moveToDelayed(until, message.token), () => new DelayedError());
      return;
    }
    this.options.recorder.record({ request, outcome, trigger: 'message', elapsedMs: performance.now() - started });
    const decisions = decisionsOf(outcome, batch);
    await Promise.all(batch.map((message, index) => this.settle(topic, config, message, decisions[index] ?? { id: '', action: 'retry' }, outcome)));
  }

  private async settle(topic: string, config: TopicConsumer, message: PendingMessage, decision: MessageDecision, outcome: InvocationOutcome): Promise<void> {
    if (decision.action === 'ack') {
      message.resolve();
      return;
    }
    const deliveries = message.job.attemptsMade + 1;
    const why = outcome.ok ? 'the consumer asked to retry it' : `${outcome.error.code}: ${outcome.error.message}`;
    if (deliveries <= config.maxRetries) {
      const delayMs = decision.delaySeconds === undefined ? undefined : decision.delaySeconds * 1000;
      message.reject(delayMs === undefined ? new Error(why) : new RetryLaterError(why, delayMs));
      return;
    }
    if (config.deadLetter !== undefined) {
      try {
        await this.options.queues.publish(config.deadLetter, [message.job.data.event]);
      } catch (error) {
        // Not moved yet: try the message again, it will be moved next time.
        message.reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      this.options.logger.warn({ topic, deadLetter: config.deadLetter, messageId: message.job.data.event.id, deliveries }, 'message moved to its dead-letter topic');
      message.resolve();
      return;
    }
    this.options.logger.warn({ topic, messageId: message.job.data.event.id, deliveries }, 'message is a dead letter');
    message.reject(new UnrecoverableError(`delivered ${deliveries} times (maxRetries ${config.maxRetries}); last: ${why}`));
  }
}

/** The decision for each message: the handler's, or retry for all when it never finished. */
function decisionsOf(outcome: InvocationOutcome, batch: readonly PendingMessage[]): MessageDecision[] {
  if (outcome.decisions !== undefined && outcome.decisions.length === batch.length) return outcome.decisions;
  return batch.map(({ job }) => ({ id: job.data.event.id, action: 'retry' }));
}

/** Moves every message of a batch back (`move`), then ends its processor with the error BullMQ expects after such a move. */
async function settleAll(batch: readonly PendingMessage[], move: (message: PendingMessage) => Promise<unknown>, ended: () => Error): Promise<void> {
  await Promise.all(
    batch.map(async (message) => {
      try {
        await move(message);
        message.reject(ended());
      } catch (error) {
        message.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }),
  );
}
