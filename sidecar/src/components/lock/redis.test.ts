import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { lockStoreConformance } from './lock-store-conformance.js';
import { RedisLockStore } from './redis.js';

lockStoreConformance('lock.redis', async () => {
  const redis = await startTestRedis();
  return { store: new RedisLockStore(redis.connect()), close: () => redis.stop() };
});

describe('lock.redis keys', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startTestRedis();
  });
  after(() => redis.stop());

  it("stores a lock as Dapr's Redis lock does: key lock||<resource id>, the owner as value, the expiry as TTL", async () => {
    const store = new RedisLockStore(redis.connect());
    assert.equal(await store.tryLock('billing||invoice-7', 'worker-1', 30), true);
    assert.equal(await redis.redis.get('lock||billing||invoice-7'), 'worker-1');
    const ttl = await redis.redis.ttl('lock||billing||invoice-7');
    assert.ok(ttl > 0 && ttl <= 30, `TTL ${ttl}`);
  });

  it('never collides with a state key of the same name in a shared database', async () => {
    const store = new RedisLockStore(redis.connect());
    await redis.redis.hset('orders', { data: '"x"', version: '1' });
    assert.equal(await store.tryLock('orders', 'worker-1', 30), true);
    assert.equal(await store.unlock('orders', 'worker-1'), 0);
    assert.deepEqual(await redis.redis.hgetall('orders'), { data: '"x"', version: '1' });
  });
});
