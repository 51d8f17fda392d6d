// Who may call the sidecar, and what a function reaches: its bound components only, under its
// own key prefix; a keyPrefix: none store is shared.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TokenStore } from '@isola/core';
import { defaultComponents } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('sidecar auth and isolation', () => {
  let test: TestSidecar;
  let cartVersion: number;
  let shopVersion: number;

  before(async () => {
    test = await startTestSidecar({
      components: () => [...defaultComponents(), { name: 'shared', type: 'state.in-memory', version: 'v1', metadata: { keyPrefix: 'none' }, scopes: null, source: 'test' }],
    });
    const bindings = { STATE: { type: 'state', store: 'statestore' }, SHARED: { type: 'state', store: 'shared' }, LOCKS: { type: 'lock', store: 'lockstore' } };
    cartVersion = await test.deploy('cart', bindings);
    shopVersion = await test.deploy('shop', { ...bindings, ORDERS: { type: 'queue', topic: 'orders' } });
  });
  after(() => test.stop());

  const save = (headers: Record<string, string>, store: string, key: string, value: unknown) =>
    test.call(`/v1.0/state/${store}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify([{ key, value }]) });

  it('answers 401 without credentials, with a bad internal token, or a bad API token', async () => {
    const attempts: Record<string, string>[] = [{}, { 'x-isola-sidecar-token': 'nope', 'x-isola-function': 'cart@1' }, { 'dapr-api-token': 'not-a-token' }];
    for (const headers of attempts) {
      const response = await test.call('/v1.0/state/statestore/k', { headers });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { errorCode: string }).errorCode, 'ERR_UNAUTHORIZED');
    }
  });

  it('answers 403 to an API token that is not admin', async () => {
    const { token } = await new TokenStore(test.redis.redis).create({ name: 'ci', role: 'deployer' }, 'test');
    const response = await test.call('/v1.0/state/statestore/k', { headers: { 'dapr-api-token': token } });
    assert.equal(response.status, 403);
    assert.match(((await response.json()) as { message: string }).message, /admin/);
  });

  it('serves health and metrics without credentials', async () => {
    assert.equal((await test.call('/v1.0/healthz')).status, 204);
    assert.match(await (await test.call('/metrics')).text(), /isola_sidecar_circuit_state/);
  });

  it('refuses a component the function does not bind, naming the binding to add', async () => {
    const response = await test.call('/v1.0/configuration/configstore?key=a', { headers: test.functionHeaders('cart', cartVersion) });
    assert.equal(response.status, 403);
    const body = (await response.json()) as { errorCode: string; message: string };
    assert.equal(body.errorCode, 'ERR_PERMISSION_DENIED');
    assert.match(body.message, /\{ type: config, store: configstore \}/);
    const publish = await test.call('/v1.0/publish/pubsub/orders', { method: 'POST', headers: test.functionHeaders('cart', cartVersion), body: '{}' });
    assert.equal(publish.status, 403);
    assert.match(((await publish.json()) as { message: string }).message, /type: queue, topic: orders/);
    const allowed = await test.call('/v1.0/publish/pubsub/orders', { method: 'POST', headers: { ...test.functionHeaders('shop', shopVersion), 'content-type': 'application/json' }, body: '{}' });
    assert.equal(allowed.status, 204);
  });

  it('refuses a function version that is not deployed', async () => {
    const response = await test.call('/v1.0/state/statestore/k', { headers: test.functionHeaders('cart', 99) });
    assert.equal(response.status, 403);
  });

  it('keeps two functions apart under their prefixes, and an admin sees the raw keys', async () => {
    assert.equal((await save(test.functionHeaders('cart', cartVersion), 'statestore', 'basket', 'cart-basket')).status, 204);
    assert.equal((await save(test.functionHeaders('shop', shopVersion), 'statestore', 'basket', 'shop-basket')).status, 204);
    const cart = await test.call('/v1.0/state/statestore/basket', { headers: test.functionHeaders('cart', cartVersion) });
    assert.equal(await cart.json(), 'cart-basket');
    const shop = await test.call('/v1.0/state/statestore/basket', { headers: test.functionHeaders('shop', shopVersion) });
    assert.equal(await shop.json(), 'shop-basket');
    const sneaky = await test.call(`/v1.0/state/statestore/${encodeURIComponent('cart||basket')}`, { headers: test.functionHeaders('shop', shopVersion) });
    assert.equal(sneaky.status, 400, "a function's keys cannot hold ||, so no function names another prefix");
    const admin = await test.call(`/v1.0/state/statestore/${encodeURIComponent('cart||basket')}`, { headers: { 'dapr-api-token': test.adminToken } });
    assert.equal(await admin.json(), 'cart-basket', 'an admin names raw keys, prefixes included');
    const raw = test.redis.connect();
    await raw.select(1);
    assert.equal(await raw.hget('cart||basket', 'data'), '"cart-basket"');
    assert.equal(await raw.hget('shop||basket', 'data'), '"shop-basket"');
  });

  it('shares a keyPrefix: none store between the functions binding it', async () => {
    assert.equal((await save(test.functionHeaders('cart', cartVersion), 'shared', 'counter', 41)).status, 204);
    const shop = await test.call('/v1.0/state/shared/counter', { headers: test.functionHeaders('shop', shopVersion) });
    assert.equal(await shop.json(), 41);
    assert.equal((await test.call('/v1.0/state/shared/counter', { headers: { 'dapr-api-token': test.adminToken } })).status, 200);
  });

  it('prefixes lock resources per function', async () => {
    const lock = (name: string, version: number) =>
      test.call('/v1.0-alpha1/lock/lockstore', { method: 'POST', headers: test.functionHeaders(name, version), body: JSON.stringify({ resourceId: 'job', lockOwner: name, expiryInSeconds: 30 }) });
    assert.deepEqual(await (await lock('cart', cartVersion)).json(), { success: true });
    assert.deepEqual(await (await lock('shop', shopVersion)).json(), { success: true });
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await save(test.functionHeaders('cart', cartVersion), 'statestore', 'big', 'x'.repeat(7 * 1024 * 1024));
    assert.equal(response.status, 413);
  });

  it('answers a missing store in Dapr shape', async () => {
    const response = await test.call('/v1.0/state/nope/k', { headers: { 'dapr-api-token': test.adminToken } });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { errorCode: string }).errorCode, 'ERR_STATE_STORE_NOT_FOUND');
  });
});
