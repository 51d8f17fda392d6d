// Secrets reach a real function as env.*, stay out of its captured logs, and a change takes
// effect on the next invocation: the worker's InstanceRegistry with real isolates, the real
// SecretStore and FunctionStore on a throwaway redis-server, and events wired as the worker does.
// Run with --no-node-snapshot (every process that loads isolated-vm needs it).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  FunctionStore,
  instanceKey,
  parseManifest,
  SecretStore,
  type FunctionRef,
  type InvocationOutcome,
  type InvocationRequest,
} from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { ModuleCodeCache } from '../sandbox/function-instance.js';
import { PreparedIsolatePool } from '../sandbox/prepared-isolate.js';
import { RuntimeScript } from '../sandbox/runtime-script.js';
import { applyFunctionEvent } from './function-events.js';
import { InstanceRegistry, type SecretValues } from './instance-registry.js';
import { runInvocation } from './run-invocation.js';
import { VersionSource } from './version-source.js';

const code = `export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/slow') await new Promise((resolve) => setTimeout(resolve, 300));
    if (path === '/throw') throw new Error('refused with ' + env.API_KEY);
    console.log('the key is', env.API_KEY);
    console.log({ nested: { quoted: env.QUOTED } });
    console.log('short ones stay:', env.PIN);
    return Response.json({ API_KEY: env.API_KEY, GREETING: env.GREETING, SHADOWED: env.SHADOWED, keys: Object.keys(env).sort() });
  },
};`;

let server: TestRedis;
let functions: FunctionStore;
let secrets: SecretStore;
let pool: PreparedIsolatePool;
let registry: InstanceRegistry;
let unsubscribe: () => Promise<void>;
const evicted: string[] = [];
/** Lets a test hold the next load between its secrets read and its use (taken by that load). */
let holdSecretsRead: Promise<void> | null = null;
let fn: FunctionRef;
const limits = { memoryMb: 64, timeoutMs: 2_000, concurrency: 4 };

before(async () => {
  server = await startTestRedis();
  functions = new FunctionStore(server.redis);
  secrets = new SecretStore(server.redis, randomBytes(32));
  pool = new PreparedIsolatePool(new RuntimeScript(), { memoryMb: 64, size: 1, maxSizes: 2, onCatastrophicError: () => process.abort() });
  const versions = new VersionSource(functions);
  const secretValues: SecretValues = {
    values: async (name) => {
      const values = await secrets.values(name);
      const hold = holdSecretsRead;
      holdSecretsRead = null;
      if (hold !== null) await hold;
      return values;
    },
  };
  registry = new InstanceRegistry(
    versions,
    secretValues,
    pool,
    { maxLogBytes: 64 * 1024, maxResponseBytes: 1024 * 1024, maxFetches: 10, codeCache: new ModuleCodeCache() },
    { idleTtlMs: 60_000, memoryBudgetBytes: 512 * 1024 * 1024, maxInstances: 100 },
    (keys) => evicted.push(...keys),
  );
  unsubscribe = await FunctionStore.subscribe(server.connect(), (event) => applyFunctionEvent(event, versions, registry));
  const manifest = parseManifest({ name: 'secretive', main: 'index.js', limits, vars: { GREETING: 'hello', SHADOWED: 'from vars' } });
  const deployed = await functions.deploy({ manifest, code, codeHash: 'secretive-1', files: { 'index.js': code }, author: 'admin' });
  fn = { name: deployed.name, version: deployed.version, codeHash: deployed.codeHash };
  await secrets.put('secretive', 'API_KEY', 'sk_live_first_value');
  await secrets.put('secretive', 'QUOTED', 'has "quotes" and \\ backslash');
  await secrets.put('secretive', 'PIN', '123');
  await secrets.put('secretive', 'SHADOWED', 'from secrets');
});

after(async () => {
  await unsubscribe();
  registry.close();
  pool.close();
  await server.stop();
});

let invocations = 0;
function invoke(path = '/', concurrency = limits.concurrency): Promise<InvocationOutcome> {
  invocations += 1;
  const request: InvocationRequest = {
    invocationId: `inv-${invocations}`,
    function: fn,
    limits: { ...limits, concurrency },
    trigger: 'http',
    request: { method: 'GET', url: `https://fn.example${path}`, headers: [] },
  };
  return runInvocation(registry, request, 'test-worker');
}

function body(outcome: InvocationOutcome): Record<string, unknown> {
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  const response = (outcome as Extract<InvocationOutcome, { ok: true }>).response;
  return JSON.parse(new TextDecoder().decode(response.body)) as Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 300 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), what);
}

/** Sets a secret and waits for the worker-side eviction its event causes. */
async function putAndAwaitEviction(name: string, value: string): Promise<void> {
  evicted.length = 0;
  await secrets.put('secretive', name, value);
  await until(() => evicted.includes(instanceKey(fn)), `the ${name} change evicts ${instanceKey(fn)}`);
}

test('env holds the vars and the decrypted secrets; a secret wins over a var of the same name', async () => {
  const outcome = await invoke();
  assert.equal(outcome.coldStart, true);
  assert.deepEqual(body(outcome), {
    API_KEY: 'sk_live_first_value',
    GREETING: 'hello',
    SHADOWED: 'from secrets',
    keys: ['API_KEY', 'GREETING', 'PIN', 'QUOTED', 'SHADOWED'],
  });
  const warm = await invoke();
  assert.equal(warm.coldStart, false);
});

