// The sidecar that `isola up` starts, driven from outside with the unchanged Dapr JS SDK (an admin
// token in dapr-api-token), meeting real functions: service invocation of an RPC method, state a
// function reads through its binding, and a publish that reaches a function's queue() handler.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommunicationProtocolEnum, DaprClient, HttpMethod } from '@dapr/dapr';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

describe('the Dapr SDK against the sidecar of isola up', () => {
  let platform: SpawnedPlatform;
  let api: TestApi;
  let dapr: DaprClient;

  before(async () => {
    platform = await spawnPlatform();
    api = new TestApi(platform.url, platform.token);
    const sidecar = new URL(platform.sidecarUrl);
    dapr = new DaprClient({ daprHost: sidecar.hostname, daprPort: sidecar.port, daprApiToken: platform.token, communicationProtocol: CommunicationProtocolEnum.HTTP });
    await api.deploy('pricer', 'export default { quote(amount, rate) { return { total: amount * rate, by: this.ctx.invocationId.length > 0 } } };');
    await api.deploy('reader', 'export default { async fetch(request, env) { return Response.json(await env.STATE.get("greeting")); } };', {
      bindings: { STATE: { type: 'state', store: 'statestore' } },
    });
    await api.deploy(
      'orders-sink',
      'export default { async queue(batch, env) { for (const message of batch.messages) await env.STATE.put("last", message.body); } };',
      { queues: [{ topic: 'sdk-orders', batchSize: 1, maxBatchWaitMs: 0 }], bindings: { STATE: { type: 'state', store: 'statestore' } } },
    );
  });

  after(async () => {
    await dapr?.stop();
    await platform?.stop();
  });

  test('invoker.invoke calls a function RPC method and returns its result', async () => {
    assert.deepEqual(await dapr.invoker.invoke('pricer', 'quote', HttpMethod.POST, [20, 1.5]), { total: 30, by: true });
  });

  test('state saved by the SDK under a function prefix is what the function reads through its binding', async () => {
    // Outside callers (admin) address raw keys; a function's binding prefixes its keys with "<function>||".
    await dapr.state.save('statestore', [{ key: 'reader||greeting', value: { text: 'hello from the SDK' } }]);
    const answer = await api.call('GET', '/fn/reader/');
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json, { text: 'hello from the SDK' });
  });

  test('a message published with the SDK reaches the consuming function, which stores it through its binding', async () => {
    await dapr.pubsub.publish('pubsub', 'sdk-orders', { order: 42 });
    const stored = await eventually('the consumer to store the message', async () => {
      const value = (await dapr.state.get('statestore', 'orders-sink||last')) as unknown;
      return value === '' || value === undefined ? null : value;
    });
    assert.deepEqual(stored, { order: 42 });
  });

  test('callers without an admin token are refused', async () => {
    const anonymous = await fetch(`${platform.sidecarUrl}/v1.0/state/statestore/reader%7C%7Cgreeting`);
    assert.equal(anonymous.status, 401);
    const created = await api.call('POST', '/api/v1/tokens', { name: 'sdk-invoker', role: 'invoker' });
    assert.equal(created.status, 201, created.text);
    const invoker = await fetch(`${platform.sidecarUrl}/v1.0/state/statestore/reader%7C%7Cgreeting`, { headers: { 'dapr-api-token': created.json?.token as string } });
    assert.equal(invoker.status, 403);
  });
});
