// Compatibility: the unchanged Dapr JS SDK, over HTTP, against the sidecar (an outside caller
// with an admin token in dapr-api-token). Configuration is driven with raw HTTP: the SDK does
// not implement it over HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CommunicationProtocolEnum, DaprClient, HttpMethod, StateConcurrencyEnum, StateConsistencyEnum } from '@dapr/dapr';
import { queuePrefix, SecretStore, sidecarAuthToken, topicQueueName, type MessageJobData } from '@isola/core';
import { Queue } from 'bullmq';
import { defaultComponents } from './components/component-files.js';
import { startTestSidecar, type TestSidecar } from './testing/test-sidecar.js';

describe('the Dapr JS SDK against the sidecar', () => {
  let test: TestSidecar;
  let client: DaprClient;
  let gateway: Server;
  const gatewayRequests: { request: IncomingMessage; body: string }[] = [];

  before(async () => {
    gateway = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        gatewayRequests.push({ request, body });
        const args = JSON.parse(body) as number[];
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { sum: args.reduce((a, b) => a + b, 0) } }));
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const secretsDir = mkdtempSync(join(tmpdir(), 'isola-sidecar-secrets-'));
    writeFileSync(join(secretsDir, 'secrets.json'), JSON.stringify({ apiKey: 'k1', db: { password: 'p1' } }));
    test = await startTestSidecar({
      gatewayUrl: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
      components: () => [
        ...defaultComponents(),
        { name: 'localsecrets', type: 'secretstores.local.file', version: 'v1', metadata: { secretsFile: join(secretsDir, 'secrets.json') }, scopes: null, source: 'test' },
      ],
    });
    const port = new URL(test.sidecar.url).port;
    client = new DaprClient({ daprHost: '127.0.0.1', daprPort: port, daprApiToken: test.adminToken, communicationProtocol: CommunicationProtocolEnum.HTTP });
  });

  after(async () => {
    await client.stop();
    await test.stop();
    gateway.close();
  });

  it('saves, gets, deletes state', async () => {
    await client.state.save('statestore', [
      { key: 'sdk-a', value: { n: 1 } },
      { key: 'sdk-b', value: 'text' },
    ]);
    assert.deepEqual(await client.state.get('statestore', 'sdk-a'), { n: 1 });
    assert.equal(await client.state.get('statestore', 'sdk-b'), 'text');
    const deleted = await client.state.delete('statestore', 'sdk-b');
    assert.equal(deleted.error, undefined);
    assert.equal(await client.state.get('statestore', 'sdk-b'), '');
    // Stored like Dapr's state.redis, raw key for an outside caller, in database 1.
    const raw = test.redis.connect();
    await raw.select(1);
    assert.deepEqual(await raw.hgetall('sdk-a'), { data: '{"n":1}', version: '1' });
  });

  it('refuses a stale ETag (409) and takes the right one', async () => {
    await client.state.save('statestore', [{ key: 'sdk-etag', value: 1 }]);
    const stale = await client.state.save('statestore', [{ key: 'sdk-etag', value: 2, etag: '9', options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]);
    assert.match(String(stale.error), /"status":409/);
    assert.match(String(stale.error), /ERR_STATE_SAVE/);
    const fresh = await client.state.save('statestore', [{ key: 'sdk-etag', value: 2, etag: '1', options: { concurrency: StateConcurrencyEnum.CONCURRENCY_FIRST_WRITE, consistency: StateConsistencyEnum.CONSISTENCY_STRONG } }]);
    assert.equal(fresh.error, undefined);
    assert.equal(await client.state.get('statestore', 'sdk-etag'), 2);
  });

  it('gets in bulk and runs a transaction', async () => {
    await client.state.transaction('statestore', [
      { operation: 'upsert', request: { key: 'sdk-t1', value: 't1' } },
      { operation: 'upsert', request: { key: 'sdk-t2', value: { t: 2 } } },
      { operation: 'delete', request: { key: 'sdk-a' } },
    ]);
    const bulk = await client.state.getBulk('statestore', ['sdk-t1', 'sdk-t2', 'sdk-a']);
    assert.deepEqual(bulk, [
      { key: 'sdk-t1', data: 't1', etag: '1' },
      { key: 'sdk-t2', data: { t: 2 }, etag: '1' },
      { key: 'sdk-a' },
    ]);
  });

  it('publishes into the platform topic queue as a CloudEvent', async () => {
    const published = await client.pubsub.publish('pubsub', 'sdk-orders', { order: 7 });
    assert.equal(published.error, undefined);
    const queue = new Queue(topicQueueName('sdk-orders'), { connection: test.redis.connect(), prefix: queuePrefix });
    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    await queue.close();
    assert.equal(jobs.length, 1);
    const event = (jobs[0]?.data as MessageJobData).event;
    assert.deepEqual(event.data, { order: 7 });
    assert.equal(event.datacontenttype, 'application/json');
    assert.equal(event.topic, 'sdk-orders');
    assert.equal(event.pubsubname, 'pubsub');
  });

  it('reads secrets from a local file and from the platform store', async () => {
    assert.deepEqual(await client.secret.get('localsecrets', 'db:password'), { 'db:password': 'p1' });
    assert.deepEqual(await client.secret.getBulk('localsecrets'), { apiKey: { apiKey: 'k1' }, 'db:password': { 'db:password': 'p1' } });
    await new SecretStore(test.redis.redis, test.secretKey).put('billing', 'STRIPE_KEY', 'sk_test');
    assert.deepEqual(await client.secret.get('secretstore', 'billing:STRIPE_KEY'), { 'billing:STRIPE_KEY': 'sk_test' });
  });

  it('locks and unlocks with Dapr status codes', async () => {
    assert.deepEqual(await client.lock.lock('lockstore', 'sdk-res', 'owner-1', 30), { success: true });
    assert.deepEqual(await client.lock.lock('lockstore', 'sdk-res', 'owner-2', 30), { success: false });
    assert.deepEqual(await client.lock.unlock('lockstore', 'sdk-res', 'owner-2'), { status: 2 });
    assert.deepEqual(await client.lock.unlock('lockstore', 'sdk-res', 'owner-1'), { status: 0 });
    assert.deepEqual(await client.lock.unlock('lockstore', 'sdk-res', 'owner-1'), { status: 1 });
  });

  it('invokes a function method through the gateway', async () => {
    const result = await client.invoker.invoke('pricer', 'add', HttpMethod.POST, [2, 3], { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    assert.deepEqual(result, { sum: 5 });
    const forwarded = gatewayRequests.at(-1);
    assert.equal(forwarded?.request.url, '/api/v1/functions/pricer/rpc/add');
    assert.equal(forwarded?.body, '[2,3]');
    assert.equal(forwarded?.request.headers['x-isola-sidecar-token'], sidecarAuthToken(test.secretKey));
    assert.equal(forwarded?.request.headers['x-isola-call-depth'], '1');
    assert.equal(forwarded?.request.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.equal(forwarded?.request.headers['x-isola-function'], undefined);
  });

  it('serves configuration over raw HTTP', async () => {
    const raw = test.redis.connect();
    await raw.select(1);
    await raw.set('sdk-flag', 'on||3');
    const response = await test.call('/v1.0/configuration/configstore?key=sdk-flag&key=missing', { headers: { 'dapr-api-token': test.adminToken } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { 'sdk-flag': { value: 'on', version: '3', metadata: {} } });
  });
});