test('console lines carry the secret names, never their values (also inside JSON); values under 4 characters are left alone', async () => {
  const outcome = await invoke();
  const messages = outcome.logs.map((line) => line.message);
  assert.deepEqual(messages, [
    'the key is [secret API_KEY redacted]',
    '{"nested":{"quoted":"[secret QUOTED redacted]"}}',
    'short ones stay: 123',
  ]);
  assert.ok(!JSON.stringify(outcome.logs).includes('sk_live'));
});

test("an error message is redacted too; the response body is the function's own and is not", async () => {
  const failed = await invoke('/throw');
  assert.equal(failed.ok, false);
  const { error } = failed as Extract<InvocationOutcome, { ok: false }>;
  assert.equal(error.code, 'FUNCTION_ERROR');
  assert.match(error.message, /refused with \[secret API_KEY redacted\]/);
  assert.ok(!error.message.includes('sk_live'));
  assert.equal(body(await invoke()).API_KEY, 'sk_live_first_value');
});

test('after a secrets event the instance is evicted and the next invocation loads with the new value', async () => {
  assert.equal(registry.holds(instanceKey(fn)), true);
  await putAndAwaitEviction('API_KEY', 'sk_live_second_value');
  assert.equal(registry.holds(instanceKey(fn)), false);
  const outcome = await invoke();
  assert.equal(outcome.coldStart, true);
  assert.equal(body(outcome).API_KEY, 'sk_live_second_value');
  assert.equal(outcome.logs[0]?.message, 'the key is [secret API_KEY redacted]');
  await secrets.delete('secretive', 'SHADOWED');
  await until(() => !registry.holds(instanceKey(fn)), 'a delete evicts too');
  assert.equal(body(await invoke()).SHADOWED, 'from vars');
});

test('a busy instance finishes its invocation with the old env, then goes; the next one sees the new value', async () => {
  assert.equal(body(await invoke()).API_KEY, 'sk_live_second_value');
  const slow = invoke('/slow');
  await new Promise((resolve) => setTimeout(resolve, 50));
  await putAndAwaitEviction('API_KEY', 'sk_live_third_value');
  const fresh = await invoke();
  assert.equal(fresh.coldStart, true);
  assert.equal(body(fresh).API_KEY, 'sk_live_third_value');
  const finished = await slow;
  assert.equal(body(finished).API_KEY, 'sk_live_second_value');
  // The retired instance took nothing new after its invocation ended.
  assert.equal(body(await invoke()).API_KEY, 'sk_live_third_value');
});

test('a load that read the secrets before an event is thrown away: its invocation gets a fresh load', async () => {
  registry.evictFunction('secretive');
  let release!: () => void;
  holdSecretsRead = new Promise<void>((resolve) => (release = resolve));
  const pending = invoke();
  await sleep(50); // the load has read the old value and waits
  await putAndAwaitEviction('API_KEY', 'sk_live_fourth_value');
  release();
  assert.equal(body(await pending).API_KEY, 'sk_live_fourth_value');
});

test('an invocation waiting on a load when its function is evicted never gets the retired instance', async () => {
  const slow = invoke('/slow', 1); // concurrency 1: the next invocation needs another instance
  await sleep(20);
  let release!: () => void;
  holdSecretsRead = new Promise<void>((resolve) => (release = resolve));
  const queued = invoke('/', 1); // its load reads the old value, then is held
  await sleep(20);
  await putAndAwaitEviction('API_KEY', 'sk_live_fifth_value');
  assert.equal(body(await slow).API_KEY, 'sk_live_fourth_value');
  await sleep(20); // the retired instance is free now, and must not take the waiting invocation
  release(); // the held load is stale: thrown away, and loaded again with the new value
  const outcome = await queued;
  assert.equal(body(outcome).API_KEY, 'sk_live_fifth_value');
  assert.equal(outcome.coldStart, true);
});

test('evictAll() takes every function out of use (the worker calls it when its event subscription reconnects)', async () => {
  assert.equal(body(await invoke()).API_KEY, 'sk_live_fifth_value');
  evicted.length = 0;
  registry.evictAll();
  assert.deepEqual(evicted, [instanceKey(fn)]);
  assert.equal(registry.holds(instanceKey(fn)), false);
});

test('a deleted event evicts every instance, and the deploy its event carried is no longer loaded from memory', async () => {
  assert.equal(body(await invoke()).API_KEY, 'sk_live_fifth_value');
  evicted.length = 0;
  // What the control plane's delete does: the version is gone from Redis, then the event.
  await server.redis.del(`isola:fn:secretive:v:${fn.version}`);
  await server.redis.publish('isola:events', JSON.stringify({ type: 'deleted', name: 'secretive' }));
  await until(() => evicted.includes(instanceKey(fn)), 'deleted evicts');
  assert.equal(registry.holds(instanceKey(fn)), false);
  const outcome = await invoke();
  assert.equal(outcome.ok, false);
  assert.equal((outcome as Extract<InvocationOutcome, { ok: false }>).error.code, 'FUNCTION_NOT_FOUND');
});
