// The message trigger of a local run: what the platform's topic consumers do with BullMQ, done
// over the in-memory topics. Messages published to a topic a local function consumes (`queues:`)
// are gathered into batches (batchSize, maxBatchWaitMs) for its queue(); each message is then
// settled by the handler's decision: a retried one comes back after its delay (or the back-off),
// one delivered maxRetries + 1 times goes to its deadLetter topic, or is dropped with a warning.
import { backoffDelayMs, messagePayloadOf, type CloudEvent, type InvocationOutcome, type Manifest, type MessageDecision } from '@isola/core';
import type { MemoryBackends } from '@isola/sidecar';
import type { InvocationReport, LocalFunction } from './local-function.js';

type ConsumerConfig = Manifest['queues'][number];

/** A message on its way to a consumer. */
export interface Delivery {
  event: CloudEvent;
  /** Deliveries made so far (0: never delivered). */
  deliveries: number;
  /** Epoch ms: when it was published (its timestamp when the event has no time). */
  publishedAt: number;
}

/** Where the trigger finds topics and their consumers. */
export interface MessageHost {
  memory: MemoryBackends;
  consumerOf(topic: string): { fn: LocalFunction; config: ConsumerConfig } | null;
}

/** The retry timing of messages: the message job's default (a message has no async.backoff of its own). */
const messageBackoff = { baseMs: 1_000, maxMs: 60_000 };

export class LocalMessageTrigger {
  private readonly waiting = new Map<string, { deliveries: Delivery[]; timer: NodeJS.Timeout | null }>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private running = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly host: MessageHost,
    private readonly warn: (message: string) => void,
  ) {
    this.unsubscribe = host.memory.topics.subscribe((topic, events) => {
      if (host.consumerOf(topic) === null) return;
      for (const event of events) this.enqueue(topic, { event, deliveries: 0, publishedAt: Date.now() });
    });
  }

  /**
   * Delivers messages to the topic's consumer now, as one batch (no waiting for a full one), and
   * settles them as the platform would: retried ones come back later. Returns what the batch did.
   */
  async deliver(topic: string, deliveries: Delivery[]): Promise<{ report: InvocationReport; decisions: MessageDecision[] }> {
    const consumer = this.host.consumerOf(topic);
    if (consumer === null) throw new Error(`no local function consumes topic "${topic}"`);
    this.running += 1;
    try {
      const messages = deliveries.map((delivery) => messagePayloadOf(delivery.event, delivery.deliveries + 1, delivery.publishedAt));
      const report = await consumer.fn.queue({ queue: topic, messages });
      const { outcome } = report;
      // The handler never finished (timeout, crash): every message is tried again.
      const decisions: MessageDecision[] =
        outcome.decisions !== undefined && outcome.decisions.length === deliveries.length ? outcome.decisions : deliveries.map(({ event }) => ({ id: event.id, action: 'retry' }));
      deliveries.forEach((delivery, index) => this.settle(topic, consumer.config, delivery, decisions[index] as MessageDecision, outcome));
      return { report, decisions };
    } finally {
      this.running -= 1;
      this.checkIdle();
    }
  }

  /** Resolves once no message is waiting for its batch, being handled, or waiting to be retried. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.unsubscribe();
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    for (const waiting of this.waiting.values()) if (waiting.timer !== null) clearTimeout(waiting.timer);
    this.waiting.clear();
    this.checkIdle();
  }

  private enqueue(topic: string, delivery: Delivery): void {
    const consumer = this.host.consumerOf(topic);
    if (consumer === null) {
      this.warn(`message ${delivery.event.id} of topic "${topic}" is dropped: no local function consumes the topic any more`);
      return;
    }
    let waiting = this.waiting.get(topic);
    if (waiting === undefined) {
      waiting = { deliveries: [], timer: null };
      this.waiting.set(topic, waiting);
    }
    waiting.deliveries.push(delivery);
    if (waiting.deliveries.length >= consumer.config.batchSize) this.flush(topic);
    else waiting.timer ??= setTimeout(() => this.flush(topic), consumer.config.maxBatchWaitMs);
  }

  private flush(topic: string): void {
    const waiting = this.waiting.get(topic);
    if (waiting === undefined) return;
    if (waiting.timer !== null) clearTimeout(waiting.timer);
    this.waiting.delete(topic);
    const batchSize = this.host.consumerOf(topic)?.config.batchSize ?? waiting.deliveries.length;
    for (let start = 0; start < waiting.deliveries.length; start += batchSize) {
      const batch = waiting.deliveries.slice(start, start + batchSize);
      this.deliver(topic, batch).catch((error: unknown) => this.warn(`messages of topic "${topic}" could not be delivered: ${(error as Error).message}`));
    }
  }

  private settle(topic: string, config: ConsumerConfig, delivery: Delivery, decision: MessageDecision, outcome: InvocationOutcome): void {
    if (decision.action === 'ack') return;
    const deliveries = delivery.deliveries + 1;
    if (deliveries <= config.maxRetries) {
      const delayMs = decision.delaySeconds === undefined ? backoffDelayMs(deliveries, messageBackoff) : decision.delaySeconds * 1000;
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.enqueue(topic, { ...delivery, deliveries });
        this.checkIdle();
      }, delayMs);
      this.retries.add(timer);
      return;
    }
    const why = outcome.ok ? 'the consumer asked to retry it' : `${outcome.error.code}: ${outcome.error.message}`;
    if (config.deadLetter !== undefined) {
      this.warn(`message ${delivery.event.id} of topic "${topic}" moved to its dead-letter topic "${config.deadLetter}" after ${deliveries} deliveries (last: ${why})`);
      this.host.memory.topics.publish(config.deadLetter, [delivery.event]);
      return;
    }
    this.warn(`message ${delivery.event.id} of topic "${topic}" is a dead letter after ${deliveries} deliveries (maxRetries ${config.maxRetries}; last: ${why}); it is dropped (add deadLetter: to its queues entry to keep such messages)`);
  }

  private isIdle(): boolean {
    return this.waiting.size === 0 && this.running === 0 && this.retries.size === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
