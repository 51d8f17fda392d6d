// The authors' testing helper (`@isola/cli/local`) against real fixture folders: each handler
// called in the real sandbox (a forked worker with isolated-vm), bindings through a real sidecar
// whose components are in memory. REDIS_URL points nowhere: nothing may use it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { IsolaError } from '@isola/core';
import { loadFunction, type LoadedFunction } from './index.js';

const fixture = (name: string) => new URL(`../../fixtures/local/${name}/`, import.meta.url);
// Port 9 (discard): a client that tried it would fail, and the tests with it.
process.env.REDIS_URL = 'redis://127.0.0.1:9';

describe('loadFunction: fetch, state, vars, secrets, logs, scheduled', () => {
  let fn: LoadedFunction;
  before(async () => {
    fn = await loadFunction(fixture('cart-api'), {
      secrets: { API_KEY: 'sk_live_123' },
      vars: { GREETING: 'hi from the test' },
      state: { CARTS: { 'cart:seeded': ['x', 'y'] } },
      config: { FLAGS: { theme: 'dark' } },
    });
  });
  after(() => fn.close());

  it('answers fetch with a Response, keeping state across requests, with the platform headers', async () => {
    const created = await fn.fetch('/cart?id=7', { method: 'POST', body: JSON.stringify({ sku: 'apple' }) });
    assert.equal(created.status, 201);
    assert.deepEqual(await created.json(), { items: ['apple'] });
    assert.match(created.headers.get('x-isola-invocation-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(created.headers.get('x-isola-version'), '1');
    await fn.fetch(new Request('http://shop.test/cart?id=7', { method: 'POST', body: JSON.stringify({ sku: 'pear' }) }));
    const read = await fn.fetch('/cart?id=7');
    assert.deepEqual(await read.json(), { items: ['apple', 'pear'] });
    const missing = await fn.fetch('/nothing-here');
    assert.deepEqual([missing.status, await missing.text()], [404, 'not found']);
  });

  it('lets tests seed, read and change state under the function\'s keys', async () => {
    assert.deepEqual(await (await fn.fetch('/cart?id=seeded')).json(), { items: ['x', 'y'] });
    fn.state('CARTS').put('cart:planted', ['z']);
    assert.deepEqual(await (await fn.fetch('/cart?id=planted')).json(), { items: ['z'] });
    assert.deepEqual(fn.state('CARTS').get('cart:7'), ['apple', 'pear']);
    assert.equal(fn.state('CARTS').get('cart:none'), null);
    assert.deepEqual(
      fn.state('CARTS').entries().map(([key]) => key),
      ['cart:7', 'cart:planted', 'cart:seeded'],
    );
    fn.state('CARTS').delete('cart:planted');
    assert.equal(fn.state('CARTS').get('cart:planted'), null);
    assert.throws(() => fn.state('NOPE'), /no state binding NOPE; its state bindings: CARTS/);
  });

  it('lets tests seed and change configuration items', async () => {
    const theme = async () => ((await (await fn.fetch('/theme')).json()) as { theme: string }).theme;
    assert.equal(await theme(), 'dark');
    fn.config('FLAGS').set('theme', 'solarized', '2');
    assert.equal(await theme(), 'solarized');
    assert.equal(fn.config('FLAGS').get('theme'), 'solarized');
    fn.config('FLAGS').delete('theme');
    assert.equal(await theme(), 'light');
  });

  it('gives the function its vars and secrets, and redacts secrets from its logs', async () => {
    const greeting = (await (await fn.fetch('/greeting')).json()) as { greeting: string; url: string };
    assert.deepEqual(greeting, { greeting: 'hi from the test', url: 'http://localhost/greeting' });
    fn.clearLogs();
    const secret = await fn.fetch('/secret');
    assert.deepEqual(await secret.json(), { keyLength: 11 });
    assert.deepEqual(
      fn.logs.map((line) => [line.level, line.message]),
      [
        ['log', 'GET cart default'],
        ['warn', 'the key is [secret API_KEY redacted]'],
      ],
    );
    assert.ok(fn.logs.every((line) => line.invocationId === secret.headers.get('x-isola-invocation-id')));
    assert.deepEqual(fn.warnings, []);
  });

  it('runs scheduled with the manifest\'s schedule (or another), and reports noRetry and failures', async () => {
    fn.state('CARTS').put('cart:abandoned', ['old']);
    const tick = await fn.scheduled({ scheduledTime: new Date('2030-01-01T03:00:00Z') });
    assert.deepEqual([tick.ok, tick.noRetry, tick.result], [true, false, { cleaned: 1, scheduledTime: Date.parse('2030-01-01T03:00:00Z') }]);
    assert.equal(fn.state('CARTS').get('cart:abandoned'), null);
    assert.deepEqual(fn.logs.at(-1)?.message, 'cleanup for 0 3 * * *');
    const failed = await fn.scheduled({ cron: 'fail once' });
    assert.equal(failed.ok, false);
    assert.equal(failed.noRetry, true);
    assert.equal(failed.error?.code, 'FUNCTION_ERROR');
    assert.match(failed.error?.message ?? '', /cleanup failed/);
  });
});

describe('loadFunction: queue, published messages, deliveries', () => {
  let fn: LoadedFunction;
  before(async () => {
    fn = await loadFunction(fixture('order-queue'));
  });
  after(() => fn.close());

  it('runs one batch and says which messages were acked and retried (with their delays)', async () => {
    const result = await fn.queue('orders', [
      { id: 'm1', body: { id: 1 } },
      { id: 'm2', body: { id: 2, retry: 1 } },
      { id: 'm3', body: { id: 3, retry: 1, delay: 30 } },
      { id: 'm4', body: { id: 4, retry: 1 }, attempts: 2 },
    ]);
    assert.deepEqual(result.acked, ['m1', 'm4']);
    assert.deepEqual(result.retried, ['m2', 'm3']);
    assert.deepEqual(result.delays, { m3: 30 });
    assert.equal(result.ok, true);
    assert.deepEqual(fn.state('SEEN').get('order:4'), { attempts: 2, queue: 'orders' });
  });

  it('retries the messages not acked when the handler throws', async () => {
    const result = await fn.queue('orders', [{ id: 'a', body: { id: 5 } }, { id: 'b', body: { id: 6, boom: true } }, { id: 'c', body: { id: 7 } }]);
    assert.deepEqual([result.ok, result.error?.code, result.acked, result.retried], [false, 'FUNCTION_ERROR', ['a'], ['b', 'c']]);
    assert.match(result.error?.message ?? '', /order 6 exploded/);
    await assert.rejects(fn.queue('payments', [{ body: 1 }]), (error) => error instanceof IsolaError && /does not consume topic "payments".*topics in its queues: orders/.test(error.message));
  });

  it('delivers what the function publishes to its consumer, retries, and moves dead letters', async () => {
    const accepted = await fn.fetch('/', { method: 'POST', body: JSON.stringify({ id: 10 }) });
    assert.equal(accepted.status, 202);
    await fn.fetch('/', { method: 'POST', body: JSON.stringify({ id: 11, retry: 5 }) });
    assert.deepEqual(fn.published('orders').map((message) => [message.body, message.source, message.contentType]), [
      [{ id: 10 }, 'order-queue', 'application/json'],
      [{ id: 11, retry: 5 }, 'order-queue', 'application/json'],
    ]);
    await fn.deliveriesSettled();
    assert.deepEqual(fn.state('SEEN').get('order:10'), { attempts: 1, queue: 'orders' });
    // maxRetries 1: delivered twice, then moved to orders-dlq.
    assert.equal(fn.state('SEEN').get('order:11'), null);
    assert.deepEqual(fn.published('orders-dlq').map((message) => message.body), [{ id: 11, retry: 5 }]);
    assert.deepEqual(
      fn.logs.filter((line) => line.message.startsWith('order 11')).map((line) => line.message),
      ['order 11 attempt 1', 'order 11 attempt 2'],
    );
    assert.match(fn.warnings.join('\n'), /of topic "orders" moved to its dead-letter topic "orders-dlq" after 2 deliveries \(last: the consumer asked to retry it\)/);
  });
});

describe('loadFunction: RPC and service bindings', () => {
  let shop: LoadedFunction;
  before(async () => {
    shop = await loadFunction(fixture('shop'), { services: { PRICER: fixture('pricer') } });
  });
  after(() => shop.close());

  it('calls RPC methods, and rejects with the platform\'s error', async () => {
    assert.equal(await shop.rpc('add', 2, 3), 5);
    await assert.rejects(shop.rpc('subtract', 1), (error) => error instanceof IsolaError && error.code === 'RPC_METHOD_NOT_FOUND');
  });

  it('calls the service through the sidecar, with its errors and its own logs', async () => {
    const quoted = await shop.fetch('/?cents=150');
    assert.deepEqual(await quoted.json(), { cents: 300, currency: 'EUR' });
    const refused = (await (await shop.fetch('/?cents=-1')).json()) as { code: string; message: string };
    assert.equal(refused.code, 'CALL_FAILED');
    assert.match(refused.message, /a price cannot be negative/);
    assert.deepEqual(shop.service('PRICER').logs.map((line) => line.message), ['quoting 150']);
    assert.deepEqual(await shop.service('PRICER').rpc('quote', 1), { cents: 2, currency: 'EUR' });
  });

  it('refuses a service that does not match the binding', async () => {
    await assert.rejects(loadFunction(fixture('shop'), { services: { PRICER: fixture('cart-api') } }), /the binding calls function "pricer" but .* holds "cart-api"/);
  });
});

describe('loadFunction: limits and broken folders', () => {
  it('stops a function that loops at limits.timeoutMs, and the next call gets a fresh instance', async () => {
    const fn = await loadFunction(fixture('infinite-loop'));
    try {
      const looped = await fn.fetch('/');
      assert.equal(looped.status, 504);
      const body = (await looped.json()) as { error: { code: string; invocationId: string } };
      assert.equal(body.error.code, 'FUNCTION_TIMEOUT');
      assert.equal(body.error.invocationId, looped.headers.get('x-isola-invocation-id'));
      assert.equal(await fn.rpc('ping'), 'pong');
    } finally {
      await fn.close();
    }
  });

  it('bundles npm packages from the folder\'s node_modules, as isola deploy does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-npm-'));
    try {
      mkdirSync(join(dir, 'node_modules', 'shout'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'shout', 'package.json'), JSON.stringify({ name: 'shout', version: '1.0.0', type: 'module', main: 'index.js' }));
      writeFileSync(join(dir, 'node_modules', 'shout', 'index.js'), 'export const shout = (text) => `${text.toUpperCase()}!`;\n');
      writeFileSync(join(dir, 'isola.yaml'), 'name: shouter\nmain: index.ts\n');
      writeFileSync(join(dir, 'index.ts'), "import { shout } from 'shout';\nexport default { fetch: (): Response => new Response(shout('hello')) };\n");
      const fn = await loadFunction(dir);
      try {
        assert.equal(await (await fn.fetch('/')).text(), 'HELLO!');
      } finally {
        await fn.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an invalid manifest listing every problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-invalid-'));
    try {
      writeFileSync(join(dir, 'isola.yaml'), 'name: Not A Name\nmain: index.js\nlimits: { memoryMb: 1 }\n');
      writeFileSync(join(dir, 'index.js'), 'export default {};\n');
      await assert.rejects(loadFunction(dir), (error) => {
        assert.ok(error instanceof IsolaError);
        assert.equal(error.code, 'INVALID_MANIFEST');
        assert.deepEqual((error.details as { problems: { path: string }[] }).problems.map((problem) => problem.path), ['name', 'limits.memoryMb']);
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
