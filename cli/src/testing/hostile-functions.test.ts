// Hostile functions (worker-pool/fixtures/hostile) against the real platform with one worker:
// each gets a clear error, and a well-behaved function on the same worker keeps answering.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { spawnPlatform, workerPids, type SpawnedPlatform } from './spawn-platform.js';

const fixtures = new URL('../../../worker-pool/fixtures/hostile/', import.meta.url);

interface Case {
  fixture: string;
  /** Appended to the function's URL. */
  query?: string;
  limits?: { timeoutMs?: number; memoryMb?: number };
  egress?: string[];
  status: number;
  code?: string;
  message?: RegExp;
  /** The answer must come within this many ms of the request. */
  withinMs?: number;
  /** Call the well-behaved neighbour while the hostile request is still running: it must answer promptly. */
  neighbourDuring?: boolean;
  check?: (response: Response) => Promise<void>;
}

const cases: Case[] = [
  { fixture: 'infinite-loop', limits: { timeoutMs: 300 }, status: 504, code: 'FUNCTION_TIMEOUT' },
  { fixture: 'never-settling-promise', limits: { timeoutMs: 300 }, status: 504, code: 'FUNCTION_TIMEOUT' },
  { fixture: 'microtask-flood', limits: { timeoutMs: 300 }, status: 504, code: 'FUNCTION_TIMEOUT' },
  { fixture: 'array-oom', limits: { memoryMb: 32 }, status: 502, code: 'FUNCTION_MEMORY_LIMIT' },
  { fixture: 'string-oom', limits: { memoryMb: 32 }, status: 502, code: 'FUNCTION_MEMORY_LIMIT' },
  { fixture: 'map-oom', limits: { memoryMb: 32 }, status: 502, code: 'FUNCTION_CRASHED' },
  { fixture: 'throws-on-load', status: 502, code: 'FUNCTION_LOAD_FAILED', message: /configuration missing at load time/ },
  { fixture: 'recursion-overflow', status: 502, code: 'FUNCTION_ERROR', message: /Maximum call stack size exceeded/ },
  { fixture: 'huge-response', status: 413, code: 'FUNCTION_RESPONSE_TOO_LARGE' },
  { fixture: 'wasm-infinite-loop', limits: { timeoutMs: 300 }, status: 504, code: 'FUNCTION_TIMEOUT' },
  { fixture: 'atomics-wait', limits: { timeoutMs: 300 }, status: 504, code: 'FUNCTION_TIMEOUT' },
  { fixture: 'builtin-sabotage', status: 502, code: 'FUNCTION_ERROR', message: /sabotaged/ },
  { fixture: 'invalid-status', status: 502, code: 'FUNCTION_ERROR', message: /status/i },
  { fixture: 'deep-json-response', status: 502, code: 'FUNCTION_ERROR', message: /call stack/ },
  {
    fixture: 'eval-escape',
    status: 200,
    check: async (response) =>
      assert.equal(await response.text(), 'process:ReferenceError,require:ReferenceError,Buffer:ReferenceError,global:ReferenceError,module:ReferenceError'),
  },
  { fixture: 'throws-non-error', status: 502, code: 'FUNCTION_ERROR' },
  { fixture: 'global-deletion', status: 502, code: 'FUNCTION_INVALID_RESPONSE' },
  {
    fixture: 'huge-log-output',
    status: 200,
    check: async (response) => assert.equal(await response.text(), 'logged a lot'),
  },
  {
    fixture: 'constructor-chain-escape',
    status: 200,
    check: async (response) =>
      assert.deepEqual(await response.json(), {
        functionConstructor: 'undefined',
        viaObject: 'undefined',
        viaRequest: 'undefined',
        viaCtx: 'undefined',
        viaError: 'undefined',
        viaCrypto: 'undefined',
        viaCryptoMethod: 'undefined',
        viaTimer: 'undefined',
        viaFetch: 'undefined',
        globals: [],
      }),
  },
  { fixture: 'timer-flood', limits: { timeoutMs: 500 }, status: 504, code: 'FUNCTION_TIMEOUT', withinMs: 2_000, neighbourDuring: true },
  { fixture: 'timer-flood', query: '?cap', status: 502, code: 'FUNCTION_ERROR', message: /setTimeout: this instance already has 10000 pending timers, the limit/ },
  {
    fixture: 'fetch-forbidden-host',
    egress: ['localhost'],
    status: 200,
    check: async (response) => {
      const notListed = (host: string) =>
        new RegExp(`^TypeError: fetch to \\S+ is not allowed: ${host.replace(/[.[\]]/g, '\\$&')} is not in this function's egress list; add "${host.replace(/[.[\]]/g, '\\$&')}" to egress in isola\\.yaml$`);
      const results = (await response.json()) as Record<string, string>;
      assert.match(results['https://api.example.com/'] ?? '', notListed('api.example.com'));
      assert.match(results['http://169.254.169.254/latest/meta-data/'] ?? '', notListed('169.254.169.254'));
      assert.match(results['http://127.0.0.1:6379/'] ?? '', notListed('127.0.0.1:6379'));
      assert.match(results['http://10.0.0.1/'] ?? '', notListed('10.0.0.1'));
      assert.match(results['http://[::1]:8080/'] ?? '', notListed('[::1]:8080'));
      assert.match(results['http://localhost:9/'] ?? '', /^TypeError: fetch to http:\/\/localhost:9 was refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address\./);
      assert.equal(results['file:///etc/passwd'], 'TypeError: fetch supports http: and https: URLs only, not file: (file:///etc/passwd)');
    },
  },
  {
    fixture: 'prototype-tampering',
    status: 200,
    check: async (response) => {
      assert.equal(response.headers.get('x-tampered'), '1');
      assert.equal(await response.text(), 'tampered but answering');
    },
  },
];

