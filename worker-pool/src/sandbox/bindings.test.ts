// env bindings as functions use them: real isolates prepared as the worker prepares them,
// functions loaded through FunctionInstance, binding calls sent by the real SidecarClient to a
// node:http server that answers like the Dapr HTTP API and records each request (the contract
// between the worker and the sidecar). Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, beforeEach, describe, test } from 'node:test';
import { sidecarAuthToken, sidecarHeaders } from '@isola/core';
import { BindingBridge } from './bridges/binding-bridge.js';
import { SidecarClient } from './bridges/sidecar-client.js';
import { DaprApiRecorder, type RecordedRequest } from './testing/dapr-api-recorder.js';
import { disposeLoaded, invoke, json, load, messages, type LoadSettings } from './testing/loaded-function.js';

const token = sidecarAuthToken(Buffer.alloc(32, 7));
let dapr: DaprApiRecorder;
let client: SidecarClient;

before(async () => {
  dapr = await DaprApiRecorder.start();
  client = new SidecarClient(dapr.url, token, 1024 * 1024);
});
after(async () => {
  disposeLoaded();
  await client.close();
  await dapr.close();
});
beforeEach(() => dapr.reset());

const allKinds = {
  CART: { type: 'state', store: 'statestore' },
  EVENTS: { type: 'pubsub', pubsub: 'pubsub', topic: 'orders' },
  FLAGS: { type: 'config', store: 'configstore' },
  LOCKS: { type: 'lock', store: 'lockstore' },
  VAULT: { type: 'secret', store: 'secretstore' },
  PRICER: { type: 'service', function: 'pricer' },
  JOBS: { type: 'queue', topic: 'jobs' },
};

/** Loads `handler` (the body of `async fetch(request, env, ctx)`) with bindings, talking to the recorder. */
function loadWithBindings(handler: string, settings: LoadSettings = {}) {
  return load(`export default { async fetch(request, env, ctx) { ${handler} } };`, {
    bindings: allKinds,
    sidecar: { client, maxCalls: 100 },
    ...settings,
  });
}

/** Runs the handler once and returns what it answered as JSON. */
async function run(handler: string, settings: LoadSettings = {}, options: Parameters<typeof invoke>[2] = {}): Promise<unknown> {
  return json(await invoke(await loadWithBindings(handler, settings), '/', options));
}

/** The handler's error as {name, code, binding, operation, message, remote}. */
const CAUGHT = `const caught = (error) => ({ name: error.name, code: error.code, binding: error.binding, operation: error.operation, message: error.message, remote: error.remote });`;

const simplified = (request: RecordedRequest) => ({ method: request.method, path: request.path, query: request.query.toString(), body: request.body });

describe('env objects', () => {
  test('exist exactly for the bound names, beside vars, with the methods of their kind; other names are undefined', async () => {
    const answer = (await run(
      `const shape = (value) => typeof value === 'object' && value !== null ? Object.keys(value).sort() : typeof value;
       return Response.json({
         names: Object.keys(env).sort(),
         kinds: Object.fromEntries(['CART', 'EVENTS', 'FLAGS', 'LOCKS', 'VAULT', 'JOBS'].map((name) => [name, shape(env[name])])),
         greeting: env.GREETING,
         unbound: typeof env.OTHER,
         frozen: Object.isFrozen(env) && Object.isFrozen(env.CART),
         serviceMethod: typeof env.PRICER.quote,
         serviceThen: env.PRICER.then === undefined,
         awaited: (await env.PRICER) === env.PRICER,
         json: JSON.parse(JSON.stringify(env)),
       });`,
      { vars: { GREETING: 'hello' } },
    )) as Record<string, unknown>;
    assert.deepEqual(answer, {
      names: ['CART', 'EVENTS', 'FLAGS', 'GREETING', 'JOBS', 'LOCKS', 'PRICER', 'VAULT'],
      kinds: {
        CART: ['delete', 'get', 'getBulk', 'getWithEtag', 'put'],
        EVENTS: ['publish'],
        FLAGS: ['get', 'subscribe'],
        LOCKS: ['acquire', 'release'],
        VAULT: ['get'],
        JOBS: ['send', 'sendBatch'],
      },
      greeting: 'hello',
      unbound: 'undefined',
      frozen: true,
      serviceMethod: 'function',
      serviceThen: true,
      awaited: true,
      json: { GREETING: 'hello', CART: {}, EVENTS: {}, FLAGS: {}, LOCKS: {}, VAULT: {}, PRICER: {}, JOBS: {} },
    });
    assert.deepEqual(dapr.requests, [], 'looking at the bindings calls nothing');
  });

  test('a function without bindings has only its vars in env', async () => {
    const fn = await load(`export default { fetch: (request, env) => Response.json(Object.keys(env)) };`, { vars: { A: '1' } });
    assert.deepEqual(await json(await invoke(fn)), ['A']);
  });

  test('a function with bindings does not load on a worker without a sidecar', async () => {
    await assert.rejects(load(`export default { fetch: () => new Response('x') };`, { bindings: { CART: allKinds.CART } }), {
      code: 'FUNCTION_LOAD_FAILED',
      message: 'the function failed while loading: this worker has no sidecar to send binding calls to',
    });
  });
});

