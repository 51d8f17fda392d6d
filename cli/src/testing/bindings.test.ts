// Env bindings end to end against a real `isola up`, which starts the sidecar (`isola sidecar`,
// SPEC §6) with its default components on the platform's Redis.
//
// Functions bind the default components (statestore, pubsub, configstore, lockstore) and other
// functions; the tests check key prefix isolation between functions, that nothing unbound is
// reachable, ETag conflicts, pub/sub into a queue() consumer, service calls of RPC methods,
// locks and configuration reads.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';


/** A function answering `?op=` with the JSON of what its STORE binding did (errors as {name, code, message}). */
const stateSource = `export default { async fetch(request, env) {
  const url = new URL(request.url);
  const key = url.searchParams.get('key');
  const caught = (error) => ({ name: error.name, code: error.code, message: error.message });
  switch (url.searchParams.get('op')) {
    case 'put': return Response.json(await env.STORE.put(key, url.searchParams.get('value')).then(() => 'stored', caught));
    case 'get': return Response.json(await env.STORE.get(key).catch(caught));
    case 'conflict': {
      await env.STORE.put(key, 'first');
      const { etag } = await env.STORE.getWithEtag(key);
      await env.STORE.put(key, 'second');
      return Response.json(await env.STORE.put(key, 'third', { etag }).then(() => 'stored', caught));
    }
    default: return Response.json({ bindings: Object.keys(env).sort() });
  }
} };`;

let platform: SpawnedPlatform;
let api: TestApi;
let redis: TestRedis;
let sidecarPort: number;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Invokes `name` over HTTP at `path` and returns its JSON answer. */
async function call(name: string, path: string): Promise<unknown> {
  const answer = await api.call('GET', `/fn/${name}${path}`);
  assert.equal(answer.status, 200, answer.text);
  return answer.json ?? JSON.parse(answer.text);
}