describe('a function that crashes its worker', () => {
  test('is blamed by name, then quarantined with a 503 until it is redeployed; bystanders keep working', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
    try {
      const mapOom = readFileSync(new URL('map-oom.js', fixtures), 'utf8');
      await platform.client.deploy({ name: 'map-oom', main: 'index.js', public: true, limits: { memoryMb: 32 } }, { 'index.js': mapOom });
      await platform.client.deploy({ name: 'well-behaved', main: 'index.js', public: true }, { 'index.js': readFileSync(new URL('well-behaved.js', fixtures), 'utf8') });
      const call = async (name: string) => {
        for (let attempt = 0; attempt < 50; attempt += 1) {
          const response = await fetch(`${platform.url}/fn/${name}/`, { signal: AbortSignal.timeout(20_000) });
          if (response.status !== 503 || name === 'map-oom') return response;
          await new Promise((resolve) => setTimeout(resolve, 100)); // the worker is being respawned
        }
        throw new Error(`${name} never answered`);
      };
      for (let crash = 1; crash <= 2; crash += 1) {
        const response = await call('map-oom');
        assert.equal(response.status, 502);
        const { error } = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(error.code, 'FUNCTION_CRASHED');
        assert.match(error.message, /this function's isolate hit a fatal V8 error/);
        assert.equal((await call('well-behaved')).status, 200);
      }
      const refused = await call('map-oom');
      assert.equal(refused.status, 503);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'FUNCTION_QUARANTINED');
      assert.match(error.message, /version 1 is quarantined: it crashed its worker 2 times.*redeploy/);
      assert.equal((await call('well-behaved')).status, 200);

      const fixed = await platform.client.deploy(
        { name: 'map-oom', main: 'index.js', public: true },
        { 'index.js': 'export default { fetch: () => new Response("fixed") };' },
      );
      assert.equal(fixed.version, 2);
      const afterRedeploy = await call('map-oom');
      assert.equal(afterRedeploy.status, 200);
      assert.equal(await afterRedeploy.text(), 'fixed');
    } finally {
      await platform.stop();
    }
  });
});

describe('a worker that stops answering', () => {
  test('is killed after the heartbeat timeout; its in-flight invocation fails with a 502 and a new worker serves', async () => {
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_HEARTBEAT_TIMEOUT_MS: '1000' } });
    try {
      await platform.client.deploy({ name: 'hang', main: 'index.js', public: true, limits: { timeoutMs: 60_000 } }, {
        'index.js': readFileSync(new URL('never-settling-promise.js', fixtures), 'utf8'),
      });
      await platform.client.deploy({ name: 'well-behaved', main: 'index.js', public: true }, { 'index.js': readFileSync(new URL('well-behaved.js', fixtures), 'utf8') });
      const [worker] = workerPids(platform);
      assert.ok(worker !== undefined);
      const pending = fetch(`${platform.url}/fn/hang/`, { signal: AbortSignal.timeout(20_000) });
      await new Promise((resolve) => setTimeout(resolve, 200));
      process.kill(worker, 'SIGSTOP'); // frozen: it can answer nothing, not even a heartbeat
      const started = Date.now();
      const response = await pending;
      assert.ok(Date.now() - started < 5_000, 'the frozen worker was not detected promptly');
      assert.equal(response.status, 502);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'FUNCTION_CRASHED');
      assert.match(error.message, /stopped answering heartbeats for 1000 ms/);
      let healthy = 0;
      for (let attempt = 0; attempt < 50 && healthy !== 200; attempt += 1) {
        healthy = (await fetch(`${platform.url}/fn/well-behaved/`)).status;
        if (healthy !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(healthy, 200);
    } finally {
      await platform.stop();
    }
  });
});

