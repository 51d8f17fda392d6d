// RPC methods: real isolates prepared as the worker prepares them, functions loaded and called
// through FunctionInstance, so what is checked is the outcome the worker sends on (a JSON body,
// or an error code with the function's message). Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { DispatchOutcome } from './function-instance.js';
import { disposeLoaded, invoke, invokeRpc, json, load, messages } from './testing/loaded-function.js';

after(disposeLoaded);

type Failed = Extract<DispatchOutcome, { ok: false }>;

function assertFailed(outcome: DispatchOutcome, code: string): asserts outcome is Failed {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  assert.equal((outcome as Failed).error.code, code, JSON.stringify(outcome));
}

const call = (method: string, args: unknown[] = [], metadata?: Record<string, string>) => ({
  method,
  argsJson: JSON.stringify(args),
  ...(metadata === undefined ? {} : { metadata }),
});

const calculator = `export default {
  async fetch() { return new Response('http'); },
  add(a, b) { return a + b; },
  async describe(label) {
    console.log('describing', label);
    return { label, sum: this.add(2, 3), token: this.env.TOKEN, invocationId: this.ctx.invocationId,
      metadata: this.ctx.metadata, frozen: Object.isFrozen(this.ctx), waitUntil: typeof this.ctx.waitUntil };
  },
  echo(...args) { return args; },
  nothing() {},
  nil() { return null; },
  text() { return 'plain'; },
  async later(ms) { await new Promise((resolve) => setTimeout(resolve, ms)); return ms; },
  background() { this.ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 10)).then(() => console.log('after the answer'))); return 'answered'; },
  notAMethod: 42,
  get lazy() { throw new Error('a getter ran'); },
};`;