describe('bindings end to end', () => {
  before(async () => {
    redis = await startTestRedis();
    sidecarPort = await freePort();
    platform = await spawnPlatform({ env: { REDIS_URL: redis.url, ISOLA_WORKERS: '1', ISOLA_SIDECAR_PORT: String(sidecarPort) } });
    api = new TestApi(platform.url, platform.token);
    const store = { STORE: { type: 'state', store: 'statestore' } };
    await api.deploy('keeper-a', stateSource, { bindings: store });
    await api.deploy('keeper-b', stateSource, { bindings: store });
    await api.deploy(
      'nosy',
      `export default { async fetch(request, env) {
        const sidecar = await fetch('http://127.0.0.1:${sidecarPort}/v1.0/state/lockstore/anything').then((response) => response.status, (error) => error.message);
        return Response.json({ names: Object.keys(env).sort(), locks: typeof env.LOCKS, sidecar });
      } };`,
      { bindings: store, egress: [`127.0.0.1:${sidecarPort}`] },
    );
    await api.deploy('order-consumer', `export default { async queue(batch) { for (const message of batch.messages) console.log('order ' + JSON.stringify(message.body)); } };`, {
      queues: [{ topic: 'bound-orders', batchSize: 10, maxBatchWaitMs: 50 }],
    });
    await api.deploy(
      'order-producer',
      `export default { async fetch(request, env) {
        await env.EVENTS.publish({ via: 'pubsub' });
        await env.ORDERS.send({ via: 'queue' });
        await env.ORDERS.sendBatch([{ body: { via: 'batch', n: 1 } }, { body: { via: 'batch', n: 2 } }]);
        return Response.json('published');
      } };`,
      { bindings: { EVENTS: { type: 'pubsub', pubsub: 'pubsub', topic: 'bound-orders' }, ORDERS: { type: 'queue', topic: 'bound-orders' } } },
    );
    await api.deploy('pricer', `export default { quote(units, price) { return { total: units * price }; }, fail() { throw new RangeError('no price list'); } };`);
    await api.deploy(
      'shop',
      `export default { async fetch(request, env) {
        const quote = await env.PRICER.quote(3, 7);
        const failure = await env.PRICER.fail().catch((error) => ({ name: error.name, code: error.code, remote: error.remote?.code }));
        return Response.json({ quote, failure });
      } };`,
      { bindings: { PRICER: { type: 'service', function: 'pricer' } } },
    );
    await api.deploy(
      'locker',
      `export default { async fetch(request, env) {
        const first = await env.LOCKS.acquire('report', { ttlSeconds: 30, owner: 'one' });
        const second = await env.LOCKS.acquire('report', { ttlSeconds: 30 });
        const releases = [await env.LOCKS.release('report', second.owner), await env.LOCKS.release('report', 'one'), await env.LOCKS.release('report', 'one')];
        return Response.json({ first, second: second.acquired, releases });
      } };`,
      { bindings: { LOCKS: { type: 'lock', store: 'lockstore' } } },
    );
    await api.deploy('flags', `export default { async fetch(request, env) { return Response.json(await env.FLAGS.get(['theme', 'missing'])); } };`, {
      bindings: { FLAGS: { type: 'config', store: 'configstore' } },
    });
  });
  after(async () => {
    await platform?.stop();
    await redis?.stop();
  });

  test('two functions binding the same store each see only their own keys', async () => {
    assert.equal(await call('keeper-a', '/?op=put&key=shared&value=from-a'), 'stored');
    assert.equal(await call('keeper-b', '/?op=get&key=shared'), null);
    assert.equal(await call('keeper-b', '/?op=put&key=shared&value=from-b'), 'stored');
    assert.equal(await call('keeper-a', '/?op=get&key=shared'), 'from-a');
    assert.equal(await call('keeper-b', '/?op=get&key=shared'), 'from-b');
  });

  test('a function reaches nothing it did not bind: no env object, and the sidecar refuses a call without the worker credential', async () => {
    assert.deepEqual(await call('nosy', '/'), { names: ['STORE'], locks: 'undefined', sidecar: 401 });
  });

  test('a stale etag is a BindingError with code ETAG_MISMATCH', async () => {
    const error = (await call('keeper-a', '/?op=conflict&key=contested')) as Record<string, string>;
    assert.equal(error.name, 'BindingError');
    assert.equal(error.code, 'ETAG_MISMATCH');
    assert.match(error.message ?? '', /^env\.STORE\.put\(\) \(state store "statestore"\)/);
  });

  test("publish and the queue binding's send and sendBatch reach a consumer's queue() handler", async () => {
    assert.equal(await call('order-producer', '/'), 'published');
    const bodies = await eventually('the consumer saw all four messages', async () => {
      const answer = await api.call('GET', `/api/v1/functions/order-consumer/logs?search=${encodeURIComponent('order ')}&limit=100`);
      const lines = ((answer.json?.lines ?? []) as { message: string }[]).map((line) => JSON.parse(line.message.slice('order '.length)) as Record<string, unknown>);
      return lines.length >= 4 ? lines : null;
    });
    assert.deepEqual(
      bodies.map((body) => JSON.stringify(body)).sort(),
      [{ via: 'batch', n: 1 }, { via: 'batch', n: 2 }, { via: 'pubsub' }, { via: 'queue' }].map((body) => JSON.stringify(body)).sort(),
    );
  });

  test("a service binding calls the other function's RPC method; its failure is CALL_FAILED with the remote code", async () => {
    assert.deepEqual(await call('shop', '/'), { quote: { total: 21 }, failure: { name: 'BindingError', code: 'CALL_FAILED', remote: 'FUNCTION_ERROR' } });
  });

  test('locks: acquire with an owner, a second acquire fails, release by the wrong owner, the owner, then nothing', async () => {
    assert.deepEqual(await call('locker', '/'), { first: { acquired: true, owner: 'one' }, second: false, releases: ['not-owner', 'released', 'not-found'] });
  });

  test('config get reads items from the configuration store', async () => {
    // Dapr's configuration.redis format: the item's key holds "value||version". The default
    // configstore keeps its items in Redis DB 1, apart from the platform's keys.
    const items1 = redis.redis.duplicate({ db: 1 });
    await items1.set('theme', 'dark||1');
    items1.disconnect();
    const items = (await call('flags', '/')) as Record<string, { value: string; version: string }>;
    assert.deepEqual(Object.keys(items), ['theme']);
    assert.equal(items.theme?.value, 'dark');
    assert.equal(items.theme?.version, '1');
  });
});
