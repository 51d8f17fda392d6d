// Timers, crypto and the instance lifecycle as functions use them: real isolates prepared as the
// worker prepares them, functions loaded through FunctionInstance. fetch has its own file
// (bridges/outbound-fetch.test.ts). Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { DispatchOutcome } from './function-instance.js';
import { prepareIsolate } from './prepared-isolate.js';
import { classifyVmError } from './vm-errors.js';
import { disposeLoaded, invoke, json, load, messages, runtime } from './testing/loaded-function.js';

after(disposeLoaded);

describe('timers', () => {
  test('numeric ids, arguments, `this` undefined; a callback that throws is logged and the others still run', async () => {
    const fn = await load(`export default { async fetch() {
      const seen = [];
      const ids = [setTimeout(() => {}, 1000), setInterval(() => {}, 1000), setTimeout(() => {}, 1000)];
      ids.forEach(clearTimeout);
      await new Promise((resolve) => {
        setTimeout(function (a, b) { seen.push([this === undefined, a, b]); }, 1, 'first', 2);
        setTimeout(() => { throw new RangeError('timer boom'); }, 2);
        setTimeout(resolve, 10);
      });
      return Response.json({ ids, seen });
    } };`);
    const outcome = await invoke(fn);
    const { ids, seen } = (await json(outcome)) as { ids: unknown[]; seen: unknown[] };
    assert.ok(ids.every((id) => typeof id === 'number' && id > 0), JSON.stringify(ids));
    assert.deepEqual(ids, [...(ids as number[])].sort((a, b) => a - b));
    assert.deepEqual(seen, [[true, 'first', 2]]);
    assert.match(messages(outcome.logs).join('\n'), /^error: \[isola\] uncaught error in a setTimeout callback: RangeError: timer boom/m);
  });

  test('timers nested more than five deep wait at least 4 ms each, as in browsers; a long chain never stalls', async () => {
    const fn = await load(`export default { async fetch() {
      const started = Date.now();
      await new Promise((resolve) => { let depth = 0; const next = () => (++depth === 100 ? resolve() : setTimeout(next, 0)); setTimeout(next, 0); });
      return Response.json({ elapsed: Date.now() - started });
    } };`);
    const { elapsed } = (await json(await invoke(fn))) as { elapsed: number };
    assert.ok(elapsed >= 94 * 4 - 2, `100 nested zero-delay timers took only ${elapsed} ms`);
  });

  test('at most 10,000 pending timers per instance: then a RangeError; the count starts over after the invocation', async () => {
    const fn = await load(`export default { async fetch() {
      let created = 0; let error;
      try { for (;;) { setTimeout(() => {}, 1e9); created += 1; } } catch (e) { error = e.name + ': ' + e.message; }
      return Response.json({ created, error });
    } };`);
    for (let round = 0; round < 2; round += 1) {
      const { created, error } = (await json(await invoke(fn))) as { created: number; error: string };
      assert.equal(created, 10_000);
      assert.match(error, /^RangeError: setTimeout: this instance already has 10000 pending timers, the limit/);
    }
  });

  test('pending timers are cancelled when the last invocation ends; none may be set outside an invocation', async () => {
    const fn = await load(`export default { async fetch(request) {
      if (new URL(request.url).pathname === '/leave') { setTimeout(() => console.log('ran after the response'), 30); setInterval(() => console.log('interval after the response'), 5); }
      return new Response('ok');
    } };`);
    assert.equal((await invoke(fn, '/leave')).ok, true);
    await new Promise((resolve) => setTimeout(resolve, 80));
    const later = await invoke(fn, '/');
    assert.deepEqual(later.logs, []);

    for (const statement of ['setTimeout(() => {}, 1);', 'setInterval(() => {}, 1);', 'await fetch("https://example.com/");']) {
      await assert.rejects(load(`${statement}\nexport default { fetch: () => new Response('x') };`), (error: { code: string; message: string }) => {
        assert.equal(error.code, 'FUNCTION_LOAD_FAILED');
        assert.match(error.message, /can only be used while the function handles a request: not at the module's top level/);
        return true;
      });
    }
  });

  test('a callback that runs out of CPU time ends the invocation with FUNCTION_TIMEOUT and discards the instance', async () => {
    const fn = await load(`export default { async fetch() { await new Promise(() => setTimeout(() => { for (;;) {} }, 1)); } };`, { timeoutMs: 300 });
    const started = performance.now();
    const outcome = await invoke(fn);
    assert.equal(outcome.ok, false);
    assert.equal((outcome as Extract<DispatchOutcome, { ok: false }>).error.code, 'FUNCTION_TIMEOUT');
    assert.ok(performance.now() - started < 1_500, `took ${performance.now() - started} ms`);
    assert.equal(fn.usable, false);
  });
});

describe('a handler that can never answer', () => {
  test('waiting on a promise nothing can settle is a FUNCTION_TIMEOUT, and the instance and its timers go', async () => {
    // The churning timer makes the collector run; when a full collection finds the promise the
    // invocation ends early ("can never finish"), otherwise the deadline ends it. Which one comes
    // first depends on the collector's timing on the machine, so both are accepted here.
    const fn = await load(
      `let ticks = 0; export default { fetch(request) {
        if (new URL(request.url).pathname === '/ticks') return new Response(String(ticks));
        const churn = () => { ticks += 1; const garbage = []; for (let i = 0; i < 20000; i += 1) garbage.push({ i }); setTimeout(churn, 1); };
        churn();
        return new Promise(() => {});
      } };`,
      { timeoutMs: 1_500 },
    );
    const started = performance.now();
    const outcome = await invoke(fn);
    assert.equal(outcome.ok, false);
    const { error } = outcome as Extract<DispatchOutcome, { ok: false }>;
    assert.equal(error.code, 'FUNCTION_TIMEOUT');
    assert.match(error.message, /^(the function can never finish: it waits on a promise that nothing can settle any more|the function ran longer than limits.timeoutMs \(1500 ms\))/);
    assert.ok(performance.now() - started < 4_000, `ended by the deadline at the latest, took ${performance.now() - started} ms`);
    assert.equal(fn.usable, false, 'an instance whose invocation never ended keeps running its timers: it must go');
  });

  test('an abandoned promise reported by isolated-vm maps to FUNCTION_TIMEOUT naming the cause', () => {
    const shape = classifyVmError(new Error('Promise was abandoned'), { timeoutMs: 1_000, memoryMb: 64, phase: 'run' });
    assert.equal(shape.code, 'FUNCTION_TIMEOUT');
    assert.match(shape.message, /^the function can never finish: it waits on a promise that nothing can settle any more \(found before limits.timeoutMs, 1000 ms, ran out\)$/);
  });
});

describe('timer callbacks without a wall clock', () => {
  test('a callback past its CPU limit is stopped and reported as a FUNCTION_TIMEOUT fault, even while no deadline watches', async () => {
    const prepared = await prepareIsolate(runtime, { memoryMb: 64, onCatastrophicError: () => process.abort() });
    try {
      prepared.bridges.configure({ egress: [], timeoutMs: 150, memoryMb: 64, maxFetches: 1, maxFetchResponseBytes: 1024 });
      const faults: { code: string; message: string }[] = [];
      prepared.bridges.onFault = (error) => faults.push(error);
      const module = await prepared.isolate.compileModule('export default { fetch: () => new Promise(() => setTimeout(() => { for (;;) {} }, 1)) };');
      await module.instantiate(prepared.context, () => assert.fail('no imports'));
      await module.evaluate();
      await prepared.install.apply(undefined, [module.namespace.derefInto(), '{}', 1024]);
      // Dispatched the way FunctionInstance does, minus its wall-clock deadline.
      const meta = JSON.stringify({ invocationId: 'no-deadline', method: 'GET', url: 'https://fn.example/', headers: [] });
      void prepared.dispatch.apply(undefined, [meta, undefined], { arguments: { copy: true }, result: { promise: true, copy: true } }).catch(() => undefined);
      const started = performance.now();
      while (faults.length === 0 && performance.now() - started < 3_000) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(faults, [
        { code: 'FUNCTION_TIMEOUT', message: 'a setTimeout/setInterval callback ran longer than limits.timeoutMs (150 ms); the instance was discarded' },
      ]);
      assert.ok(performance.now() - started < 1_000, `the fault came after ${Math.round(performance.now() - started)} ms`);
    } finally {
      prepared.bridges.close();
      prepared.isolate.dispose();
    }
  });
});

describe('crypto beyond what Node can be compared with', () => {
  test('non-view arguments, non-extractable keys, unsupported methods, and mutated key attributes', async () => {
    const fn = await load(`export default { async fetch() {
      const attempt = async (run) => { try { return await run(); } catch (error) { return error.name + ': ' + error.message; } };
      const key = await crypto.subtle.importKey('raw', new Uint8Array([1, 2, 3]), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      key.usages.push('sign'); key.algorithm.hash.name = 'SHA-1';
      return Response.json({
        notAView: await attempt(() => crypto.getRandomValues([1, 2, 3])),
        buffer: await attempt(() => crypto.getRandomValues(new ArrayBuffer(4))),
        exportHidden: await attempt(() => crypto.subtle.exportKey('raw', key)),
        signWithMutatedUsages: await attempt(() => crypto.subtle.sign('HMAC', key, new Uint8Array(1))),
        encrypt: await attempt(() => crypto.subtle.encrypt({ name: 'AES-GCM' }, key, new Uint8Array(1))),
        generateKey: await attempt(() => crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign'])),
        importAes: await attempt(() => crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['encrypt'])),
        importJwk: await attempt(() => crypto.subtle.importKey('jwk', { kty: 'oct', k: 'AQID' }, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])),
      });
    } };`);
    assert.deepEqual(await json(await invoke(fn)), {
      notAView: "TypeError: Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'",
      buffer: "TypeError: Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not of type 'ArrayBufferView'",
      exportHidden: 'InvalidAccessError: key is not extractable',
      signWithMutatedUsages: 'InvalidAccessError: Unable to use this key to sign',
      encrypt: 'NotSupportedError: crypto.subtle.encrypt is not supported: Isola supports digest (SHA-1, SHA-256, SHA-384, SHA-512) and HMAC importKey/exportKey/sign/verify',
      generateKey: 'NotSupportedError: crypto.subtle.generateKey is not supported: Isola supports digest (SHA-1, SHA-256, SHA-384, SHA-512) and HMAC importKey/exportKey/sign/verify',
      importAes: 'NotSupportedError: Unrecognized or unsupported algorithm name: Isola supports digest (SHA-1, SHA-256, SHA-384, SHA-512) and HMAC importKey/exportKey/sign/verify',
      importJwk: 'NotSupportedError: Unable to import an HMAC key in the jwk format: Isola imports raw keys only',
    });
  });
});

