import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { redisKeys } from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { eventually, TestApi } from './e2e-helpers.js';
import { firstAnswer, rawHttp } from './raw-http.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// What the web console needs from the gateway, against a real `isola up`: one version with its
// sources, stats and health in the functions list (quarantine included), invocation records by
// time range, the caller's own token, and the console's files served at / and /console/.

const fixtures = new URL('../../../worker-pool/fixtures/hostile/', import.meta.url);
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const indexHtml = '<!doctype html><html><head><script type="module" src="/console/assets/app-abc123.js"></script></head><body><div id="app"></div></body></html>\n';
const appJs = 'document.getElementById("app").textContent = "Isola";\n';

/** Answers by query: ?throw throws (a failed invocation), ?fail answers 500 (an error), else 200. */
const answersByQuery = `export default {
  fetch(request) {
    const query = new URL(request.url).searchParams;
    if (query.has('throw')) throw new Error('asked to throw');
    return query.has('fail') ? new Response('failing', { status: 500 }) : new Response('ok');
  },
};`;

let redis: TestRedis;
let raw: Redis;
let platform: SpawnedPlatform;
let admin: TestApi;
let consoleDir: string;

before(async () => {
  consoleDir = mkdtempSync(join(tmpdir(), 'isola-console-'));
  mkdirSync(join(consoleDir, 'console', 'assets'), { recursive: true });
  writeFileSync(join(consoleDir, 'index.html'), indexHtml);
  writeFileSync(join(consoleDir, 'console', 'assets', 'app-abc123.js'), appJs);
  writeFileSync(join(consoleDir, 'console', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(consoleDir, 'console', '.env'), 'SECRET=1');
  redis = await startTestRedis();
  raw = new Redis(redis.url);
  platform = await spawnPlatform({ env: { REDIS_URL: redis.url, ISOLA_CONSOLE_DIR: consoleDir } });
  admin = new TestApi(platform.url, platform.token);
});
after(async () => {
  raw?.disconnect();
  await platform?.stop();
  await redis?.stop();
  rmSync(consoleDir, { recursive: true, force: true });
});

async function deployPublic(name: string, files: Record<string, string>, manifest: Record<string, unknown> = {}): Promise<number> {
  const answer = await admin.call('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', public: true, ...manifest }, files });
  assert.equal(answer.status, 201, answer.text);
  return answer.json?.version as number;
}

