import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { packDeployArchive, startTestRedis, type TestRedis } from '@isola/core/testing';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// Two platforms on one Redis: every change made through A must reach B by push, within a second.
let redis: TestRedis;
let a: SpawnedPlatform;
let b: SpawnedPlatform;

before(async () => {
  redis = await startTestRedis();
  [a, b] = await Promise.all([
    spawnPlatform({ env: { ISOLA_WORKERS: '1', REDIS_URL: redis.url } }),
    spawnPlatform({ env: { ISOLA_WORKERS: '1', REDIS_URL: redis.url } }),
  ]);
});
after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
});

function versionSource(label: string, extra: Record<string, unknown> = {}) {
  return {
    manifest: { name: 'canary', main: 'index.js', public: true, ...extra },
    files: { 'index.js': `export default { fetch: () => new Response(${JSON.stringify(label)}) };` },
  };
}

async function api(platform: SpawnedPlatform, method: string, path: string, body?: unknown, token = platform.token) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

async function deploy(label: string, query = '') {
  const { manifest, files } = versionSource(label);
  const response = await api(a, 'POST', `/api/v1/functions${query}`, { manifest, files });
  assert.equal(response.status, 201, JSON.stringify(response.json));
  return response.json as { version: number };
}

async function served(platform: SpawnedPlatform, headers: Record<string, string> = {}) {
  const response = await fetch(`${platform.url}/fn/canary/`, { headers });
  return { status: response.status, body: await response.text(), version: response.headers.get('x-isola-version') };
}