describe('RPC methods', () => {
  test('get their arguments, this.env, this.ctx (invocationId, metadata, waitUntil) and this.otherMethod(); the return value is the JSON body', async () => {
    const fn = await load(calculator, { secrets: { TOKEN: 'tok_value' } });
    assert.equal(await json(await invokeRpc(fn, call('add', [2, 40]))), 42);
    const outcome = await invokeRpc(fn, call('describe', ['cart'], { 'x-request-id': 'r-1' }));
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const response = (outcome as Extract<DispatchOutcome, { ok: true }>).response;
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, [['content-type', 'application/json']]);
    const body = (await json(outcome)) as Record<string, unknown>;
    assert.match(String(body.invocationId), /^inv-\d+$/);
    assert.deepEqual(body, {
      label: 'cart',
      sum: 5,
      token: 'tok_value',
      invocationId: body.invocationId,
      metadata: { 'x-request-id': 'r-1' },
      frozen: true,
      waitUntil: 'function',
    });
    assert.deepEqual(messages(outcome.logs), ['log: describing cart']);
    assert.deepEqual(((await json(await invokeRpc(fn, call('describe', ['bare'])))) as { metadata: unknown }).metadata, {}, 'no metadata: an empty map');
    const http = await invoke(fn);
    assert.equal(http.ok && new TextDecoder().decode(http.response.body), 'http', 'fetch still serves HTTP');
  });

  test('return values: objects and arrays as JSON, undefined and null as null, strings as JSON strings', async () => {
    const fn = await load(calculator);
    const args = [1, 'two', { three: [3] }, null, true];
    assert.deepEqual(await json(await invokeRpc(fn, call('echo', args))), args);
    assert.deepEqual(await json(await invokeRpc(fn, call('echo'))), []);
    assert.equal(await json(await invokeRpc(fn, call('nothing'))), null);
    assert.equal(await json(await invokeRpc(fn, call('nil'))), null);
    assert.equal(await json(await invokeRpc(fn, call('text'))), 'plain');
    assert.equal(await json(await invokeRpc(fn, call('later', [20]))), 20, 'an async method that waits on a timer');
  });

  test('ctx.waitUntil work finishes within the invocation and its lines belong to it', async () => {
    const fn = await load(calculator);
    const outcome = await invokeRpc(fn, call('background'));
    assert.equal(await json(outcome), 'answered');
    assert.deepEqual(messages(outcome.logs), ['log: after the answer']);
  });

  test('an unknown, reserved, inherited, non-function or malformed name is RPC_METHOD_NOT_FOUND listing the methods; no getter runs', async () => {
    const fn = await load(calculator);
    const listed = 'its RPC methods: add, describe, echo, nothing, nil, text, later, background';
    for (const [method, reason] of [
      ['missing', ''],
      ['fetch', ' ("fetch" is not an RPC method: the HTTP trigger calls it)'],
      ['constructor', ' ("constructor" is not an RPC method: every object has one)'],
      ['__proto__', ' ("__proto__" is not an RPC method: every object has one)'],
      ['toString', ''],
      ['hasOwnProperty', ''],
      ['notAMethod', ''],
      ['lazy', ''],
      ['add()', ' (that is not a method name)'],
      ['', ' (that is not a method name)'],
    ] as const) {
      const outcome = await invokeRpc(fn, call(method, [1, 2]));
      assertFailed(outcome, 'RPC_METHOD_NOT_FOUND');
      assert.equal(outcome.error.message, `the function has no RPC method ${JSON.stringify(method)}${reason}; ${listed}`);
    }
    const bare = await load(`export default { fetch: () => new Response('x'), scheduled() {}, queue() {} };`);
    const none = await invokeRpc(bare, call('add'));
    assertFailed(none, 'RPC_METHOD_NOT_FOUND');
    assert.match(none.error.message, /^the function has no RPC method "add"; it has none: every function-valued property of its default export other than fetch, scheduled and queue is one/);
  });

  test('a throw is FUNCTION_ERROR with the function\'s message; the instance stays usable', async () => {
    const fn = await load(`export default {
      async fail(reason) { throw new TypeError('cannot price ' + reason); },
      raw() { throw 'a string'; },
      ok() { return 'fine'; },
    };`);
    const outcome = await invokeRpc(fn, call('fail', ['sku-1']));
    assertFailed(outcome, 'FUNCTION_ERROR');
    assert.equal(outcome.error.message, 'cannot price sku-1');
    assert.equal((outcome.error.details as { name?: string }).name, 'TypeError');
    const raw = await invokeRpc(fn, call('raw'));
    assertFailed(raw, 'FUNCTION_ERROR');
    assert.equal(raw.error.message, 'a string');
    assert.equal(await json(await invokeRpc(fn, call('ok'))), 'fine');
  });

  test('a return value JSON cannot express is FUNCTION_INVALID_RESPONSE saying why', async () => {
    const fn = await load(`export default {
      big() { return { total: 10n }; },
      cycle() { const a = {}; a.self = a; return a; },
      fn() { return () => 1; },
    };`);
    for (const [method, reason] of [
      ['big', /BigInt/],
      ['cycle', /circular/i],
      ['fn', /a function has no JSON form/],
    ] as const) {
      const outcome = await invokeRpc(fn, call(method));
      assertFailed(outcome, 'FUNCTION_INVALID_RESPONSE');
      assert.match(outcome.error.message, new RegExp(`^the RPC method ${method} returned a value JSON cannot express \\(`));
      assert.match(outcome.error.message, reason);
    }
  });

  test('limits apply as for fetch: a busy loop and a promise that never settles are FUNCTION_TIMEOUT; a shorter caller deadline wins', async () => {
    const source = `export default {
      spin() { for (;;) {} },
      hang() { return new Promise((resolve) => setTimeout(resolve, 60_000)); },
    };`;
    const spinning = await load(source, { timeoutMs: 300 });
    const spun = await invokeRpc(spinning, call('spin'), 300);
    assertFailed(spun, 'FUNCTION_TIMEOUT');
    assert.match(spun.error.message, /\(300 ms\)/);

    const hanging = await load(source, { timeoutMs: 2_000 });
    const hung = await invokeRpc(hanging, call('hang'), 150);
    assertFailed(hung, 'FUNCTION_TIMEOUT');
    assert.match(hung.error.message, /\(150 ms\)/, 'the call ends at its own, shorter timeout');
    assert.equal(hanging.usable, false, 'an instance with a promise that never settles is discarded');

    const longer = await load(source, { timeoutMs: 200 });
    const capped = await invokeRpc(longer, call('hang'), 60_000);
    assertFailed(capped, 'FUNCTION_TIMEOUT');
    assert.match(capped.error.message, /\(200 ms\)/, "a caller cannot raise the version's limit");
  });

  test('memory: growth past limits.memoryMb is FUNCTION_MEMORY_LIMIT and the instance is discarded', async () => {
    const fn = await load(`export default { grow() { const chunks = []; for (;;) chunks.push(new Array(1e6).fill(1.5)); } };`, { timeoutMs: 10_000 });
    const outcome = await invokeRpc(fn, call('grow'), 10_000);
    assertFailed(outcome, 'FUNCTION_MEMORY_LIMIT');
    assert.equal(fn.usable, false);
  });

  test('a return value over the response limit is FUNCTION_RESPONSE_TOO_LARGE', async () => {
    const fn = await load(`export default { big(n) { return 'x'.repeat(n); } };`, { maxResponseBytes: 1_000 });
    assert.equal(((await json(await invokeRpc(fn, call('big', [10])))) as string).length, 10);
    assertFailed(await invokeRpc(fn, call('big', [2_000])), 'FUNCTION_RESPONSE_TOO_LARGE');
  });
});
