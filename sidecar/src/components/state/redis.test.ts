import { startTestRedis } from '@isola/core/testing';
import { RedisStateStore } from './redis.js';
import { stateStoreConformance } from './state-store-conformance.js';

stateStoreConformance('state.redis', async () => {
  const redis = await startTestRedis();
  return { store: new RedisStateStore(redis.connect()), close: () => redis.stop() };
});