describe('state', () => {
  test('get, put, getWithEtag, delete and getBulk as Dapr state requests, with the caller, invocation, depth and trace headers', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const answer = await run(
      `await env.CART.put('cart:1', { items: [1, 2], note: undefined });
       const first = await env.CART.getWithEtag('cart:1');
       await env.CART.put('cart:1', { items: [3] }, { etag: first.etag, ttlSeconds: 60 });
       const value = await env.CART.get('cart:1');
       const bulk = await env.CART.getBulk(['cart:1', 'cart:none']);
       await env.CART.delete('cart:1');
       return Response.json({ first, value, bulk, gone: await env.CART.get('cart:1') });`,
      {},
      { headers: [['traceparent', traceparent]], callDepth: 2, invocationId: 'inv-state' },
    );
    assert.deepEqual(answer, {
      first: { value: { items: [1, 2] }, etag: '1' },
      value: { items: [3] },
      bulk: [
        { key: 'cart:1', value: { items: [3] }, etag: '2' },
        { key: 'cart:none', value: null, etag: null },
      ],
      gone: null,
    });
    assert.deepEqual(dapr.requests.map(simplified), [
      { method: 'POST', path: '/v1.0/state/statestore', query: '', body: JSON.stringify([{ key: 'cart:1', value: { items: [1, 2] } }]) },
      { method: 'GET', path: '/v1.0/state/statestore/cart%3A1', query: '', body: '' },
      {
        method: 'POST',
        path: '/v1.0/state/statestore',
        query: '',
        body: JSON.stringify([{ key: 'cart:1', value: { items: [3] }, etag: '1', options: { concurrency: 'first-write' }, metadata: { ttlInSeconds: '60' } }]),
      },
      { method: 'GET', path: '/v1.0/state/statestore/cart%3A1', query: '', body: '' },
      { method: 'POST', path: '/v1.0/state/statestore/bulk', query: '', body: JSON.stringify({ keys: ['cart:1', 'cart:none'], parallelism: 10 }) },
      { method: 'DELETE', path: '/v1.0/state/statestore/cart%3A1', query: '', body: '' },
      { method: 'GET', path: '/v1.0/state/statestore/cart%3A1', query: '', body: '' },
    ]);
    for (const request of dapr.requests) {
      assert.equal(request.headers[sidecarHeaders.token], token);
      assert.equal(request.headers[sidecarHeaders.caller], 'bridged@1');
      assert.equal(request.headers[sidecarHeaders.invocationId], 'inv-state');
      assert.equal(request.headers[sidecarHeaders.callDepth], '2');
      assert.equal(request.headers[sidecarHeaders.traceparent], traceparent);
      assert.equal(request.headers[sidecarHeaders.daprApiToken], undefined);
    }
    assert.equal(dapr.requests[0]?.headers['content-type'], 'application/json');
  });

  test('a stale etag rejects with BindingError ETAG_MISMATCH naming the binding and the operation; a conditional delete sends If-Match', async () => {
    const answer = (await run(
      `${CAUGHT}
       await env.CART.put('k', 1);
       const { etag } = await env.CART.getWithEtag('k');
       await env.CART.put('k', 2);
       const put = await env.CART.put('k', 3, { etag }).catch(caught);
       const del = await env.CART.delete('k', { etag }).catch(caught);
       return Response.json({ put, del, etag, value: await env.CART.get('k'), isError: await env.CART.put('k', 4, { etag }).catch((error) => error instanceof Error) });`,
    )) as Record<string, Record<string, unknown>>;
    assert.equal(answer.value, 2 as never);
    assert.equal(answer.isError, true as never);
    for (const [operation, error] of [['put', answer.put], ['delete', answer.del]] as const) {
      assert.equal(error?.name, 'BindingError');
      assert.equal(error?.code, 'ETAG_MISMATCH');
      assert.equal(error?.binding, 'CART');
      assert.equal(error?.operation, operation);
      assert.match(String(error?.message), new RegExp(`^env\\.CART\\.${operation}\\(\\) \\(state store "statestore"\\): the sidecar answered 409 .*read it again with getWithEtag\\(\\) and retry`));
    }
    const deletion = dapr.requests.find((request) => request.method === 'DELETE');
    assert.equal(deletion?.headers['if-match'], answer.etag as never);
  });

  test('BindingError is a global class: rejections are instances of it, and replacing the global does not change them', async () => {
    const answer = await run(
      `const Original = BindingError;
       await env.CART.put('k', 1);
       const { etag } = await env.CART.getWithEtag('k');
       await env.CART.put('k', 2);
       const stale = await env.CART.put('k', 3, { etag }).catch((error) => error);
       const made = new BindingError('NOT_FOUND', 'made by the function', 'CART', 'get');
       globalThis.BindingError = class BindingError extends Error {};
       const later = await env.CART.put('k', 4, { etag }).catch((error) => error);
       return Response.json({
         type: typeof Original, name: Original.name, enumerable: Object.keys(globalThis).includes('BindingError'),
         stale: [stale instanceof Original, stale instanceof Error, stale.code, Object.prototype.toString.call(stale)],
         made: [made instanceof Original, made.name, made.code, made.binding, made.operation, made.message],
         later: [later instanceof Original, later instanceof globalThis.BindingError, later.code],
       });`,
    );
    assert.deepEqual(answer, {
      type: 'function',
      name: 'BindingError',
      enumerable: false,
      stale: [true, true, 'ETAG_MISMATCH', '[object Error]'],
      made: [true, 'BindingError', 'NOT_FOUND', 'CART', 'get', 'made by the function'],
      later: [true, false, 'ETAG_MISMATCH'],
    });
  });

  test('values JSON cannot carry are refused with a TypeError that says where, before anything is sent', async () => {
    const answer = await run(
      `const attempt = async (fn) => { try { await fn(); return 'sent'; } catch (error) { return error.name + ': ' + error.message; } };
       const cycle = { a: {} }; cycle.a.back = cycle;
       return Response.json(await Promise.all([
         attempt(() => env.CART.put('k', { n: NaN })),
         attempt(() => env.CART.put('k', new Map())),
         attempt(() => env.CART.put('k', { at: new Date(0) })),
         attempt(() => env.CART.put('k', cycle)),
         attempt(() => env.CART.put('k', [1, () => 2])),
         attempt(() => env.CART.put('k', 10n)),
         attempt(() => env.CART.put('k', undefined)),
         attempt(() => env.CART.get(42)),
         attempt(() => env.CART.put('k', 1, { ttlSeconds: 1.5 })),
         attempt(() => env.EVENTS.publish({ big: 1n })),
         attempt(() => env.EVENTS.publish({ a: 1 }, { contentType: 'text/plain' })),
         attempt(() => env.PRICER.quote(1, Symbol('x'))),
         attempt(() => env.JOBS.sendBatch([{ body: 1 }, { nobody: 2 }])),
         attempt(() => env.LOCKS.acquire('r', {})),
       ]));`,
    );
    assert.deepEqual(answer, [
      'TypeError: env.CART.put(): the value at .n is NaN, which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value is a Map, which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value at .at is a Date (use date.toISOString()), which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value at .a.back refers back to an object that contains it (a cycle), which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value at [1] is a function, which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value is a BigInt (write it as a string), which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.put(): the value is undefined, which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.CART.get(): the key must be a non-empty string, got 42',
      'TypeError: env.CART.put(): options.ttlSeconds must be a whole number of seconds, at least 1, got 1.5',
      'TypeError: env.EVENTS.publish(): the data at .big is a BigInt (write it as a string), which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.EVENTS.publish(): with content type text/plain the data must be a string (sent as it is)',
      'TypeError: env.PRICER.quote(): argument 2 is a symbol, which JSON cannot represent; pass plain objects, arrays, strings, finite numbers, booleans and null',
      'TypeError: env.JOBS.sendBatch(): messages[1] must be an object with a body',
      'TypeError: env.LOCKS.acquire(): options.ttlSeconds must be a whole number of seconds, at least 1, got undefined',
    ]);
    assert.deepEqual(dapr.requests, []);
  });

  test('keys with "||" (the prefix separator) are refused by the host', async () => {
    const answer = await run(`${CAUGHT} return Response.json(await env.CART.get('other-fn||secret').catch(caught));`);
    assert.equal((answer as { code: string }).code, 'BAD_REQUEST');
    assert.match((answer as { message: string }).message, /contains "\|\|", which state and lock keys may not contain/);
    assert.deepEqual(dapr.requests, []);
  });
});

