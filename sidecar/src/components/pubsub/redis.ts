import { QueueClient, type CloudEvent } from '@isola/core';
import type { Redis } from 'ioredis';
import type { PubSub } from './pubsub.js';

/**
 * `pubsub.redis`: publishes into the platform's topic queues (BullMQ on Redis), exactly as
 * `POST /api/v1/topics/{topic}/messages` does, so the message trigger delivers the events to the
 * function whose `queues:` consume the topic. Pointed at another Redis, the events wait there
 * for a platform using that Redis.
 */
export class RedisPubSub implements PubSub {
  private readonly queues: QueueClient;

  constructor(redis: Redis, addTimeoutMs: number) {
    this.queues = new QueueClient(redis, { addTimeoutMs });
  }

  async publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    await this.queues.publish(topic, events);
  }

  async close(): Promise<void> {
    await this.queues.close();
  }
}