async function hit(name: string, query = ''): Promise<Response> {
  const response = await fetch(`${platform.url}/fn/${name}/${query}`, { signal: AbortSignal.timeout(30_000) });
  await response.arrayBuffer();
  return response;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The status of a GET with `headers`, sent as a browser revalidating its cache does (fetch would
 * add `Cache-Control: no-cache` to a conditional request, which asks for the whole answer).
 */
function statusOf(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${platform.url}${path}`, { headers }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

describe('GET /api/v1/functions/{name}/versions/{version}', () => {
  test('answers one version with its manifest and its sources as uploaded', async () => {
    const v1Files = { 'index.js': 'import { greeting } from "./lib/greeting.js";\nexport default { fetch: () => new Response(greeting) };\n', 'lib/greeting.js': 'export const greeting = "hello";\n' };
    const v2Files = { 'index.js': 'export default { fetch: () => new Response("v2") };\n' };
    assert.equal(await deployPublic('sources', v1Files, { vars: { COLOR: 'blue' } }), 1);
    assert.equal(await deployPublic('sources', v2Files), 2);
    const versions = (await admin.call('GET', '/api/v1/functions/sources/versions')).json as { versions: { version: number; codeHash: string; createdAt: string }[] };

    const first = await admin.call('GET', '/api/v1/functions/sources/versions/1');
    assert.equal(first.status, 200, first.text);
    const detail = first.json as { name: string; version: number; codeHash: string; createdAt: string; author: string; manifest: { name: string; vars: Record<string, string> }; files: Record<string, string> };
    assert.deepEqual(Object.keys(detail).sort(), ['author', 'codeHash', 'createdAt', 'files', 'manifest', 'name', 'version']);
    assert.equal(detail.name, 'sources');
    assert.equal(detail.version, 1);
    assert.equal(detail.author, 'admin');
    assert.deepEqual(detail.files, v1Files);
    assert.deepEqual(detail.manifest.vars, { COLOR: 'blue' });
    const listed = versions.versions.find((entry) => entry.version === 1);
    assert.deepEqual([detail.codeHash, detail.createdAt], [listed?.codeHash, listed?.createdAt]);
    assert.deepEqual((await admin.call('GET', '/api/v1/functions/sources/versions/2')).json?.files, v2Files);

    const missingVersion = await admin.call('GET', '/api/v1/functions/sources/versions/3');
    assert.equal(missingVersion.status, 404);
    assert.deepEqual(missingVersion.json, {
      error: { code: 'NOT_FOUND', message: 'function "sources" has no version 3; GET /api/v1/functions/sources/versions lists them' },
    });
    const missingFunction = await admin.call('GET', '/api/v1/functions/no-such-fn/versions/1');
    assert.equal(missingFunction.status, 404);
    assert.equal((missingFunction.json?.error as { code: string }).code, 'FUNCTION_NOT_FOUND');
    for (const version of ['0', '01', '-1', '1.5', 'latest', '9999999999']) {
      const bad = await admin.call('GET', `/api/v1/functions/sources/versions/${version}`);
      assert.equal(bad.status, 400, `${version}: ${bad.text}`);
      assert.match(bad.text, /path\.version: a version number/);
    }
  });
});

describe('GET /api/v1/functions?stats=true', () => {
  interface Summary {
    name: string;
    version: number;
    stats?: { invocations: number; errors: number; errorRate: number; coldStarts: number; p50Ms: number; p99Ms: number };
    health?: { status: string; reason: string | null };
  }
  const listed = async (query = '?stats=true') => {
    const answer = await admin.call('GET', `/api/v1/functions${query}`);
    assert.equal(answer.status, 200, answer.text);
    return new Map((answer.json as { functions: Summary[] }).functions.map((entry) => [entry.name, entry]));
  };

  test('adds the last hour and a health verdict to each function: healthy, idle, failing, degraded, quarantined', async () => {
    for (const name of ['steady', 'idle-fn', 'flaky', 'shaky']) await deployPublic(name, { 'index.js': answersByQuery });
    await deployPublic('map-oom', { 'index.js': readFileSync(new URL('map-oom.js', fixtures), 'utf8') }, { limits: { memoryMb: 32 } });
    for (let index = 0; index < 5; index += 1) assert.equal((await hit('steady')).status, 200);
    assert.equal((await hit('flaky')).status, 200);
    for (let index = 0; index < 3; index += 1) assert.equal((await hit('flaky', '?fail')).status, 500);
    for (let index = 0; index < 18; index += 1) assert.equal((await hit('shaky')).status, 200);
    for (let index = 0; index < 2; index += 1) assert.equal((await hit('shaky', '?fail')).status, 500);

    // Two fatal crashes quarantine the version; the worker process is replaced meanwhile.
    // Each crash takes a worker process down and it is respawned: on a busy machine that takes
    // seconds, during which calls are refused as OVERLOADED.
    let quarantined = false;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !quarantined) {
      const response = await fetch(`${platform.url}/fn/map-oom/`, { signal: AbortSignal.timeout(30_000) });
      const body = (await response.json()) as { error?: { code: string } };
      assert.ok(['FUNCTION_CRASHED', 'FUNCTION_QUARANTINED', 'OVERLOADED'].includes(body.error?.code ?? ''), JSON.stringify(body));
      quarantined = body.error?.code === 'FUNCTION_QUARANTINED';
      if (!quarantined) await sleep(100);
    }
    assert.ok(quarantined, 'map-oom was quarantined');

    // Records and metrics are written off the hot path; the quarantine note too.
    const functions = await eventually('the stats of every invocation', async () => {
      const found = await listed();
      const ready = found.get('steady')?.stats?.invocations === 5 && found.get('shaky')?.stats?.invocations === 20 && found.get('map-oom')?.health?.status === 'quarantined';
      return ready ? found : null;
    });
    const steady = functions.get('steady');
    assert.equal(steady?.stats?.errors, 0);
    assert.equal(steady?.stats?.errorRate, 0);
    assert.ok((steady?.stats?.coldStarts ?? 0) >= 1);
    assert.ok((steady?.stats?.p50Ms ?? 0) > 0 && (steady?.stats?.p99Ms ?? 0) >= (steady?.stats?.p50Ms ?? 0), JSON.stringify(steady?.stats));
    assert.deepEqual(Object.keys(steady?.stats ?? {}).sort(), ['coldStarts', 'errorRate', 'errors', 'invocations', 'p50Ms', 'p99Ms']);
    assert.deepEqual(steady?.health, { status: 'healthy', reason: null });
    assert.deepEqual(functions.get('idle-fn')?.stats, { invocations: 0, errors: 0, errorRate: 0, coldStarts: 0, p50Ms: 0, p99Ms: 0 });
    assert.deepEqual(functions.get('idle-fn')?.health, { status: 'idle', reason: 'no invocations in the last hour' });
    assert.deepEqual([functions.get('flaky')?.stats?.invocations, functions.get('flaky')?.stats?.errors], [4, 3]);
    assert.deepEqual(functions.get('flaky')?.health, { status: 'failing', reason: '3 of 4 invocations failed in the last 5 minutes' });
    assert.deepEqual(functions.get('shaky')?.health, { status: 'degraded', reason: '2 of 20 invocations (10%) failed in the last hour' });
    assert.equal(functions.get('shaky')?.stats?.errorRate, 0.1);
    assert.equal(functions.get('map-oom')?.health?.status, 'quarantined');
    assert.match(functions.get('map-oom')?.health?.reason ?? '', /^version 1 is quarantined: it crashed its worker 2 times within 10 minutes \(last: .+\); redeploy to lift it$/);

    // The single show answers the same; without ?stats=true neither answer changes.
    const shown = await admin.call('GET', '/api/v1/functions/flaky?stats=true');
    assert.deepEqual([shown.json?.stats, shown.json?.health], [functions.get('flaky')?.stats, functions.get('flaky')?.health]);
    const plainShow = await admin.call('GET', '/api/v1/functions/flaky');
    assert.ok(!('stats' in (plainShow.json ?? {})) && !('health' in (plainShow.json ?? {})), plainShow.text);
    for (const entry of (await listed('')).values()) assert.ok(!('stats' in entry) && !('health' in entry), entry.name);
    for (const query of ['?stats=yes', '?stats=true&x=1']) assert.equal((await admin.call('GET', `/api/v1/functions${query}`)).status, 400, query);

    // The note lives in Redis beside the function and goes with it: a new "map-oom" starts clean.
    assert.deepEqual(Object.keys(await raw.hgetall(redisKeys.functionQuarantine('map-oom'))), ['1']);
    assert.equal((await admin.call('DELETE', '/api/v1/functions/map-oom')).status, 204);
    assert.equal(await raw.exists(redisKeys.functionQuarantine('map-oom')), 0);
    assert.equal(await deployPublic('map-oom', { 'index.js': 'export default { fetch: () => new Response("fixed") };' }), 1);
    // Not quarantined. (Not necessarily idle: records of the old map-oom still buffered in the
    // recorder when it was deleted are written afterwards under its name, a documented limit.)
    const fresh = (await listed()).get('map-oom')?.health;
    assert.ok(fresh !== undefined && fresh.status !== 'quarantined', JSON.stringify(fresh));
    assert.equal((await hit('map-oom')).status, 200);
  });

  test('a namespaced token sees the stats of its own functions only', async () => {
    const created = await admin.call('POST', '/api/v1/tokens', { name: 'shop-console', role: 'deployer', namespace: 'shop' });
    await deployPublic('shop-cart', { 'index.js': answersByQuery });
    const scoped = new TestApi(platform.url, created.json?.token as string);
    const answer = await scoped.call('GET', '/api/v1/functions?stats=true');
    const functions = (answer.json as { functions: Summary[] }).functions;
    assert.deepEqual(functions.map((entry) => entry.name), ['shop-cart']);
    assert.equal(functions[0]?.health?.status, 'idle');
  });
});

describe('GET /api/v1/functions/{name}/invocations?since&until', () => {
  test('pages hold only the records that started in the range, combined with status, limit and cursor', async () => {
    await deployPublic('timed', { 'index.js': answersByQuery });
    // Oldest first: ok, throw, ok, throw, ok, throw, ok; apart in time.
    const queries = ['', '?throw', '', '?throw', '', '?throw', ''];
    // Workers replaced after an earlier test's crashes must be serving again, or the first calls
    // would be refused (and recorded) as OVERLOADED.
    await eventually('a worker serves again', async () => ((await hit('steady')).status === 200 ? true : null), 60_000, 100);
    for (const query of queries) {
      assert.equal((await hit('timed', query)).status, query === '' ? 200 : 502);
      await sleep(15);
    }
    const all = await eventually('seven records', async () => {
      const answer = await admin.call('GET', '/api/v1/functions/timed/invocations');
      const records = (answer.json as { invocations: { id: string; startedAt: string; status: string }[] }).invocations;
      return records.length === 7 ? records : null;
    });
    const times = all.map((record) => Date.parse(record.startedAt));
    assert.equal(new Set(times).size, 7, 'distinct start times');
    const ids = all.map((record) => record.id);
    const page = async (query: string) => {
      const answer = await admin.call('GET', `/api/v1/functions/timed/invocations?${query}`);
      assert.equal(answer.status, 200, answer.text);
      return answer.json as { invocations: { id: string; status: string }[]; nextCursor: string | null };
    };

    // Both bounds inclusive: since as epoch ms, until as ISO 8601.
    const range = `since=${times[5]}&until=${encodeURIComponent(all[1]?.startedAt ?? '')}`;
    const first = await page(`${range}&limit=3`);
    assert.deepEqual(first.invocations.map((record) => record.id), ids.slice(1, 4));
    assert.ok(first.nextCursor !== null);
    const second = await page(`${range}&limit=3&cursor=${first.nextCursor}`);
    assert.deepEqual(second.invocations.map((record) => record.id), ids.slice(4, 6));
    assert.equal(second.nextCursor, null, 'no more records in the range');
    // A page that ends exactly at the range's oldest record is the last one.
    assert.equal((await page(`${range}&limit=5`)).nextCursor, null);

    const failed = await page(`${range}&status=failed&limit=2`);
    assert.deepEqual(failed.invocations.map((record) => record.status), ['failed', 'failed']);
    const failedNext = await page(`${range}&status=failed&limit=2&cursor=${failed.nextCursor}`);
    assert.deepEqual([...failed.invocations, ...failedNext.invocations].map((record) => record.id), ids.slice(1, 6).filter((_, index) => index % 2 === 0));
    assert.equal(failedNext.nextCursor, null);

    assert.deepEqual((await page(`since=${times[2]}`)).invocations.map((record) => record.id), ids.slice(0, 3));
    assert.deepEqual((await page(`until=${times[5]}`)).invocations.map((record) => record.id), ids.slice(5));
    assert.deepEqual((await page(`since=${(times[0] ?? 0) + 1}`)).invocations, []);

    for (const bad of ['since=yesterday', 'until=2025-13-45T00:00:00Z', 'since=1e12', `since=${times[0]}&until=${times[6]}`]) {
      const answer = await admin.call('GET', `/api/v1/functions/timed/invocations?${bad}`);
      assert.equal(answer.status, 400, `${bad}: ${answer.text}`);
    }
  });
});

describe('GET /api/v1/tokens/current', () => {
  test("answers any valid token with the caller's own id, name, role, namespace and expiry", async () => {
    assert.deepEqual((await admin.call('GET', '/api/v1/tokens/current')).json, { id: null, name: 'admin', role: 'admin', namespace: null, expiresAt: null });
    for (const [role, namespace] of [['invoker', null], ['deployer', 'shop'], ['admin', null]] as const) {
      const created = (await admin.call('POST', '/api/v1/tokens', { name: `me-${role}`, role, ...(namespace === null ? {} : { namespace }), expiresInSeconds: 3600 })).json as {
        id: string;
        token: string;
        expiresAt: string;
      };
      const current = await new TestApi(platform.url, created.token).call('GET', '/api/v1/tokens/current');
      assert.equal(current.status, 200, current.text);
      assert.deepEqual(current.json, { id: created.id, name: `me-${role}`, role, namespace, expiresAt: created.expiresAt });
    }
    assert.equal((await new TestApi(platform.url, 'not-a-token').call('GET', '/api/v1/tokens/current')).status, 401);
    const anonymous = await fetch(`${platform.url}/api/v1/tokens/current`);
    assert.equal(anonymous.status, 401);
    // Not taken for a token id by the revoke route.
    const revoke = await admin.call('DELETE', '/api/v1/tokens/current');
    assert.equal(revoke.status, 400, revoke.text);
    assert.match(revoke.text, /path\.id: a token id/);
  });
});

describe('the web console', () => {
  test('GET / and /index.html: the app, revalidated each time, with the security headers; no token needed', async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${platform.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), indexHtml);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      assert.equal(response.headers.get('content-security-policy'), csp);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      const etag = response.headers.get('etag');
      assert.ok(etag !== null && response.headers.get('last-modified') !== null);
      assert.equal(await statusOf(path, { 'if-none-match': etag }), 304);
      assert.equal(await statusOf(path, { 'if-none-match': '"stale"' }), 200);
    }
    const head = await fetch(`${platform.url}/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(indexHtml)));
  });

  test('GET /console/*: hashed assets are cached for good, other files revalidated; unknown files are a JSON 404', async () => {
    const asset = await fetch(`${platform.url}/console/assets/app-abc123.js`);
    assert.equal(asset.status, 200);
    assert.equal(await asset.text(), appJs);
    assert.match(asset.headers.get('content-type') ?? '', /^(application|text)\/javascript/);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(asset.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await statusOf('/console/assets/app-abc123.js', { 'if-none-match': asset.headers.get('etag') ?? '' }), 304);
    assert.equal(await statusOf('/console/assets/app-abc123.js', { 'if-modified-since': asset.headers.get('last-modified') ?? '' }), 304);
    const headAsset = await fetch(`${platform.url}/console/assets/app-abc123.js`, { method: 'HEAD' });
    assert.equal(headAsset.status, 200);
    assert.equal(headAsset.headers.get('cache-control'), 'public, max-age=31536000, immutable');

    const icon = await fetch(`${platform.url}/console/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    assert.equal(icon.headers.get('content-type'), 'image/svg+xml');

    for (const path of ['/console/assets/nope.js', '/console/.env', '/console/', '/console/assets', '/console']) {
      const response = await fetch(`${platform.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('content-type'), 'application/json; charset=utf-8', path);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'NOT_FOUND', path);
    }
    // A client that sends `..` as is (fetch would resolve it) gets nothing outside console/; `GET *` is no page.
    for (const path of ['/console/../index.html', '/console/%2e%2e/index.html', '/console/assets/../../../../etc/passwd', '/console/..%2f..%2fetc%2fpasswd', '*']) {
      const answer = firstAnswer(await rawHttp(platform.url, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`));
      assert.equal(answer?.status, 404, `${path}: ${answer?.head}`);
      assert.match(answer?.body ?? '', /"code":"NOT_FOUND"/, path);
    }

    const unknown = await fetch(`${platform.url}/nope`);
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /the API lives under \/api\/v1, functions under \/fn\/\{name\} and the web console at \/$/);
    const posted = await fetch(`${platform.url}/`, { method: 'POST', body: 'x' });
    assert.equal(posted.status, 404);
  });

  test('the API beside it is unchanged: its document lists no console route, and manifests cannot claim the console paths', async () => {
    const document = (await (await fetch(`${platform.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.keys(document.paths);
    assert.deepEqual(paths.filter((path) => !path.startsWith('/api/v1/')), []);
    for (const path of ['/api/v1/functions/{name}/versions/{version}', '/api/v1/tokens/current']) assert.ok(paths.includes(path), path);
    const listParameters = (document.paths['/api/v1/functions']?.get as { parameters: { name: string }[] }).parameters.map((parameter) => parameter.name);
    assert.deepEqual(listParameters, ['stats']);
    const recordParameters = (document.paths['/api/v1/functions/{name}/invocations']?.get as { parameters: { name: string }[] }).parameters.map((parameter) => parameter.name);
    assert.deepEqual(recordParameters, ['name', 'status', 'since', 'until', 'limit', 'cursor']);
    assert.equal((await admin.call('GET', '/api/v1/functions')).status, 200);

    const claimed = await admin.call('POST', '/api/v1/functions', { manifest: { name: 'claims-console', main: 'index.js', routes: [{ path: '/console/app' }, { path: '/' }] }, files: { 'index.js': answersByQuery } });
    assert.equal(claimed.status, 400);
    assert.match(claimed.text, /routes\.0\.path: must not be \/ or \/index\.html \(the web console\) nor use a reserved prefix \(\/api\/v1, \/fn, \/console,/);
    assert.match(claimed.text, /routes\.1\.path/);
  });
});

describe('a gateway without a built console', () => {
  let bare: SpawnedPlatform;
  before(async () => {
    bare = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_CONSOLE_DIR: join(tmpdir(), 'isola-no-console-here') } });
  });
  after(async () => {
    await bare?.stop();
  });

  test('answers / with 503 saying how to build it, and keeps serving the API', async () => {
    const page = await fetch(`${bare.url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(page.status, 503);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-store');
    const html = await page.text();
    assert.match(html, /The Isola console is not built/);
    assert.match(html, /npm run build -w console/);
    assert.match(html, /ISOLA_CONSOLE_DIR/);
    assert.match(html, /isola-no-console-here\/index\.html is missing/);

    const json = await fetch(`${bare.url}/index.html`, { headers: { accept: 'application/json' } });
    assert.equal(json.status, 503);
    const body = (await json.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'NOT_READY');
    assert.match(body.error.message, /the web console is not built: .*isola-no-console-here\/index\.html is missing; run `npm run build -w console` \(or set ISOLA_CONSOLE_DIR/);
    assert.equal((await fetch(`${bare.url}/console/assets/app-abc123.js`)).status, 404);

    const api = new TestApi(bare.url, bare.token);
    assert.equal((await api.call('GET', '/api/v1/functions')).status, 200);
    assert.equal((await fetch(`${bare.url}/readyz`)).status, 200);
    // Not a platform fault: nothing logged at error level.
    assert.deepEqual(bare.stderr().split('\n').filter((line) => /"level":(50|60)/.test(line)), []);
  });
});