describe('pubsub and queue', () => {
  test('publish sends JSON, or a string with its own content type; send and sendBatch publish to the queue topic on "pubsub"', async () => {
    await run(
      `await env.EVENTS.publish({ order: 7 });
       await env.EVENTS.publish('plain words', { contentType: 'text/plain' });
       await env.JOBS.send({ job: 1 });
       await env.JOBS.sendBatch([{ body: 'a' }, { body: { b: 2 } }]);
       await env.JOBS.sendBatch([]);
       return Response.json('ok');`,
    );
    assert.deepEqual(dapr.published, [
      { pubsub: 'pubsub', topic: 'orders', contentType: 'application/json', body: '{"order":7}' },
      { pubsub: 'pubsub', topic: 'orders', contentType: 'text/plain', body: 'plain words' },
      { pubsub: 'pubsub', topic: 'jobs', contentType: 'application/json', body: '{"job":1}' },
      { pubsub: 'pubsub', topic: 'jobs', contentType: 'application/json', body: '"a"' },
      { pubsub: 'pubsub', topic: 'jobs', contentType: 'application/json', body: '{"b":2}' },
    ]);
    assert.deepEqual(
      dapr.requests.map((request) => `${request.method} ${request.path}`),
      ['POST /v1.0/publish/pubsub/orders', 'POST /v1.0/publish/pubsub/orders', 'POST /v1.0/publish/pubsub/jobs', 'POST /v1.0/publish/pubsub/jobs', 'POST /v1.0/publish/pubsub/jobs'],
    );
  });
});

