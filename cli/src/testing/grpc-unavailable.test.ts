import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { invokerProto } from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { TestApi } from './e2e-helpers.js';
import { spawnRole, type SpawnedRole } from './spawn-platform.js';

// The gRPC trigger's UNAVAILABLE: a gateway (`isola gateway`) whose platform has no worker node
// to run the call answers NOT_READY, which a gRPC client must see as UNAVAILABLE (retry later).

let redis: TestRedis;
let gateway: SpawnedRole;
const token = `test_${randomBytes(16).toString('hex')}`;

before(async () => {
  redis = await startTestRedis();
  gateway = await spawnRole('gateway', { REDIS_URL: redis.url, ISOLA_SECRET_KEY: randomBytes(32).toString('base64'), ISOLA_ADMIN_TOKEN: token });
});

after(async () => {
  await gateway?.stop(10_000);
  await redis?.stop();
});

test('UNAVAILABLE, with the NOT_READY code in the trailers, when no worker node can take the call', async () => {
  await new TestApi(gateway.url, token).deploy('lonely', 'export default { ping() { return "pong"; } };');
  const definition = protoLoader.loadSync(invokerProto.file, { includeDirs: [invokerProto.includeDir], defaults: true });
  const { Invoker } = (grpc.loadPackageDefinition(definition) as unknown as { isola: { v1: { Invoker: grpc.ServiceClientConstructor } } }).isola.v1;
  const client = new Invoker(gateway.grpcAddress as string, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  try {
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.Invoke!({ function: 'lonely', method: 'ping', jsonArgs: '[]' }, metadata, (failure: grpc.ServiceError | null) => resolve(failure));
    });
    assert.ok(error !== null, 'the call succeeded without any worker node');
    assert.equal(error.code, grpc.status.UNAVAILABLE, `${grpc.status[error.code]}: ${error.details}`);
    assert.deepEqual(error.metadata.get('x-isola-error-code'), ['NOT_READY']);
  } finally {
    client.close();
  }
});