describe('versions, aliases, traffic and rollback', () => {
  test('every deploy is a new immutable version with author and time; latest follows unless promote=false', async () => {
    assert.equal((await deploy('one')).version, 1);
    assert.equal((await deploy('two')).version, 2);
    assert.equal((await deploy('three', '?promote=false')).version, 3);
    const versions = await api(a, 'GET', '/api/v1/functions/canary/versions');
    assert.equal(versions.status, 200);
    const list = (versions.json as { versions: { version: number; author: string; createdAt: string; codeHash: string }[] }).versions;
    assert.deepEqual(list.map((entry) => entry.version), [3, 2, 1]);
    assert.ok(list.every((entry) => entry.author === 'admin' && !Number.isNaN(Date.parse(entry.createdAt)) && /^[0-9a-f]{64}$/.test(entry.codeHash)));
    assert.deepEqual(await served(b), { status: 200, body: 'two', version: '2' });
    const shown = await api(a, 'GET', '/api/v1/functions/canary');
    assert.equal(shown.json?.version, 2);
    assert.deepEqual(shown.json?.aliases, { latest: { version: 2 } });
  });

  test('weights split the traffic as asked (checked statistically) and X-Isola-Version says which served', async () => {
    const set = await api(a, 'PUT', '/api/v1/functions/canary/aliases/latest', { weights: { '2': 80, '3': 20 } });
    assert.equal(set.status, 200, JSON.stringify(set.json));
    const counts = new Map<string, number>();
    const total = 600;
    for (let index = 0; index < total; index += 1) {
      const { body, version } = await served(index % 2 === 0 ? a : b);
      assert.equal(body, version === '2' ? 'two' : 'three');
      counts.set(version ?? '', (counts.get(version ?? '') ?? 0) + 1);
    }
    // Binomial(600, 0.2): mean 120, sd ≈ 9.8; ±5 sd keeps a false failure below one in a million.
    const three = counts.get('3') ?? 0;
    assert.ok(Math.abs(three - 120) < 49, `version 3 served ${three} of ${total}, expected about 120`);
    assert.equal((counts.get('2') ?? 0) + three, total);
  });

  test('bad alias bodies are refused with every problem named', async () => {
    const sum = await api(a, 'PUT', '/api/v1/functions/canary/aliases/latest', { weights: { '2': 80, '3': 30 } });
    assert.equal(sum.status, 400);
    assert.match(String((sum.json?.error as { message: string }).message), /weights must sum to 100/);
    const missing = await api(a, 'PUT', '/api/v1/functions/canary/aliases/stable', { version: 9 });
    assert.equal(missing.status, 400);
    assert.match(String((missing.json?.error as { message: string }).message), /no version 9/);
    const unknown = await api(a, 'PUT', '/api/v1/functions/nope/aliases/stable', { version: 1 });
    assert.equal(unknown.status, 404);
  });

  test('another alias is served on request with X-Isola-Alias', async () => {
    assert.equal((await api(a, 'PUT', '/api/v1/functions/canary/aliases/stable', { version: 1 })).status, 200);
    assert.deepEqual(await served(b, { 'x-isola-alias': 'stable' }), { status: 200, body: 'one', version: '1' });
    assert.equal((await served(b, { 'x-isola-alias': 'nosuch' })).status, 404);
  });

  test('rollback takes effect on the other platform within a second (push, not polling)', async () => {
    assert.equal((await api(a, 'PUT', '/api/v1/functions/canary/aliases/latest', { version: 3 })).status, 200);
    assert.equal((await served(b)).version, '3');
    const started = performance.now();
    const rolled = await api(a, 'POST', '/api/v1/functions/canary/rollback', {});
    assert.equal(rolled.status, 200, JSON.stringify(rolled.json));
    assert.deepEqual(rolled.json, { alias: 'latest', from: { version: 3 }, to: { version: 2 } });
    let elapsed = 0;
    for (;;) {
      if ((await served(b)).version === '2') break;
      elapsed = performance.now() - started;
      assert.ok(elapsed < 1_000, 'B still served version 3 a second after the rollback');
    }
    console.log(`rollback seen on the other platform after ${(performance.now() - started).toFixed(1)} ms`);
    const to = await api(a, 'POST', '/api/v1/functions/canary/rollback', { version: 1 });
    assert.deepEqual(to.json, { alias: 'latest', from: { version: 2 }, to: { version: 1 } });
    const oldest = await api(a, 'POST', '/api/v1/functions/canary/rollback', {});
    assert.equal(oldest.status, 409);
  });

  test('delete stops new invocations everywhere and removes versions; the name can be deployed again', async () => {
    const deleted = await api(a, 'DELETE', '/api/v1/functions/canary');
    assert.equal(deleted.status, 204);
    const started = performance.now();
    while ((await served(b)).status !== 404) assert.ok(performance.now() - started < 1_000, 'B still served a deleted function');
    assert.equal((await api(b, 'GET', '/api/v1/functions/canary/versions')).status, 404);
    assert.equal((await api(a, 'DELETE', '/api/v1/functions/canary')).status, 404);
    assert.equal((await deploy('again')).version, 1);
    assert.equal((await served(b)).body, 'again');
  });
});