describe('config, lock, secret', () => {
  test('config get asks for every key; lock acquire with a given or random owner, release statuses; secret get', async () => {
    dapr.configItems.set('theme', { value: 'dark', version: '3' });
    dapr.secrets.set('secretstore/api-key', 's3cr3t');
    const answer = (await run(
      `${CAUGHT}
       const config = await env.FLAGS.get(['theme', 'missing']);
       const single = await env.FLAGS.get('theme');
       const mine = await env.LOCKS.acquire('report', { ttlSeconds: 30, owner: 'me' });
       const theirs = await env.LOCKS.acquire('report', { ttlSeconds: 30 });
       const other = await env.LOCKS.acquire('other', { ttlSeconds: 5 });
       const releases = [await env.LOCKS.release('report', 'not-me'), await env.LOCKS.release('report', 'me'), await env.LOCKS.release('report', 'me')];
       return Response.json({ config, single, mine, theirs, other, releases, secret: await env.VAULT.get('api-key'), missing: await env.VAULT.get('nope').catch(caught) });`,
    )) as Record<string, Record<string, unknown>>;
    assert.deepEqual(answer.config, { theme: { value: 'dark', version: '3', metadata: {} } });
    assert.deepEqual(answer.single, answer.config);
    assert.deepEqual(answer.mine, { acquired: true, owner: 'me' });
    assert.equal(answer.theirs?.acquired, false);
    assert.match(String(answer.theirs?.owner), /^[0-9a-f-]{36}$/);
    assert.equal(answer.other?.acquired, true);
    assert.notEqual(answer.other?.owner, answer.theirs?.owner);
    assert.deepEqual(answer.releases, ['not-owner', 'released', 'not-found']);
    assert.equal(answer.secret, 's3cr3t' as never);
    assert.equal(answer.missing?.code, 'UNAVAILABLE');
    const requests = dapr.requests.map(simplified);
    assert.deepEqual(requests[0], { method: 'GET', path: '/v1.0/configuration/configstore', query: 'key=theme&key=missing', body: '' });
    assert.deepEqual(requests[2], { method: 'POST', path: '/v1.0-alpha1/lock/lockstore', query: '', body: JSON.stringify({ resourceId: 'report', lockOwner: 'me', expiryInSeconds: 30 }) });
    assert.deepEqual(requests[5], { method: 'POST', path: '/v1.0-alpha1/unlock/lockstore', query: '', body: JSON.stringify({ resourceId: 'report', lockOwner: 'not-me' }) });
    assert.deepEqual(requests[8], { method: 'GET', path: '/v1.0/secrets/secretstore/api-key', query: '', body: '' });
  });
});

