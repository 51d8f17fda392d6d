import { loadConfig, QueueClient, queueRefOfName, topicQueueName, type CloudEvent, type MessageJobData } from '@isola/core';
import { startTestRedis } from '@isola/core/testing';
import { pubSubConformance } from './pubsub-conformance.js';
import { RedisPubSub } from './redis.js';

pubSubConformance('pubsub.redis', async () => {
  const redis = await startTestRedis();
  const pubsub = new RedisPubSub(redis.connect(), 2_000);
  // Read back as the message trigger's side sees the topics: BullMQ queues through core's QueueClient.
  const queues = new QueueClient(redis.connect());
  return {
    pubsub,
    messages: async (topic) => {
      const jobs = await queues.queue(topicQueueName(topic)).getJobs(['waiting', 'prioritized', 'delayed'], 0, -1, true);
      return jobs.map((job) => (job.data as MessageJobData).event as CloudEvent);
    },
    topics: async () => (await queues.knownQueueNames()).flatMap((name) => {
      const ref = queueRefOfName(name);
      return ref?.kind === 'topic' ? [ref.topic] : [];
    }),
    maxMessageBytes: loadConfig({ env: {} }).asyncMaxBodyBytes,
    close: async () => {
      await pubsub.close();
      await queues.close();
      await redis.stop();
    },
  };
});