describe('tokens and roles', () => {
  test('tokens are shown once, listed without values, scoped by role and namespace, and revocation is immediate everywhere', async () => {
    const create = async (body: Record<string, unknown>) => {
      const response = await api(a, 'POST', '/api/v1/tokens', body);
      assert.equal(response.status, 201, JSON.stringify(response.json));
      return response.json as { id: string; token: string };
    };
    const deployer = await create({ name: 'ci', role: 'deployer', namespace: 'shop' });
    const invoker = await create({ name: 'app', role: 'invoker' });
    assert.match(deployer.token, /^isola_[0-9a-f]{12}_/);

    const listed = await api(a, 'GET', '/api/v1/tokens');
    const text = JSON.stringify(listed.json);
    assert.ok(!text.includes(deployer.token) && !text.includes('digest'), 'tokens are never listed');
    assert.equal((listed.json as { tokens: unknown[] }).tokens.length, 2);

    const shop = { manifest: { name: 'shop-cart', main: 'index.js' }, files: { 'index.js': 'export default { fetch: () => new Response("cart") };' } };
    assert.equal((await api(b, 'POST', '/api/v1/functions', shop, deployer.token)).status, 201);
    const outside = await api(b, 'POST', '/api/v1/functions', { ...shop, manifest: { name: 'billing', main: 'index.js' } }, deployer.token);
    assert.equal(outside.status, 403);
    assert.match(String((outside.json?.error as { message: string }).message), /namespace "shop"/);
    assert.equal((await api(b, 'GET', '/api/v1/tokens', undefined, deployer.token)).status, 403);
    assert.equal((await api(b, 'POST', '/api/v1/functions', shop, invoker.token)).status, 403);

    const invoke = await fetch(`${b.url}/api/v1/functions/shop-cart/invoke`, { method: 'POST', headers: { authorization: `Bearer ${invoker.token}` }, body: 'x' });
    assert.equal(invoke.status, 200);
    assert.equal(await invoke.text(), 'cart');
    assert.equal((await fetch(`${b.url}/fn/shop-cart/`, { headers: { authorization: `Bearer ${invoker.token}` } })).status, 200);
    assert.equal((await fetch(`${b.url}/fn/shop-cart/`)).status, 401, 'a private function needs a token');

    assert.equal((await api(a, 'DELETE', `/api/v1/tokens/${invoker.id}`)).status, 204);
    const started = performance.now();
    while ((await fetch(`${b.url}/fn/shop-cart/`, { headers: { authorization: `Bearer ${invoker.token}` } })).status !== 401) {
      assert.ok(performance.now() - started < 1_000, 'a revoked token still worked on B after a second');
    }
    assert.equal((await api(a, 'DELETE', `/api/v1/tokens/${invoker.id}`)).status, 404);
  });
});

describe('OpenAPI', () => {
  test('/api/v1/openapi.json documents every control-plane route with its schemas', async () => {
    const response = await fetch(`${a.url}/api/v1/openapi.json`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> };
    assert.equal(document.openapi, '3.1.0');
    for (const [path, method] of [
      ['/api/v1/functions', 'post'],
      ['/api/v1/functions/{name}', 'delete'],
      ['/api/v1/functions/{name}/versions', 'get'],
      ['/api/v1/functions/{name}/aliases/{alias}', 'put'],
      ['/api/v1/functions/{name}/rollback', 'post'],
      ['/api/v1/functions/{name}/invoke', 'post'],
      ['/api/v1/tokens', 'post'],
      ['/api/v1/tokens/{id}', 'delete'],
    ] as const) {
      assert.ok(document.paths[path]?.[method] !== undefined, `${method} ${path} is documented`);
    }
    assert.match(JSON.stringify(document.paths['/api/v1/functions/{name}/aliases/{alias}']?.put?.requestBody), /weights/);
  });
});

describe('tar.gz deploys', () => {
  test('a tar.gz body holding isola.yaml and sources deploys like the JSON form; a broken one gets 400', async () => {
    const body = await packDeployArchive({
      'fromtar/isola.yaml': 'name: fromtar\nmain: src/index.ts\npublic: true\n',
      'fromtar/src/index.ts': 'import { word } from "./word";\nexport default { fetch: (): Response => new Response(word) };\n',
      'fromtar/src/word.ts': 'export const word: string = "from a tarball";\n',
    });
    const deployed = await fetch(`${a.url}/api/v1/functions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/gzip' },
      body,
    });
    assert.equal(deployed.status, 201, await deployed.clone().text());
    assert.equal(((await deployed.json()) as { name: string }).name, 'fromtar');
    assert.equal(await (await fetch(`${b.url}/fn/fromtar/`)).text(), 'from a tarball');

    const broken = await fetch(`${a.url}/api/v1/functions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/gzip' },
      body: 'not gzip at all',
    });
    assert.equal(broken.status, 400);
    assert.match(((await broken.json()) as { error: { message: string } }).error.message, /gzip-compressed tar/);
  });
});