describe('service', () => {
  test("env.PRICER.method(...args) posts the arguments as a JSON array and resolves with the other function's result", async () => {
    dapr.invoke = (fn, method, args) => ({ status: 200, body: JSON.stringify({ fn, method, sum: (args as number[]).reduce((a, b) => a + b, 0) }) });
    const answer = await run(`return Response.json({ quote: await env.PRICER.quote(1, 2, 3), none: await env.PRICER['empty']() });`);
    assert.deepEqual(answer, { quote: { fn: 'pricer', method: 'quote', sum: 6 }, none: { fn: 'pricer', method: 'empty', sum: 0 } });
    assert.deepEqual(dapr.requests.map(simplified)[0], { method: 'POST', path: '/v1.0/invoke/pricer/method/quote', query: '', body: '[1,2,3]' });
  });

  test('a failed call is CALL_FAILED with the remote error; a missing function NOT_FOUND; an overloaded one UNAVAILABLE', async () => {
    const remote = { code: 'FUNCTION_ERROR', message: 'price list missing', invocationId: 'inv-remote' };
    dapr.invoke = (_fn, method) =>
      method === 'fails'
        ? { status: 500, body: JSON.stringify({ error: remote }) }
        : method === 'missing'
          ? { status: 404, body: JSON.stringify({ error: { code: 'FUNCTION_NOT_FOUND', message: 'function "pricer" does not exist' } }) }
          : { status: 503, body: JSON.stringify({ error: { code: 'OVERLOADED', message: 'busy' } }) };
    const answer = (await run(
      `${CAUGHT} return Response.json(await Promise.all([env.PRICER.fails().catch(caught), env.PRICER.missing().catch(caught), env.PRICER.busy().catch(caught)]));`,
    )) as Record<string, unknown>[];
    assert.deepEqual(
      answer.map((error) => [error.name, error.code, error.binding, error.operation]),
      [
        ['BindingError', 'CALL_FAILED', 'PRICER', 'fails'],
        ['BindingError', 'NOT_FOUND', 'PRICER', 'missing'],
        ['BindingError', 'UNAVAILABLE', 'PRICER', 'busy'],
      ],
    );
    assert.deepEqual(answer[0]?.remote, remote);
    assert.equal(answer[0]?.message, 'env.PRICER.fails() (function "pricer"): function "pricer" failed: FUNCTION_ERROR: price list missing');
    assert.match(String(answer[1]?.message), /does not exist/);
  });

  test('an uncaught BindingError fails the invocation as FUNCTION_ERROR that names it', async () => {
    dapr.override = () => ({ status: 500, body: JSON.stringify({ errorCode: 'ERR_STATE_GET', message: 'redis down' }) });
    const outcome = await invoke(await loadWithBindings(`await env.CART.get('k'); return new Response('never');`));
    assert.equal(outcome.ok, false);
    const { error } = outcome as Extract<typeof outcome, { ok: false }>;
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.equal(error.message, 'env.CART.get() (state store "statestore"): the sidecar answered 500 (ERR_STATE_GET: redis down): the sidecar or the service behind it is unavailable or overloaded; retry later');
    assert.equal((error.details as { name?: string }).name, 'BindingError');
  });
});

