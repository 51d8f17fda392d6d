// A sidecar started without Redis, as isola dev and the testing helper start it: in-memory
// components whose data its host holds, manifests and secrets from its host, the admin token only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { callerHeaderValue, createLogger, loadConfig, manifestSchema, sidecarAuthToken, sidecarHeaders, type FunctionVersion } from '@isola/core';
import { inMemoryComponents } from './components/component-files.js';
import { MemoryBackends } from './components/memory-backends.js';
import { startSidecar, type Sidecar } from './sidecar.js';

describe('sidecar without Redis', () => {
  const secretKey = randomBytes(32);
  const adminToken = `admin-${randomBytes(12).toString('hex')}`;
  const memory = new MemoryBackends();
  const shop: FunctionVersion = {
    name: 'shop',
    version: 1,
    codeHash: 'h',
    createdAt: new Date().toISOString(),
    manifest: manifestSchema.parse({
      name: 'shop',
      main: 'index.js',
      bindings: {
        CARTS: { type: 'state', store: 'carts' },
        ORDERS: { type: 'queue', topic: 'orders' },
        FLAGS: { type: 'config', store: 'configstore' },
        LOCKS: { type: 'lock', store: 'lockstore' },
      },
    }),
  };
  let sidecar: Sidecar;
  const asShop = (extra: Record<string, string> = {}) => ({ [sidecarHeaders.token]: sidecarAuthToken(secretKey), [sidecarHeaders.caller]: callerHeaderValue('shop', 1), ...extra });
  const call = (path: string, init: RequestInit = {}) => fetch(`${sidecar.url}${path}`, init);

  before(async () => {
    sidecar = await startSidecar({
      config: loadConfig({ env: {}, overrides: { sidecarPort: 0 } }),
      logger: createLogger({ level: 'silent' }),
      secretKey,
      adminToken,
      components: inMemoryComponents({ state: ['carts'] }),
      functions: { getVersion: async (name, version) => (name === shop.name && version === shop.version ? shop : null) },
      functionSecrets: { values: async (name): Promise<Record<string, string>> => (name === 'shop' ? { STRIPE_KEY: 'sk_test' } : {}) },
      memory,
    });
  });
  after(() => sidecar.close());

  it("keeps a function's state in its host's data, under the function's prefix", async () => {
    const saved = await call('/v1.0/state/carts', { method: 'POST', headers: { ...asShop(), 'content-type': 'application/json' }, body: JSON.stringify([{ key: 'cart-1', value: { items: 2 } }]) });
    assert.equal(saved.status, 204);
    assert.deepEqual(memory.state('carts').get('shop||cart-1'), { value: '{"items":2}', etag: '1' });
    memory.state('carts').write([{ kind: 'upsert', key: 'shop||cart-2', value: '"seeded"', condition: null }]);
    const read = await call('/v1.0/state/carts/cart-2', { headers: asShop() });
    assert.equal(await read.text(), '"seeded"');
  });

  it('publishes into the in-memory topics', async () => {
    const published = await call('/v1.0/publish/pubsub/orders', { method: 'POST', headers: { ...asShop(), 'content-type': 'application/json' }, body: '{"order":7}' });
    assert.equal(published.status, 204);
    const [event] = memory.topics.events('orders');
    assert.deepEqual([event?.source, event?.data], ['shop', { order: 7 }]);
  });

  it("reads configuration items its host set, and a function's own secrets from its host", async () => {
    memory.configuration('configstore').set('theme', 'dark', '3');
    const items = await (await call('/v1.0/configuration/configstore?key=theme', { headers: asShop() })).json();
    assert.deepEqual(items, { theme: { value: 'dark', version: '3', metadata: {} } });
    const secret = await (await call('/v1.0/secrets/secretstore/STRIPE_KEY', { headers: asShop() })).json();
    assert.deepEqual(secret, { STRIPE_KEY: 'sk_test' });
  });

  it('takes locks, and refuses what the manifest does not bind', async () => {
    const body = JSON.stringify({ resourceId: 'invoice-1', lockOwner: 'a', expiryInSeconds: 30 });
    const locked = await call('/v1.0-alpha1/lock/lockstore', { method: 'POST', headers: { ...asShop(), 'content-type': 'application/json' }, body });
    assert.deepEqual(await locked.json(), { success: true });
    const unbound = await call('/v1.0/state/statestore/x', { headers: asShop() });
    assert.equal(unbound.status, 403);
    const unknown = await call('/v1.0/state/carts/x', { headers: { ...asShop(), [sidecarHeaders.caller]: callerHeaderValue('ghost', 1) } });
    assert.equal(unknown.status, 403);
  });

  it('takes the admin token from outside callers, and no other token', async () => {
    const admin = await call('/v1.0/state/carts/shop||cart-1', { headers: { [sidecarHeaders.daprApiToken]: adminToken } });
    assert.equal(admin.status, 200);
    const other = await call('/v1.0/state/carts/x', { headers: { [sidecarHeaders.daprApiToken]: `isola_${'0'.repeat(12)}_${'a'.repeat(32)}` } });
    assert.equal(other.status, 401);
  });

  it('refuses to start a component that needs Redis, saying why', async () => {
    await assert.rejects(
      startSidecar({
        config: loadConfig({ env: {}, overrides: { sidecarPort: 0 } }),
        logger: createLogger({ level: 'silent' }),
        secretKey,
        adminToken,
        components: [{ name: 'statestore', type: 'state.redis', version: 'v1', metadata: {}, scopes: null, source: 'test' }],
        functions: { getVersion: async () => null },
      }),
      /runs without Redis \(no REDIS_URL\)/,
    );
  });
});
