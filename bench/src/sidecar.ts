// (e) Bindings and RPC: what a binding call costs a function, what the sidecar adds to one Redis
// read, and the gRPC trigger. Measured on the real platform in one run against baselines taken in
// the same minute: the same function without the call, and the same Redis command from ioredis.
import { Agent, request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { BenchPlatform } from './bench-platform.js';
import { wrk, type LoadResult } from './wrk.js';

export interface SidecarResult {
  /** wrk through /fn/noop/ and /fn/stateget/ (one `env.STATE.get` per request), by connections. */
  noop: LoadResult[];
  binding: LoadResult[];
  /** Sequential reads of one key: the sidecar's state API over HTTP vs the Redis command it makes. */
  sidecarGetMs: number[];
  redisGetMs: number[];
  grpc: GrpcResult;
}

export interface GrpcResult {
  /** Sequential Invoke calls of a no-op method on one channel. */
  sequentialMs: number[];
  inFlight: number;
  requestsPerSecond: number;
}

export const sidecarConnectionLevels = [1, 10];
const stateKey = 'k';
const sequentialReads = 2_000;
const sequentialCalls = 2_000;
const grpcInFlight = 32;

const noopSource = "export default { fetch: () => new Response('ok'), noop() { return null; } };\n";
const stateGetSource = `export default {
  async fetch(request, env) {
    const value = await env.STATE.get('${stateKey}');
    return new Response(value === null ? 'missing' : 'ok');
  },
};
`;

export async function measureSidecar(platform: BenchPlatform, durationSeconds: number): Promise<SidecarResult> {
  await platform.deploy({ name: 'noop', main: 'index.js', public: true }, { 'index.js': noopSource });
  await platform.deploy(
    { name: 'stateget', main: 'index.js', public: true, bindings: { STATE: { type: 'state', store: 'statestore' } } },
    { 'index.js': stateGetSource },
  );
  const sidecar = new SidecarClient(platform.sidecarUrl, platform.token);
  // The function's key, as its binding prefixes it (keyPrefix appid: "<function>||<key>").
  const storedKey = `stateget||${stateKey}`;
  await sidecar.save(storedKey, 'hello');
  try {
    const noop: LoadResult[] = [];
    const binding: LoadResult[] = [];
    for (const connections of sidecarConnectionLevels) {
      for (const [label, path, into] of [
        ['noop', '/fn/noop/', noop],
        ['stateget', '/fn/stateget/', binding],
      ] as const) {
        console.log(`  ${label}: ${connections} connection(s), ${durationSeconds} s`);
        if (connections === sidecarConnectionLevels[0]) await wrk(`${platform.url}${path}`, 4, 1); // warm every worker's instance
        into.push(failOnErrors(await wrk(`${platform.url}${path}`, connections, durationSeconds), label));
      }
    }
    console.log(`  sidecar GET vs ioredis: ${sequentialReads} sequential reads each`);
    const sidecarGetMs = await timeEach(sequentialReads, () => sidecar.get(storedKey));
    const redisGetMs = await timeRedisReads(platform.redisUrl, storedKey);
    console.log(`  gRPC Invoke: ${sequentialCalls} sequential, then ${durationSeconds} s at ${grpcInFlight} in flight`);
    const grpcResult = await measureGrpc(platform, durationSeconds);
    return { noop, binding, sidecarGetMs, redisGetMs, grpc: grpcResult };
  } finally {
    sidecar.close();
  }
}

function failOnErrors(result: LoadResult, label: string): LoadResult {
  if (result.errors > 0 || !(result.requestsPerSecond > 0)) throw new Error(`${label} at ${result.connections} connection(s): ${result.errors} failed request(s)`);
  return result;
}

async function timeEach(count: number, call: () => Promise<unknown>): Promise<number[]> {
  for (let index = 0; index < 200; index += 1) await call(); // warm-up
  const times: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return times;
}

/** The command state.redis makes for a get (the default components live in Redis DB 1). */
async function timeRedisReads(redisUrl: string, key: string): Promise<number[]> {
  const redis = new Redis(redisUrl, { db: 1 });
  try {
    const found = await redis.hgetall(key);
    if (Object.keys(found).length === 0) throw new Error(`the bench key ${key} is not in Redis DB 1 as a hash: the state store's layout changed, update bench/src/sidecar.ts`);
    return await timeEach(sequentialReads, () => redis.hgetall(key));
  } finally {
    redis.disconnect();
  }
}

/** The sidecar's Dapr state API with an admin dapr-api-token, over keep-alive node:http (a cheap client). */
class SidecarClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async save(key: string, value: unknown): Promise<void> {
    const { status, body } = await this.send('POST', '/v1.0/state/statestore', JSON.stringify([{ key, value }]));
    if (status !== 204) throw new Error(`saving the bench key through the sidecar answered ${status}: ${body}`);
  }

  async get(key: string): Promise<string> {
    const { status, body } = await this.send('GET', `/v1.0/state/statestore/${encodeURIComponent(key)}`);
    if (status !== 200) throw new Error(`GET of the bench key through the sidecar answered ${status}: ${body}`);
    return body;
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = { 'dapr-api-token': this.token };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return new Promise((resolve, reject) => {
      const request = httpRequest(new URL(path, this.url), { method, headers, agent: this.agent }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }
}

type InvokeCall = (request: object, metadata: grpc.Metadata, callback: (error: grpc.ServiceError | null, reply?: { jsonResult: string }) => void) => void;

async function measureGrpc(platform: BenchPlatform, durationSeconds: number): Promise<GrpcResult> {
  const require = createRequire(import.meta.url);
  const protoPath = require.resolve('@isola/core/proto/isola/v1/invoker.proto');
  const definition = protoLoader.loadSync(protoPath, { keepCase: false, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as { isola: { v1: { Invoker: grpc.ServiceClientConstructor } } };
  const client = new loaded.isola.v1.Invoker(`127.0.0.1:${platform.grpcPort}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${platform.token}`);
  const invoke = (client as unknown as { Invoke: InvokeCall }).Invoke.bind(client);
  const call = () =>
    new Promise<void>((resolve, reject) => {
      invoke({ function: 'noop', method: 'noop', jsonArgs: '[]' }, metadata, (error) => (error === null ? resolve() : reject(new Error(`gRPC Invoke failed: ${error.message}`))));
    });
  try {
    const sequentialMs = await timeEach(sequentialCalls, call);
    let done = 0;
    const until = performance.now() + durationSeconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: grpcInFlight }, async () => {
        while (performance.now() < until) {
          await call();
          done += 1;
        }
      }),
    );
    return { sequentialMs, inFlight: grpcInFlight, requestsPerSecond: done / ((performance.now() - started) / 1000) };
  } finally {
    client.close();
  }
}
