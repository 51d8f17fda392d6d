import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { configurationStoreConformance } from './configuration-store-conformance.js';
import { RedisConfigurationStore } from './redis.js';

async function startStore(redis: TestRedis): Promise<RedisConfigurationStore> {
  return RedisConfigurationStore.start('configstore', redis.connect(), redis.connect(), 0, createLogger({ level: 'silent' }));
}

configurationStoreConformance(
  'configuration.redis',
  async () => {
  const redis = await startTestRedis();
  const store = await startStore(redis);
  return {
    store,
    // Dapr's Redis format: value||version, or the bare value for an item without a version.
    set: async (key, value, version) => void (await redis.redis.set(key, version === '' ? value : `${value}||${version}`)),
    remove: async (key) => void (await redis.redis.del(key)),
    close: async () => {
      await store.close();
      await redis.stop();
    },
  };
  },
);

describe('configuration.redis in a shared database', () => {
  let redis: TestRedis;
  let store: RedisConfigurationStore;
  before(async () => {
    redis = await startTestRedis();
    store = await startStore(redis);
  });
  after(async () => {
    await store.close();
    await redis.stop();
  });

  it('reads only strings as items: a state hash beside them is left out, not an error', async () => {
    await redis.redis.set('flag', 'on||3');
    await redis.redis.hset('cart', { data: '"x"', version: '1' });
    assert.deepEqual(await store.get(['flag', 'cart']), { flag: { value: 'on', version: '3', metadata: {} } });
    const all = await store.get([]);
    assert.ok('flag' in all && !('cart' in all));
  });

  it('turned on the keyspace notifications its subscriptions need', async () => {
    const [, events] = (await redis.redis.config('GET', 'notify-keyspace-events')) as [string, string];
    for (const flag of 'K$gx') assert.ok(events.includes(flag), `notify-keyspace-events is "${events}"`);
  });
});
