import { loadConfig } from '@isola/core';
import { MemoryPubSub, MemoryTopics } from './memory.js';
import { pubSubConformance } from './pubsub-conformance.js';

pubSubConformance('pubsub.in-memory', async () => {
  const topics = new MemoryTopics();
  const pubsub = new MemoryPubSub(topics);
  return {
    pubsub,
    messages: async (topic) => topics.events(topic),
    topics: async () => topics.topics(),
    maxMessageBytes: loadConfig({ env: {} }).asyncMaxBodyBytes,
    close: () => pubsub.close(),
  };
});