describe('errors and limits', () => {
  test('a sidecar that cannot be reached is UNAVAILABLE and says where it was looked for', async () => {
    const closed = await DaprApiRecorder.start();
    const url = closed.url;
    await closed.close();
    const unreachable = new SidecarClient(url, token, 1024);
    try {
      const answer = (await run(`${CAUGHT} return Response.json(await env.CART.get('k').catch(caught));`, { sidecar: { client: unreachable, maxCalls: 10 } })) as Record<string, string>;
      assert.equal(answer.code, 'UNAVAILABLE');
      assert.match(answer.message ?? '', new RegExp(`cannot reach the sidecar at ${url} \\(ECONNREFUSED\\)`));
    } finally {
      await unreachable.close();
    }
  });

  test('the status codes of the sidecar map to error codes', async () => {
    const statuses = [400, 401, 403, 404, 408, 429, 502];
    dapr.override = (request) => ({ status: Number(request.path.split('/').pop()), body: JSON.stringify({ errorCode: 'ERR_X', message: 'said so' }) });
    const answer = await run(`${CAUGHT} return Response.json(await Promise.all(${JSON.stringify(statuses)}.map((status) => env.CART.get(String(status)).catch((error) => error.code))));`);
    assert.deepEqual(answer, ['BAD_REQUEST', 'PERMISSION_DENIED', 'PERMISSION_DENIED', 'NOT_FOUND', 'TIMEOUT', 'UNAVAILABLE', 'UNAVAILABLE']);
  });

  test('an invocation may make ISOLA_MAX_BINDING_CALLS sidecar requests (sendBatch counts each message); then TOO_MANY_CALLS; the next invocation starts over', async () => {
    const fn = await loadWithBindings(
      `const results = [];
       for (let i = 0; i < 3; i += 1) results.push(await env.CART.get('k').then(() => 'ok', (error) => error.code));
       results.push(await env.JOBS.sendBatch([{ body: 1 }, { body: 2 }]).then(() => 'ok', (error) => error.code + ': ' + error.message));
       return Response.json(results);`,
      { sidecar: { client, maxCalls: 2 } },
    );
    for (let round = 0; round < 2; round += 1) {
      const [first, second, third, batch] = (await json(await invoke(fn))) as string[];
      assert.deepEqual([first, second, third], ['ok', 'ok', 'TOO_MANY_CALLS']);
      assert.match(batch ?? '', /^TOO_MANY_CALLS: env\.JOBS\.sendBatch\(\) .*already made 2 binding calls; the limit per invocation is 2 \(ISOLA_MAX_BINDING_CALLS\)/);
    }
  });

  test('the host refuses bindings the manifest does not declare, methods a kind does not have, malformed requests and calls of ended invocations', async () => {
    const bridge = new BindingBridge(
      { bindings: { CART: { type: 'state', store: 'statestore' } }, client, functionName: 'bridged', version: 1, maxCalls: 10, maxRequestBytes: 64 },
      async () => undefined,
    );
    bridge.beginInvocation('inv-1', performance.now() + 1_000, { callDepth: 0 });
    const call = (request: object) => bridge.call({ invocationId: 'inv-1', argsJson: '["k"]', ...request });
    const results = [
      await call({ binding: 'OTHER', operation: 'get' }),
      await call({ binding: 'toString', operation: 'get' }),
      await call({ binding: 'CART', operation: 'publish' }),
      await call({ binding: 'CART', operation: 'get', argsJson: '{"not":"an array"}' }),
      await call({ binding: 'CART', operation: 'get', argsJson: JSON.stringify(['x'.repeat(100)]) }),
      await bridge.call({ binding: 'CART', operation: 'get', argsJson: '[]' }),
      await call({ binding: 'CART', operation: 'get', invocationId: 'inv-ended' }),
      await call({ binding: 'CART', operation: 'get', invocationId: null }),
    ];
    assert.deepEqual(
      results.map((result) => (result.ok ? 'ok' : `${result.code}: ${result.message}`)),
      [
        'PERMISSION_DENIED: env.OTHER.get(): function bridged has no binding OTHER; declare it under bindings: in isola.yaml',
        'PERMISSION_DENIED: env.toString.get(): function bridged has no binding toString; declare it under bindings: in isola.yaml',
        'BAD_REQUEST: env.CART.publish() (state store "statestore"): a state binding has no method publish',
        'BAD_REQUEST: env.CART.get() (state store "statestore"): the arguments were refused: not an array',
        'BAD_REQUEST: env.CART.get() (state store "statestore"): the arguments were refused: over 64 bytes (ISOLA_MAX_BODY_BYTES)',
        'BAD_REQUEST: sidecarCall: malformed request from the runtime (bad invocationId)',
        'BAD_REQUEST: env.CART.get() (state store "statestore"): the invocation that made the call has already ended; use ctx.waitUntil(promise) for work after the response',
        'BAD_REQUEST: sidecarCall: malformed request from the runtime (only unsubscribe may come without an invocation)',
      ],
    );
    assert.deepEqual(dapr.requests, []);
    bridge.close();
  });
});

