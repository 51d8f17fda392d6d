import type { CloudEvent } from '@isola/core';

/**
 * A pub/sub component (Dapr's pub/sub building block, publishing side). Subscribing is the
 * message trigger's business: functions consume topics with `queues:` in their manifest.
 */
export interface PubSub {
  /** Stores the events on the topic, all or none. */
  publish(topic: string, events: readonly CloudEvent[]): Promise<void>;
  close(): Promise<void>;
}