describe('a quick function that turns into an infinite loop', () => {
  test('is stopped by its CPU limit on the fast path; the worker is not taken for hung', async () => {
    // The heartbeat timeout is shorter than the function's timeoutMs on purpose.
    const platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_HEARTBEAT_TIMEOUT_MS: '1500' } });
    try {
      await platform.client.deploy({ name: 'turns', main: 'index.js', public: true, limits: { timeoutMs: 2_000 } }, {
        'index.js': readFileSync(new URL('loops-after-warming-up.js', fixtures), 'utf8'),
      });
      await platform.client.deploy({ name: 'well-behaved', main: 'index.js', public: true }, { 'index.js': readFileSync(new URL('well-behaved.js', fixtures), 'utf8') });
      for (let call = 0; call < 3; call += 1) {
        const quick = await fetch(`${platform.url}/fn/turns/`);
        assert.equal(await quick.text(), 'quick');
        assert.equal(quick.headers.get('x-isola-cold-start'), String(call === 0));
      }
      const started = Date.now();
      const looped = await fetch(`${platform.url}/fn/turns/?loop`, { signal: AbortSignal.timeout(20_000) });
      assert.equal(looped.status, 504);
      const { error } = (await looped.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'FUNCTION_TIMEOUT', error.message);
      assert.ok(Date.now() - started < 4_000, 'the loop was not stopped close to its limit');
      assert.equal((await fetch(`${platform.url}/fn/well-behaved/`)).status, 200);
      const again = await fetch(`${platform.url}/fn/turns/`);
      assert.equal(await again.text(), 'quick');
      assert.equal(again.headers.get('x-isola-cold-start'), 'true', 'the instance that looped must have been discarded');
    } finally {
      await platform.stop();
    }
  });
});

describe('hostile functions', () => {
  let platform: SpawnedPlatform;
  const deploy = (name: string, source: string, limits: Case['limits'] = {}, egress: string[] = []) =>
    platform.client.deploy({ name, main: 'index.js', public: true, limits, egress }, { 'index.js': source });

  before(async () => {
    platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_MAX_BODY_BYTES: String(1024 * 1024) } });
    await deploy('well-behaved', readFileSync(new URL('well-behaved.js', fixtures), 'utf8'));
  });
  after(() => platform.stop());

  for (const entry of cases) {
    test(`${entry.fixture}${entry.query ?? ''}: ${entry.code ?? entry.status}, and the worker keeps serving others`, async () => {
      await deploy(entry.fixture, readFileSync(new URL(`${entry.fixture}.js`, fixtures), 'utf8'), entry.limits, entry.egress);
      const started = performance.now();
      const pending = fetch(`${platform.url}/fn/${entry.fixture}/${entry.query ?? ''}`, { signal: AbortSignal.timeout(20_000) });
      if (entry.neighbourDuring) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        for (let call = 0; call < 3; call += 1) {
          const asked = performance.now();
          const neighbour = await fetch(`${platform.url}/fn/well-behaved/`, { signal: AbortSignal.timeout(10_000) });
          assert.equal(neighbour.status, 200);
          assert.ok(performance.now() - asked < 500, `the neighbour took ${Math.round(performance.now() - asked)} ms to answer`);
        }
      }
      const response = await pending;
      const elapsed = performance.now() - started;
      if (entry.withinMs !== undefined) assert.ok(elapsed < entry.withinMs, `answered after ${Math.round(elapsed)} ms`);
      assert.equal(response.status, entry.status);
      if (entry.code !== undefined) {
        const { error } = (await response.json()) as { error: { code: string; message: string } };
        assert.equal(error.code, entry.code, error.message);
        if (entry.message) assert.match(error.message, entry.message);
      }
      await entry.check?.(response);

      let healthy: Response | undefined;
      // After a worker crash the supervisor respawns it: allow it a moment.
      for (let attempt = 0; attempt < 50; attempt += 1) {
        healthy = await fetch(`${platform.url}/fn/well-behaved/`, { signal: AbortSignal.timeout(10_000) });
        if (healthy.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(healthy?.status, 200);
      assert.equal(((await healthy.json()) as { ok: boolean }).ok, true);
    });
  }
});
