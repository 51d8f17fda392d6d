// The worker pool's instance lifecycle against the real platform: idle instances scale to
// zero, a worker's memory budget and instance cap evict the least recently used, workers are
// recycled by invocation count or resident memory without failing a request, and every
// response reports the invocation's CPU time and heap.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { spawnPlatform, workerPids, type SpawnedPlatform } from './spawn-platform.js';

const quick = 'export default { fetch: (request) => Response.json({ ok: true, url: request.url }) };';

async function deployQuick(platform: SpawnedPlatform, name: string): Promise<void> {
  await platform.client.deploy({ name, main: 'index.js', public: true }, { 'index.js': `${quick}\n// ${name}\n` });
}

async function coldStart(platform: SpawnedPlatform, name: string): Promise<boolean> {
  const response = await fetch(`${platform.url}/fn/${name}/`);
  assert.equal(response.status, 200, await response.clone().text());
  await response.arrayBuffer();
  return response.headers.get('x-isola-cold-start') === 'true';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('instances', () => {
  test('an idle instance is disposed after ISOLA_INSTANCE_IDLE_TTL_MS; the next call is cold', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_INSTANCE_IDLE_TTL_MS: '300' } });
    try {
      await deployQuick(platform, 'idle');
      assert.equal(await coldStart(platform, 'idle'), true);
      assert.equal(await coldStart(platform, 'idle'), false);
      await sleep(1_000);
      assert.equal(await coldStart(platform, 'idle'), true, 'the idle instance was kept past its TTL');
    } finally {
      await platform.stop();
    }
  });

  test('an instance takes up to limits.concurrency interleaved invocations; more load more instances', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
    try {
      // Each instance names itself once, at load; every invocation waits long enough to overlap.
      const source = `const instance = String(Math.random());
        export default { async fetch() { await new Promise((resolve) => setTimeout(resolve, 300)); return new Response(instance); } };`;
      for (const [name, concurrency] of [['pairs', 2], ['singles', 1]] as const) {
        await platform.client.deploy({ name, main: 'index.js', public: true, limits: { concurrency } }, { 'index.js': source });
        const served = await Promise.all(Array.from({ length: 6 }, async () => (await fetch(`${platform.url}/fn/${name}/`)).text()));
        const perInstance = new Map<string, number>();
        for (const instance of served) perInstance.set(instance, (perInstance.get(instance) ?? 0) + 1);
        assert.deepEqual([...perInstance.values()].sort(), Array.from({ length: 6 / concurrency }, () => concurrency), `${name}: ${served.join(', ')}`);
      }
    } finally {
      await platform.stop();
    }
  });

  test('beyond ISOLA_WORKER_MAX_INSTANCES the least recently used instance is evicted', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_WORKER_MAX_INSTANCES: '3' } });
    try {
      for (const name of ['a', 'b', 'c', 'd']) await deployQuick(platform, name);
      for (const name of ['a', 'b', 'c']) assert.equal(await coldStart(platform, name), true);
      assert.equal(await coldStart(platform, 'a'), false); // a is now the most recent; b the least
      assert.equal(await coldStart(platform, 'd'), true);
      assert.equal(await coldStart(platform, 'a'), false);
      assert.equal(await coldStart(platform, 'c'), false);
      assert.equal(await coldStart(platform, 'b'), true, 'b, the least recently used, should have been evicted');
    } finally {
      await platform.stop();
    }
  });

  test('beyond ISOLA_WORKER_MEMORY_BUDGET_MB the least recently used instances are evicted', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_WORKER_MEMORY_BUDGET_MB: '16' } });
    try {
      const names = Array.from({ length: 40 }, (_, index) => `m${index}`);
      for (const name of names) await deployQuick(platform, name);
      for (const name of names) assert.equal(await coldStart(platform, name), true);
      // Each isolate's heap is at least ~1 MB: 16 MB cannot hold 40 of them.
      assert.equal(await coldStart(platform, 'm39'), false, 'the most recent instance should be kept');
      assert.equal(await coldStart(platform, 'm0'), true, 'the least recently used instance should have been evicted');
    } finally {
      await platform.stop();
    }
  });

  test('responses carry the invocation CPU time and heap in Server-Timing; /metrics counts them', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
    try {
      await deployQuick(platform, 'timed');
      for (let call = 0; call < 3; call += 1) {
        const response = await fetch(`${platform.url}/fn/timed/`);
        await response.arrayBuffer();
        const timing = response.headers.get('server-timing') ?? '';
        const cpu = Number(/cpu;dur=([\d.]+)/.exec(timing)?.[1]);
        const heap = Number(/heap;desc="(\d+) bytes used"/.exec(timing)?.[1]);
        assert.ok(cpu > 0 && cpu < 1_000, `cpu time in ${timing}`);
        assert.ok(heap > 100_000 && heap < 64 * 1024 * 1024, `heap in ${timing}`);
      }
      const metrics = await (await fetch(`${platform.url}/metrics`)).text();
      assert.match(metrics, /^isola_invocations_total\{function="timed",status="200",code=""\} 3$/m);
      assert.match(metrics, /^isola_cold_starts_total\{function="timed"\} 1$/m);
      assert.match(metrics, /^isola_invocation_cpu_seconds_count\{function="timed"\} 3$/m);
      assert.match(metrics, /^isola_instance_heap_bytes\{function="timed"\} [1-9]\d{5,}$/m);
      assert.match(metrics, /^isola_workers_ready 1$/m);
    } finally {
      await platform.stop();
    }
  });
});

