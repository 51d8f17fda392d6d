import type { CloudEvent } from '@isola/core';
import type { PubSub } from './pubsub.js';

/** Events kept per topic; older ones are dropped first (and may then be published again). */
const maxEventsPerTopic = 10_000;

/** Told of the events published to a topic, once each. */
export type TopicListener = (topic: string, events: readonly CloudEvent[]) => void;

/**
 * The platform's topics in memory, for runs without Redis (isola dev, the testing helper). Like
 * the topic queues on Redis, an event is taken once per source and id; each event published is
 * kept (the latest 10,000 per topic) and handed to the listeners — the local message trigger,
 * which delivers it to the consumers' `queue()`, and the testing helper's `published()`.
 */
export class MemoryTopics {
  private readonly byTopic = new Map<string, { events: CloudEvent[]; ids: Set<string> }>();
  private readonly listeners = new Set<TopicListener>();

  /** Stores the events that are new on the topic (by source and id) and tells the listeners of them. */
  publish(topic: string, events: readonly CloudEvent[]): void {
    let stored = this.byTopic.get(topic);
    if (stored === undefined) {
      stored = { events: [], ids: new Set() };
      this.byTopic.set(topic, stored);
    }
    const fresh: CloudEvent[] = [];
    for (const event of events) {
      const id = `${event.source}\n${event.id}`;
      if (stored.ids.has(id)) continue;
      stored.ids.add(id);
      stored.events.push(event);
      fresh.push(event);
    }
    while (stored.events.length > maxEventsPerTopic) {
      const dropped = stored.events.shift() as CloudEvent;
      stored.ids.delete(`${dropped.source}\n${dropped.id}`);
    }
    if (fresh.length === 0) return;
    for (const listener of this.listeners) listener(topic, fresh);
  }

  /** The events published to the topic, oldest first. */
  events(topic: string): CloudEvent[] {
    return [...(this.byTopic.get(topic)?.events ?? [])];
  }

  /** The topics anything was published to. */
  topics(): string[] {
    return [...this.byTopic.keys()];
  }

  /** Forgets what was published (the listeners stay). */
  clear(): void {
    this.byTopic.clear();
  }

  /** Calls `listener` with each topic's new events; returns the function that stops it. */
  subscribe(listener: TopicListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** `pubsub.in-memory`: publishes into the in-memory topics (see MemoryTopics); for tests and local runs. */
export class MemoryPubSub implements PubSub {
  constructor(private readonly topics = new MemoryTopics()) {}

  async publish(topic: string, events: readonly CloudEvent[]): Promise<void> {
    this.topics.publish(topic, events);
  }

  async close(): Promise<void> {}
}
