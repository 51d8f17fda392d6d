// Governance against a real Redis that stops: retries of idempotent calls only, the circuit
// opening after N failures and failing fast, a half-open probe closing it; timeouts.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import type { ComponentDefinition } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('component governance', () => {
  let redis: TestRedis;
  let test: TestSidecar;
  const admin = () => ({ 'dapr-api-token': test.adminToken, 'content-type': 'application/json' });
  const metric = async (pattern: RegExp) => (await (await test.call('/metrics')).text()).split('\n').filter((line) => pattern.test(line));

  before(async () => {
    redis = await startTestRedis();
    test = await startTestSidecar({
      redis,
      components: (): ComponentDefinition[] => [
        { name: 'fragile', type: 'state.redis', version: 'v1', metadata: { breakerFailures: '2', breakerCooldownMs: '1000', maxRetries: '1', retryBaseMs: '10' }, scopes: null, source: 'test' },
        { name: 'slow', type: 'state.redis', version: 'v1', metadata: { timeoutMs: '200', maxRetries: '0' }, scopes: null, source: 'test' },
      ],
    });
  });
  after(async () => {
    await test.stop();
    await redis.stop();
  });

  it('times out an attempt that takes longer than timeoutMs', async () => {
    const pauser = redis.connect();
    await pauser.call('CLIENT', 'PAUSE', '1000', 'ALL');
    const response = await test.call('/v1.0/state/slow/k', { headers: admin() });
    assert.equal(response.status, 500);
    const body = (await response.json()) as { errorCode: string; message: string };
    assert.equal(body.errorCode, 'ERR_STATE_GET');
    assert.match(body.message, /did not answer within 200 ms/);
    await pauser.call('CLIENT', 'UNPAUSE');
    assert.equal((await metric(/^isola_sidecar_component_calls_total\{component="slow",operation="get",outcome="timeout"\} 1$/)).length, 1);
  });

  it('retries idempotent calls only, opens the circuit after N failures, probes and closes it', async () => {
    assert.equal((await test.call('/v1.0/state/fragile', { method: 'POST', headers: admin(), body: JSON.stringify([{ key: 'k', value: 1 }]) })).status, 204);
    const restarted = redis.restart(3_000);
    await waitUntilRefused(new URL(redis.url).port);

    const get = await test.call('/v1.0/state/fragile/k', { headers: admin() });
    assert.equal(get.status, 500);
    assert.match(((await get.json()) as { message: string }).message, /after 2 attempts/);
    const conditional = await test.call('/v1.0/state/fragile', { method: 'POST', headers: admin(), body: JSON.stringify([{ key: 'k', value: 2, etag: '1' }]) });
    assert.equal(conditional.status, 500);
    assert.doesNotMatch(((await conditional.json()) as { message: string }).message, /attempts/);
    assert.equal((await metric(/^isola_sidecar_component_retries_total\{component="fragile",operation="get"\} 1$/)).length, 1);
    assert.equal((await metric(/^isola_sidecar_component_retries_total\{component="fragile",operation="save"\}/)).length, 0);

    // Two failures in a row: open. Calls fail fast, naming the component and when it is tried again.
    const rejected = await test.call('/v1.0/state/fragile/k', { headers: admin() });
    assert.equal(rejected.status, 503);
    assert.ok(rejected.headers.get('retry-after'));
    const body = (await rejected.json()) as { errorCode: string; message: string };
    assert.equal(body.errorCode, 'ERR_CIRCUIT_OPEN');
    assert.match(body.message, /component "fragile".*tried again at/);
    assert.equal((await metric(/^isola_sidecar_circuit_state\{component="fragile"\} 2$/)).length, 1);

    await restarted;
    // Once Redis is back and the cooldown is over, a probe goes through and closes the circuit.
    let status = 0;
    const deadline = Date.now() + 15_000;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = (await test.call('/v1.0/state/fragile/k', { headers: admin() })).status;
    }
    assert.equal(status, 200);
    assert.equal((await metric(/^isola_sidecar_circuit_state\{component="fragile"\} 0$/)).length, 1);
    assert.equal((await metric(/^isola_sidecar_circuit_transitions_total\{component="fragile",from="half-open",to="closed"\} 1$/)).length, 1);
  });
});

/** Resolves once nothing listens on the port any more (the server stopped). */
async function waitUntilRefused(port: string): Promise<void> {
  for (let tries = 0; tries < 100; tries += 1) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the test Redis did not stop');
}
