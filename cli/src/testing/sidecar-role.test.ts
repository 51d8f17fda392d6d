import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { TestApi } from './e2e-helpers.js';
import { spawnRole, type SpawnedRole } from './spawn-platform.js';

// `isola sidecar` as its own process, as it runs in a Kubernetes pod beside a worker node: the
// worker's processes reach it through ISOLA_SIDECAR_URL, and it sends service calls to a gateway
// through ISOLA_GATEWAY_URL. Every role a process of its own, on one real Redis.

const bin = new URL('../bin.js', import.meta.url);

describe('isola sidecar beside isola worker and isola gateway', () => {
  let redis: TestRedis;
  const roles: SpawnedRole[] = [];
  let api: TestApi;
  const token = `test_${randomBytes(16).toString('hex')}`;

  before(async () => {
    redis = await startTestRedis();
    const env = { REDIS_URL: redis.url, ISOLA_SECRET_KEY: randomBytes(32).toString('base64'), ISOLA_ADMIN_TOKEN: token };
    const gateway = await spawnRole('gateway', env);
    roles.push(gateway);
    const sidecar = await spawnRole('sidecar', { ...env, ISOLA_GATEWAY_URL: gateway.url });
    roles.push(sidecar);
    roles.push(await spawnRole('worker', { ...env, ISOLA_SIDECAR_URL: sidecar.url }));
    api = new TestApi(gateway.url, token);
  });

  after(async () => {
    for (const role of roles.reverse()) await role.stop(10_000);
    await redis?.stop();
  });

  test('a function keeps state and calls another function through the standalone sidecar', async () => {
    await api.deploy('tax', 'export default { rate(country) { return country === "nl" ? 0.21 : 0.2; } };');
    await api.deploy(
      'checkout',
      `export default { async fetch(request, env) {
        const count = ((await env.STATE.get('count')) ?? 0) + 1;
        await env.STATE.put('count', count);
        return Response.json({ count, rate: await env.TAX.rate('nl') });
      } };`,
      { bindings: { STATE: { type: 'state', store: 'statestore' }, TAX: { type: 'service', function: 'tax' } } },
    );
    const first = await api.call('GET', '/fn/checkout/');
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.json, { count: 1, rate: 0.21 });
    const second = await api.call('GET', '/fn/checkout/');
    assert.deepEqual(second.json, { count: 2, rate: 0.21 });
  });

  test('stops cleanly on SIGTERM', async () => {
    const sidecar = roles.find((role) => role.output().includes('Isola sidecar is up')) as SpawnedRole;
    assert.equal(await sidecar.stop(10_000), 0);
  });

  test('without REDIS_URL it refuses to start, saying what it needs', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, ISOLA_SIDECAR_PORT: '0', ISOLA_ADMIN_TOKEN: token };
    delete env.REDIS_URL;
    const run = spawnSync(process.execPath, ['--no-node-snapshot', bin.pathname, 'sidecar'], { env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /isola sidecar needs REDIS_URL/);
  });
});
