// SecretStore against the real Redis (a throwaway redis-server).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { startTestRedis, type TestRedis } from '../testing/index.js';
import { FunctionStore, type FunctionEvent } from './function-store.js';
import { redisKeys } from './keys.js';
import { SecretStore } from './secret-store.js';

let server: TestRedis;
let store: SecretStore;
const events: FunctionEvent[] = [];
let unsubscribe: () => Promise<void>;

before(async () => {
  server = await startTestRedis();
  store = new SecretStore(server.redis, randomBytes(32));
  unsubscribe = await FunctionStore.subscribe(server.connect(), (event) => events.push(event));
});
after(async () => {
  await unsubscribe();
  await server.stop();
});

/** Waits until `count` events have arrived (pub/sub is asynchronous), then a little more for extras. */
async function eventsAfter(count: number): Promise<FunctionEvent[]> {
  for (let attempt = 0; attempt < 200 && events.length < count; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setTimeout(resolve, 30));
  return events.splice(0);
}

function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  return assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof IsolaError, String(error));
    assert.equal(error.code, 'BAD_REQUEST');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('SecretStore', () => {
  test('put, names (sorted), values (decrypted), replace, delete (false when absent)', async () => {
    await store.put('cart', 'STRIPE_KEY', 'sk_live_1');
    await store.put('cart', 'API_TOKEN', 'tok-1');
    await store.put('other', 'STRIPE_KEY', 'sk_other');
    assert.deepEqual(await store.names('cart'), ['API_TOKEN', 'STRIPE_KEY']);
    assert.deepEqual(await store.values('cart'), { API_TOKEN: 'tok-1', STRIPE_KEY: 'sk_live_1' });
    await store.put('cart', 'STRIPE_KEY', 'sk_live_2');
    assert.deepEqual(await store.values('cart'), { API_TOKEN: 'tok-1', STRIPE_KEY: 'sk_live_2' });
    assert.equal(await store.delete('cart', 'API_TOKEN'), true);
    assert.equal(await store.delete('cart', 'API_TOKEN'), false);
    assert.deepEqual(await store.names('cart'), ['STRIPE_KEY']);
    assert.deepEqual(await store.values('other'), { STRIPE_KEY: 'sk_other' });
    assert.deepEqual(await store.names('never-had-any'), []);
    assert.deepEqual(await store.values('never-had-any'), {});
    await eventsAfter(6);
  });

  test('Redis holds only sealed values under isola:fn:<name>:secrets, never the plaintext', async () => {
    await store.put('vault', 'DB_PASSWORD', 'hunter2-plaintext');
    const raw = await server.redis.hgetall(redisKeys.functionSecrets('vault'));
    assert.deepEqual(Object.keys(raw), ['DB_PASSWORD']);
    assert.match(raw.DB_PASSWORD!, /^v1:[0-9a-f]{8}:/);
    assert.ok(!raw.DB_PASSWORD!.includes('hunter2'));
    const dump = await server.redis.dumpBuffer(redisKeys.functionSecrets('vault'));
    assert.ok(dump !== null && !dump.toString('latin1').includes('hunter2'));
    await eventsAfter(1);
  });

  test('every change publishes {type: "secrets", name} on the events channel; a delete of nothing publishes nothing', async () => {
    await store.put('events-fn', 'A_KEY', 'value-a');
    await store.put('events-fn', 'B_KEY', 'value-b');
    assert.equal(await store.delete('events-fn', 'A_KEY'), true);
    assert.equal(await store.delete('events-fn', 'A_KEY'), false);
    assert.equal(await store.deleteAll('events-fn'), 1);
    assert.equal(await store.deleteAll('events-fn'), 0);
    assert.deepEqual(await eventsAfter(4), [
      { type: 'secrets', name: 'events-fn' },
      { type: 'secrets', name: 'events-fn' },
      { type: 'secrets', name: 'events-fn' },
      { type: 'secrets', name: 'events-fn' },
    ]);
    assert.deepEqual(await store.names('events-fn'), []);
    assert.equal(await server.redis.exists(redisKeys.functionSecrets('events-fn')), 0);
  });

  test('names must read like environment variables; the message says what is allowed', async () => {
    for (const name of ['lower', '1ABC', 'WITH-DASH', 'A B', '', 'Ä', 'A'.repeat(129)]) {
      await rejectsWith(store.put('cart', name, 'value'), /is not a secret name: use 1-128 of A-Z, 0-9 and _, not starting with a digit/);
      await rejectsWith(store.delete('cart', name), /is not a secret name/);
    }
    await store.put('cart', `_${'A'.repeat(127)}`, 'longest name');
    await rejectsWith(store.put('Not_A_Function', 'KEY', 'v'), /is not a function name/);
    await rejectsWith(store.names('a:b'), /is not a function name/);
    await eventsAfter(1);
  });

  test('values are non-empty strings of at most 64 KiB (UTF-8 bytes)', async () => {
    await rejectsWith(store.put('cart', 'EMPTY', ''), /value of secret EMPTY is empty; to remove a secret, delete it/);
    await rejectsWith(store.put('cart', 'NUMBER', 42 as unknown as string), /value of secret NUMBER must be a string, got number/);
    await rejectsWith(store.put('cart', 'BIG', 'x'.repeat(64 * 1024 + 1)), /value of secret BIG is 65537 bytes, over the limit of 65536 \(64 KiB\)/);
    await rejectsWith(store.put('cart', 'WIDE', 'é'.repeat(32 * 1024 + 1)), /is 65538 bytes/);
    await store.put('cart', 'EXACTLY_64K', 'y'.repeat(64 * 1024));
    assert.equal((await store.values('cart')).EXACTLY_64K?.length, 64 * 1024);
    assert.ok(!(await store.names('cart')).includes('BIG'));
    await eventsAfter(1);
  });

  test('at most 100 secrets per function, even when puts race; replacing one at the limit still works', async () => {
    await Promise.all(Array.from({ length: 99 }, (_, index) => store.put('crowded', `KEY_${index}`, `value-${index}`)));
    const racing = await Promise.allSettled([store.put('crowded', 'RACE_A', 'a'), store.put('crowded', 'RACE_B', 'b'), store.put('crowded', 'RACE_C', 'c')]);
    assert.equal(racing.filter((result) => result.status === 'fulfilled').length, 1);
    assert.equal((await store.names('crowded')).length, 100);
    await rejectsWith(store.put('crowded', 'ONE_MORE', 'v'), /function "crowded" already has 100 secrets, the most one function may hold; delete one before adding ONE_MORE/);
    await store.put('crowded', 'KEY_0', 'replaced');
    assert.equal((await store.values('crowded')).KEY_0, 'replaced');
    assert.equal(await store.delete('crowded', 'KEY_1'), true);
    await store.put('crowded', 'ONE_MORE', 'v');
    assert.equal((await store.names('crowded')).length, 100);
    await eventsAfter(103);
  });

  test('a store with another key cannot read the values, and says the key changed', async () => {
    await store.put('rotated', 'OLD_SECRET', 'sealed with the first key');
    const otherKey = new SecretStore(server.redis, randomBytes(32));
    assert.deepEqual(await otherKey.names('rotated'), ['OLD_SECRET']);
    await assert.rejects(otherKey.values('rotated'), (error: unknown) => {
      assert.ok(error instanceof IsolaError);
      assert.equal(error.code, 'INTERNAL');
      assert.match(error.message, /rotated\/OLD_SECRET: it was sealed with another secret key.*ISOLA_SECRET_KEY/);
      return true;
    });
    await eventsAfter(1);
  });

  test('a sealed value copied to another function does not open there', async () => {
    await store.put('source-fn', 'TOKEN', 'copied value');
    const sealed = await server.redis.hget(redisKeys.functionSecrets('source-fn'), 'TOKEN');
    await server.redis.hset(redisKeys.functionSecrets('target-fn'), 'TOKEN', sealed!);
    await assert.rejects(store.values('target-fn'), /target-fn\/TOKEN: it fails authentication/);
    await eventsAfter(1);
  });
});