describe('worker recycling', () => {
  test('after ISOLA_WORKER_MAX_INVOCATIONS a worker is replaced; no request fails meanwhile', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_WORKER_MAX_INVOCATIONS: '10' } });
    try {
      await deployQuick(platform, 'many');
      const seen = new Set(workerPids(platform));
      // A replacement takes a fork and a pool fill (~100-200 ms); the old worker serves meanwhile.
      for (let round = 0; round < 60 && seen.size < 3; round += 1) {
        // Sequential and concurrent calls, while workers are being replaced.
        const statuses = await Promise.all(Array.from({ length: 8 }, () => fetch(`${platform.url}/fn/many/`).then((response) => response.status)));
        assert.deepEqual(statuses, Array.from({ length: 8 }, () => 200));
        assert.equal(await coldStart(platform, 'many').then(() => 200), 200);
        for (const pid of workerPids(platform)) seen.add(pid);
        await sleep(100);
      }
      assert.ok(seen.size >= 3, `expected the worker to be recycled repeatedly, saw pids ${[...seen].join(', ')}`);
      // A replacement may still be starting; once it has, the drained worker must be gone.
      let pids = workerPids(platform);
      for (let attempt = 0; attempt < 50 && pids.length !== 1; attempt += 1) {
        await sleep(100);
        pids = workerPids(platform);
      }
      assert.equal(pids.length, 1, 'drained workers must exit');
    } finally {
      await platform.stop();
    }
  });

  test('a worker whose resident memory passes ISOLA_WORKER_MAX_RSS_MB is replaced', async () => {
    const platform = await spawnPlatform({
      env: { ISOLA_WORKERS: '1', ISOLA_WORKER_MAX_RSS_MB: '1', ISOLA_HEARTBEAT_TIMEOUT_MS: '1500' },
    });
    try {
      await deployQuick(platform, 'heavy');
      const [first] = workerPids(platform);
      assert.equal(await coldStart(platform, 'heavy'), true);
      let replaced = false;
      for (let attempt = 0; attempt < 50 && !replaced; attempt += 1) {
        await sleep(100);
        const pids = workerPids(platform);
        replaced = pids.length === 1 && pids[0] !== first;
      }
      assert.ok(replaced, 'the worker over its RSS limit was not replaced');
      // A new pid may still be loading (503 OVERLOADED "they may be restarting") under load: wait for it.
      const readyStatus = async () => {
        const answer = await fetch(`${platform.url}/readyz`);
        await answer.arrayBuffer();
        return answer.status;
      };
      for (let attempt = 0; attempt < 100 && (await readyStatus()) !== 200; attempt += 1) await sleep(100);
      // The new worker has not run anything: it is not recycled again until it has.
      assert.equal(await coldStart(platform, 'heavy'), true);
    } finally {
      await platform.stop();
    }
  });
});