describe('config subscriptions', () => {
  test('changes reach onChange while the instance lives; unsubscribe closes the stream; so does disposing the instance', async () => {
    const fn = await load(
      `const seen = []; let stop;
       export default { async fetch(request, env) {
         const path = new URL(request.url).pathname;
         if (path === '/subscribe') stop = await env.FLAGS.subscribe(['theme', 'beta'], (items) => { seen.push(items); });
         if (path === '/unsubscribe') { stop(); stop(); }
         return Response.json(seen);
       } };`,
      { bindings: allKinds, sidecar: { client, maxCalls: 10 } },
    );
    assert.deepEqual(await json(await invoke(fn, '/subscribe')), []);
    const stream = dapr.requests.at(-1);
    assert.equal(stream?.path, '/v1.0/configuration/configstore/subscribe');
    assert.deepEqual(stream?.query.getAll('key'), ['theme', 'beta']);
    assert.equal(stream?.headers[sidecarHeaders.caller], 'bridged@1');
    assert.equal(dapr.configStreams.size, 1);

    dapr.pushConfigUpdate({ theme: { value: 'light', version: '4' } });
    dapr.pushConfigUpdate({ unrelated: { value: 'x', version: '1' }, beta: { value: 'on', version: '9' } });
    const expected = [{ theme: { value: 'light', version: '4' } }, { beta: { value: 'on', version: '9' } }];
    assert.deepEqual(await eventually(async () => json(await invoke(fn, '/')), expected), expected);

    const [subscription] = dapr.configStreams;
    const closed = once(subscription!.response, 'close');
    await invoke(fn, '/unsubscribe');
    await closed;
    assert.equal(dapr.configStreams.size, 0);

    await invoke(fn, '/subscribe');
    const [again] = dapr.configStreams;
    const closedOnDispose = once(again!.response, 'close');
    fn.dispose();
    await closedOnDispose;
  });

  test('an onChange that throws or rejects is logged (binding calls need an invocation); one that runs past limits.timeoutMs discards the instance', async () => {
    const fn = await load(
      `export default { async fetch(request, env) {
         if (new URL(request.url).pathname === '/loop') await env.FLAGS.subscribe('loop', () => { for (;;) {} });
         if (new URL(request.url).pathname === '/throw') {
           await env.FLAGS.subscribe('throw', () => { throw new RangeError('bad flag'); });
           await env.FLAGS.subscribe('call', () => env.CART.get('k'));
         }
         return new Response('subscribed');
       } };`,
      { bindings: allKinds, sidecar: { client, maxCalls: 10 }, timeoutMs: 200 },
    );
    await invoke(fn, '/throw');
    dapr.pushConfigUpdate({ throw: { value: '1', version: '1' }, call: { value: '1', version: '1' } });
    const logged: string[] = [];
    const until = Date.now() + 5_000;
    while (logged.length < 2 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      logged.push(...messages((await invoke(fn, '/')).logs));
    }
    assert.deepEqual(
      logged.map((line) => line.split('\n')[0]).sort(),
      [
        'error: [isola] uncaught error in the onChange callback of env.FLAGS.subscribe(): Error: env.CART.get() can only be used while the function handles a request: not at the module\'s top level, and not after the response was returned (use ctx.waitUntil(promise) for work that continues after it)',
        'error: [isola] uncaught error in the onChange callback of env.FLAGS.subscribe(): RangeError: bad flag',
      ],
    );
    await invoke(fn, '/loop');
    dapr.pushConfigUpdate({ loop: { value: '1', version: '1' } });
    assert.equal(await eventually(async () => fn.usable, false), false);
  });

  test('a subscription the sidecar ends is reported in the log', async () => {
    const fn = await load(`export default { async fetch(request, env) { if (new URL(request.url).pathname === '/s') await env.FLAGS.subscribe('x', () => {}); return new Response('ok'); } };`, {
      bindings: allKinds,
      sidecar: { client, maxCalls: 10 },
    });
    await invoke(fn, '/s');
    dapr.endConfigStreams();
    const expected = ['warn: [isola] the sidecar ended the subscription of env.FLAGS; subscribe again to keep following changes'];
    assert.deepEqual(await eventually(async () => messages((await invoke(fn, '/')).logs), expected), expected);
  });
});

/** Polls `read` until it returns `expected` (deep-equal) or 5 s pass; returns the last value read. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<T> {
  const until = Date.now() + 5_000;
  let value = await read();
  while (!isDeepEqual(value, expected) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
