import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, spawnRole, type SpawnedPlatform, type SpawnedRole } from './spawn-platform.js';

// The manifests' `routes:` through a real `isola up`, and a second gateway (`isola gateway`) on
// the same Redis that must serve each change made through the first within a couple of seconds.

let redis: TestRedis;
let platform: SpawnedPlatform;
let secondGateway: SpawnedRole;
let api: TestApi;
const token = `test_${randomBytes(16).toString('hex')}`;

before(async () => {
  redis = await startTestRedis();
  const env = { REDIS_URL: redis.url, ISOLA_SECRET_KEY: randomBytes(32).toString('base64'), ISOLA_ADMIN_TOKEN: token, ISOLA_MAX_BODY_BYTES: '65536' };
  [platform, secondGateway] = await Promise.all([spawnPlatform({ env: { ...env, ISOLA_WORKERS: '1' }, token }), spawnRole('gateway', env)]);
  api = new TestApi(platform.url, token);
});

after(async () => {
  await Promise.all([platform?.stop(), secondGateway?.stop(5_000)]);
  await redis?.stop();
});

/** Answers with who it is and what it saw: method, URL and body. */
function echo(label: string): string {
  return `export default { async fetch(request) {
    const body = await request.text();
    return Response.json({ label: ${JSON.stringify(label)}, method: request.method, url: request.url, body, auth: request.headers.get('authorization') });
  } };`;
}

interface Echoed {
  label: string;
  method: string;
  url: string;
  body: string;
  auth: string | null;
}

/** One request without a token (unless given); the answer read whole. */
async function send(path: string, init: RequestInit = {}, base = platform.url) {
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: Record<string, unknown> | null = null;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Who served `path` (the echo's label), or the status when nothing did. */
async function servedBy(path: string, base = platform.url, init: RequestInit = {}): Promise<string | number> {
  const answer = await send(path, init, base);
  return answer.status === 200 ? (answer.json as unknown as Echoed).label : answer.status;
}

function errorOf(answer: { json: Record<string, unknown> | null }): { code: string; message: string } {
  return (answer.json as { error: { code: string; message: string } }).error;
}

describe('HTTP routes', () => {
  before(async () => {
    await api.deploy('cart', echo('cart'), { public: true, routes: [{ path: '/api/cart/*', methods: ['GET', 'POST'] }] });
    await api.deploy('cart-admin', echo('cart-admin'), { public: true, routes: [{ path: '/api/cart/admin/*' }, { path: '/api/cart/health' }] });
    await api.deploy('hello', echo('hello'), { public: true, routes: [{ path: '/hello' }] });
  });

  test('a route runs the function with the URL as sent, recorded as an http invocation; /fn/<name>/ still serves it', async () => {
    const answer = await send('/api/cart/items/42?expand=true&x=%20y', { method: 'POST', body: 'two apples', headers: { 'content-type': 'text/plain' } });
    assert.equal(answer.status, 200, answer.text);
    const seen = answer.json as unknown as Echoed;
    assert.deepEqual({ ...seen, url: new URL(seen.url).pathname + new URL(seen.url).search }, {
      label: 'cart',
      method: 'POST',
      url: '/api/cart/items/42?expand=true&x=%20y',
      body: 'two apples',
      auth: null,
    });
    assert.equal(answer.headers.get('x-isola-version'), '1');
    const record = await api.record(answer.headers.get('x-isola-invocation-id') ?? '');
    assert.equal(record.trigger, 'http');
    assert.equal(record.status, 'succeeded');
    assert.equal(await servedBy('/fn/cart/anything'), 'cart');
    assert.equal(await servedBy('/fn/hello'), 'hello');
  });

  test('/* matches its prefix, with a trailing slash and everything under it; other patterns match exactly', async () => {
    assert.equal(await servedBy('/api/cart'), 'cart');
    assert.equal(await servedBy('/api/cart/'), 'cart');
    assert.equal(await servedBy('/api/cart/a/b/c'), 'cart');
    assert.equal(await servedBy('/hello'), 'hello');
    assert.equal(await servedBy('/hello?q=1'), 'hello');
    for (const path of ['/api/carts', '/api', '/hello/', '/hello/x', '/nothing-here']) {
      const answer = await send(path, { method: 'POST', body: 'x' });
      assert.equal(answer.status, 404, path);
      assert.equal(errorOf(answer).code, 'NOT_FOUND', path);
      assert.match(errorOf(answer).message, /no route for POST/, path);
    }
  });

  test('the most specific pattern wins: an exact one, then the longest prefix', async () => {
    assert.equal(await servedBy('/api/cart/health'), 'cart-admin');
    assert.equal(await servedBy('/api/cart/health/deep'), 'cart');
    assert.equal(await servedBy('/api/cart/admin'), 'cart-admin');
    assert.equal(await servedBy('/api/cart/admin/users/7'), 'cart-admin');
    assert.equal(await servedBy('/api/cart/administrator'), 'cart');
  });

  test('a method the route does not take: 405 with Allow and a JSON error; HEAD goes with GET', async () => {
    const answer = await send('/api/cart/items', { method: 'DELETE' });
    assert.equal(answer.status, 405, answer.text);
    assert.equal(answer.headers.get('allow'), 'GET, POST, HEAD');
    assert.equal(errorOf(answer).code, 'METHOD_NOT_ALLOWED');
    assert.equal(errorOf(answer).message, 'route /api/cart/* takes GET, POST, HEAD, not DELETE');
    assert.equal((await send('/api/cart/items', { method: 'HEAD' })).status, 200);
    // A route without methods takes any; /fn/<name>/ ignores them.
    assert.equal(await servedBy('/api/cart/admin/x', platform.url, { method: 'DELETE' }), 'cart-admin');
    assert.equal(await servedBy('/fn/cart/items', platform.url, { method: 'DELETE' }), 'cart');
  });

  test('a private function: a token of role invoker for it is needed, and it does not reach the function', async () => {
    await api.deploy('ledger', echo('ledger'), { routes: [{ path: '/ledger/*' }] });
    const token = async (namespace: string) => {
      const made = await api.call('POST', '/api/v1/tokens', { name: `route-${namespace}`, role: 'invoker', namespace });
      assert.equal(made.status, 201, made.text);
      return made.json?.token as string;
    };
    const [own, other] = await Promise.all([token('ledger'), token('cart')]);
    assert.equal(errorOf(await send('/ledger/entries')).code, 'UNAUTHORIZED');
    assert.equal((await send('/ledger/entries', { headers: { authorization: `Bearer ${other}` } })).status, 403);
    const answer = await send('/ledger/entries', { headers: { authorization: `Bearer ${own}` } });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual([(answer.json as unknown as Echoed).label, (answer.json as unknown as Echoed).auth], ['ledger', null]);
    // Public functions get the Authorization header as sent: it is not the platform's.
    assert.equal(((await send('/hello', { headers: { authorization: 'Bearer theirs' } })).json as unknown as Echoed).auth, 'Bearer theirs');
  });

  test('async through a route: 202, then a record whose result saw the original URL', async () => {
    const id = await api.submit('/api/cart/checkout?step=2', 'pay');
    const record = await api.finalRecord(id);
    assert.equal(record.status, 'succeeded');
    assert.equal(record.trigger, 'http');
    const seen = JSON.parse(record.result?.body ?? '{}') as Echoed;
    assert.equal(new URL(seen.url).pathname + new URL(seen.url).search, '/api/cart/checkout?step=2');
    assert.equal(seen.body, 'pay');
  });

  test('the body limit holds on routes too', async () => {
    const answer = await send('/api/cart/upload', { method: 'POST', body: 'x'.repeat(65_537), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(answer.status, 413, answer.text);
    assert.equal(errorOf(answer).code, 'PAYLOAD_TOO_LARGE');
  });

  test("a pattern another function serves is refused (409 naming it), and nothing of the refused deploy is kept", async () => {
    const refused = await api.call('POST', '/api/v1/functions', {
      manifest: { name: 'rival', main: 'index.js', public: true, routes: [{ path: '/rival' }, { path: '/api/cart/*' }] },
      files: { 'index.js': echo('rival') },
    });
    assert.equal(refused.status, 409, refused.text);
    assert.equal(errorOf(refused).code, 'CONFLICT');
    assert.match(errorOf(refused).message, /route \/api\/cart\/\* is already served by function "cart"/);
    assert.equal((await api.call('GET', '/api/v1/functions/rival')).status, 404);
    assert.equal(await servedBy('/rival'), 404);
    assert.equal(await servedBy('/api/cart/x'), 'cart');
  });

  test('a redeploy that drops a route stops serving it, here and on the other gateway', async () => {
    await eventually('the other gateway serves /hello', async () => ((await servedBy('/hello', secondGateway.url)) === 'hello' ? true : null), 2_000);
    await api.deploy('hello', echo('hello'), { public: true, routes: [{ path: '/hello-again' }] });
    assert.equal(await servedBy('/hello'), 404);
    assert.equal(await servedBy('/hello-again'), 'hello');
    await eventually('the other gateway drops /hello', async () => ((await servedBy('/hello', secondGateway.url)) === 404 ? true : null), 2_000);
  });

  test('a delete releases its routes: they stop serving and another function may take them', async () => {
    assert.equal((await api.call('DELETE', '/api/v1/functions/cart')).status, 204);
    assert.equal(await servedBy('/api/cart/x'), 404);
    assert.equal(await servedBy('/api/cart/admin/x'), 'cart-admin', 'a more specific route of another function stays');
    await api.deploy('cart-v2', echo('cart-v2'), { public: true, routes: [{ path: '/api/cart/*' }] });
    assert.equal(await servedBy('/api/cart/x'), 'cart-v2');
  });

  test('a route deployed through one gateway is served by the other within a couple of seconds', async () => {
    const started = Date.now();
    await api.deploy('far-away', echo('far-away'), { public: true, routes: [{ path: '/far/*', methods: ['GET'] }] });
    await eventually('the second gateway serves /far/x', async () => ((await servedBy('/far/x', secondGateway.url)) === 'far-away' ? true : null), 2_000);
    assert.ok(Date.now() - started < 2_000);
    const refused = await send('/far/x', { method: 'POST' }, secondGateway.url);
    assert.equal(refused.status, 405);
    assert.equal(refused.headers.get('allow'), 'GET, HEAD');
  });
});
