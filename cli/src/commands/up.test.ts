import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { firstAnswer, rawHttp, type RawAnswer } from '../testing/raw-http.js';
import { spawnPlatform, type SpawnedPlatform } from '../testing/spawn-platform.js';

const echoSource = `
interface Env { GREETING: string }
export default {
  async fetch(request: Request, env: Env, ctx: { invocationId: string }): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/throw')) throw new Error('kaboom from the function');
    if (url.pathname.endsWith('/cookies')) {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response('cookies', { status: 201, headers });
    }
    const body = new Uint8Array(await request.arrayBuffer());
    let sum = 0;
    for (const byte of body) sum = (sum + byte) % 65521;
    console.log('echo', request.method, url.pathname);
    return Response.json({
      method: request.method,
      url: request.url,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(request.headers),
      bodyLength: body.length,
      bodySum: sum,
      text: body.length < 100 ? new TextDecoder().decode(body) : null,
      greeting: env.GREETING,
      invocationId: ctx.invocationId,
    }, { headers: { 'x-echo': 'yes' } });
  },
};`;

const echoManifest = { name: 'echo', main: 'src/index.ts', vars: { GREETING: 'hi' }, public: true };

interface Echo {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  bodyLength: number;
  bodySum: number;
  text: string | null;
  greeting: string;
  invocationId: string;
}

function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/** Alive and not a zombie (an exited child waiting for init to reap it is not running). */
function isRunning(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** The answer to raw request bytes, with its error code when it is an error. */
async function rawAnswer(url: string, data: string): Promise<RawAnswer & { code?: string }> {
  const answer = firstAnswer(await rawHttp(url, data));
  assert.ok(answer !== null, `no answer to ${JSON.stringify(data.slice(0, 100))}`);
  if (answer.status < 400) return answer;
  assert.match(answer.head, /\r\ncontent-type: application\/json/i, `an error is application/json: ${answer.head}`);
  return { ...answer, code: (JSON.parse(answer.body) as { error: { code: string } }).error.code };
}

describe('isola up, end to end', () => {
  let platform: SpawnedPlatform;
  const api = (path: string, init: RequestInit = {}, token: string | null = platform.token) =>
    fetch(`${platform.url}${path}`, {
      ...init,
      headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) },
    });
  const deploy = (manifest: unknown, files: Record<string, string>) =>
    api('/api/v1/functions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ manifest, files }) });

  before(async () => {
    platform = await spawnPlatform({ env: { ISOLA_MAX_BODY_BYTES: String(64 * 1024) } });
  });
  after(() => platform.stop());

  test('health and readiness answer; ready means Redis and workers are up', async () => {
    assert.equal((await fetch(`${platform.url}/healthz`)).status, 200);
    const ready = await fetch(`${platform.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: 'ready', checks: { redis: true, workers: 2 } });
  });

  test('the control plane needs the admin token', async () => {
    const missing = await api('/api/v1/functions', {}, null);
    assert.equal(missing.status, 401);
    const body = (await missing.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'UNAUTHORIZED');
    assert.match(body.error.message, /Authorization: Bearer/);
    assert.equal((await api('/api/v1/functions', {}, 'wrong-token-wrong-token')).status, 401);
    assert.equal((await api('/api/v1/functions')).status, 200);
  });

  test('an invalid manifest is rejected with every problem by path', async () => {
    const response = await deploy({ name: 'Bad Name', limits: { memoryMb: 1 } }, { 'index.js': '' });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { code: string; details: { problems: { path: string }[] } } };
    assert.equal(error.code, 'INVALID_MANIFEST');
    assert.deepEqual(error.details.problems.map((problem) => problem.path).sort(), ['limits.memoryMb', 'main', 'name']);
  });

  test('a syntax error is rejected naming file:line:column', async () => {
    const response = await deploy({ name: 'broken', main: 'src/index.ts' }, { 'src/index.ts': 'export default {\n  fetch( {\n}' });
    assert.equal(response.status, 400);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'BUNDLE_FAILED');
    assert.match(error.message, /src\/index\.ts:3:\d+/);
  });

  test('bad JSON is a 400 with a JSON error body', async () => {
    const response = await api('/api/v1/functions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"manifest":' });
    assert.equal(response.status, 400);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'BAD_REQUEST');
  });

  test('deploy answers 201 with name, version and code hash; each deploy is a new version', async () => {
    const first = await deploy(echoManifest, { 'src/index.ts': echoSource });
    assert.equal(first.status, 201);
    const body = (await first.json()) as { name: string; version: number; codeHash: string };
    assert.equal(body.name, 'echo');
    assert.equal(body.version, 1);
    assert.match(body.codeHash, /^[0-9a-f]{64}$/);
    const second = (await (await deploy(echoManifest, { 'src/index.ts': echoSource })).json()) as { version: number; codeHash: string };
    assert.equal(second.version, 2);
    assert.equal(second.codeHash, body.codeHash);
  });

  test('GET reaches the function with method, path, query and headers; platform headers come back', async () => {
    const response = await fetch(`${platform.url}/fn/echo/some/path?x=1&y=two%20words`, { headers: { 'x-custom': 'value', accept: 'application/json' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-echo'), 'yes');
    assert.equal(response.headers.get('x-isola-version'), '2');
    assert.match(response.headers.get('x-isola-invocation-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.match(response.headers.get('x-isola-cold-start') ?? '', /^(true|false)$/);
    assert.match(response.headers.get('server-timing') ?? '', /isola;dur=[\d.]+/);
    const echo = (await response.json()) as Echo;
    assert.equal(echo.method, 'GET');
    assert.equal(echo.path, '/fn/echo/some/path');
    assert.deepEqual(echo.query, { x: '1', y: 'two words' });
    assert.equal(echo.headers['x-custom'], 'value');
    assert.equal(echo.greeting, 'hi');
    assert.equal(echo.invocationId, response.headers.get('x-isola-invocation-id'));
  });

  test('the first call of a version is cold, the next ones on that worker warm', async () => {
    await deploy(echoManifest, { 'src/index.ts': echoSource });
    const cold = await fetch(`${platform.url}/fn/echo/`);
    assert.equal(cold.headers.get('x-isola-cold-start'), 'true');
    assert.equal(cold.headers.get('x-isola-version'), '3');
    assert.match(cold.headers.get('server-timing') ?? '', /load;dur=/);
    const warm = await fetch(`${platform.url}/fn/echo/`);
    assert.equal(warm.headers.get('x-isola-cold-start'), 'false');
  });

  test('POST carries the body, byte for byte', async () => {
    const bytes = new Uint8Array(50_000).map((_, index) => (index * 7) % 256);
    let sum = 0;
    for (const byte of bytes) sum = (sum + byte) % 65521;
    const response = await fetch(`${platform.url}/fn/echo/upload`, { method: 'POST', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    const echo = (await response.json()) as Echo;
    assert.equal(echo.method, 'POST');
    assert.equal(echo.bodyLength, bytes.length);
    assert.equal(echo.bodySum, sum);
    assert.equal(echo.headers['content-type'], 'application/octet-stream');

    const text = (await (await fetch(`${platform.url}/fn/echo/t`, { method: 'PUT', body: 'héllo wörld' })).json()) as Echo;
    assert.equal(text.method, 'PUT');
    assert.equal(text.text, 'héllo wörld');
  });

  test('a body over the limit is 413', async () => {
    const response = await fetch(`${platform.url}/fn/echo/`, { method: 'POST', body: new Uint8Array(65 * 1024), headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(response.status, 413);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'PAYLOAD_TOO_LARGE');
  });

  test('several set-cookie headers and the status come back as the function set them', async () => {
    const response = await fetch(`${platform.url}/fn/echo/cookies`);
    assert.equal(response.status, 201);
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    assert.equal(await response.text(), 'cookies');
  });

  test('a function that throws gives 502 with its message and the invocation id', async () => {
    const response = await fetch(`${platform.url}/fn/echo/throw`);
    assert.equal(response.status, 502);
    const { error } = (await response.json()) as { error: { code: string; message: string; invocationId: string } };
    assert.equal(error.code, 'FUNCTION_ERROR');
    assert.equal(error.message, 'kaboom from the function');
    assert.equal(error.invocationId, response.headers.get('x-isola-invocation-id'));
  });

  test('a module that throws while loading, or exports no handlers, is a 502 that says why', async () => {
    const cases = [
      { name: 'throws-on-load', source: "throw new Error('missing config');\nexport default {};", code: 'FUNCTION_LOAD_FAILED', message: /missing config/ },
      { name: 'no-default-export', source: 'export const fetch = () => new Response("x");', code: 'FUNCTION_LOAD_FAILED', message: /no default export object/ },
      { name: 'no-fetch-handler', source: 'export default { add: (a, b) => a + b };', code: 'FUNCTION_HANDLER_MISSING', message: /no fetch handler/ },
      { name: 'returns-no-response', source: 'export default { fetch: () => ({ hello: 1 }) };', code: 'FUNCTION_INVALID_RESPONSE', message: /must return a Response/ },
    ];
    for (const { name, source, code, message } of cases) {
      assert.equal((await deploy({ name, main: 'index.js', public: true }, { 'index.js': source })).status, 201);
      const response = await fetch(`${platform.url}/fn/${name}/`);
      assert.equal(response.status, 502, name);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, code, name);
      assert.match(error.message, message, name);
    }
  });

  test('an unknown function is 404', async () => {
    const response = await fetch(`${platform.url}/fn/nobody-here/x`);
    assert.equal(response.status, 404);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'FUNCTION_NOT_FOUND');
  });

  test('an X-Isola-Alias naming an Object.prototype member is an unknown alias (404), not a platform error', async () => {
    for (const alias of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const response = await fetch(`${platform.url}/fn/echo/`, { headers: { 'x-isola-alias': alias } });
      assert.equal(response.status, 404, alias);
      assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'NOT_FOUND', alias);
    }
  });

  test('the function sees the URL asked for; a Host that is not host[:port] is a 400 that never reaches it', async () => {
    const seen = async (data: string) => {
      const answer = await rawAnswer(platform.url, data);
      assert.equal(answer.status, 200, answer.body);
      return (JSON.parse(answer.body) as Echo).url;
    };
    const { port } = new URL(platform.url);
    assert.equal(await seen('GET /fn/echo/x?q=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n'), 'http://example.com:8080/fn/echo/x?q=1');
    assert.equal(await seen('GET /fn/echo/x HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n'), 'http://[::1]:8080/fn/echo/x');
    assert.equal(await seen('GET /fn/echo/x HTTP/1.1\r\nHost: my_service.internal\r\n\r\n'), 'http://my_service.internal/fn/echo/x');
    // An absolute-form target names the authority itself (RFC 9112 §3.2.2); HTTP/1.0 may omit Host.
    assert.equal(await seen('GET http://other.example/fn/echo/x?q=1 HTTP/1.1\r\nHost: a\r\n\r\n'), 'http://other.example/fn/echo/x?q=1');
    assert.equal(await seen('GET /fn/echo/x HTTP/1.0\r\n\r\n'), `http://127.0.0.1:${port}/fn/echo/x`);
    // Glued into the URL, these moved the path the function saw (`evil/x?` made it /x) or made
    // the URL invalid, a 502 blamed on the function.
    for (const host of ['[bad', 'a b', 'x:99999', '', 'evil.example/x?', '@evil/', 'a\\b', '%zz']) {
      const trigger = await rawAnswer(platform.url, `GET /fn/echo/x HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      assert.deepEqual([trigger.status, trigger.code], [400, 'BAD_REQUEST'], `Host: ${host}`);
      const invoke = await rawAnswer(platform.url, `POST /api/v1/functions/echo/invoke HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${platform.token}\r\nContent-Length: 0\r\n\r\n`);
      assert.deepEqual([invoke.status, invoke.code], [400, 'BAD_REQUEST'], `invoke, Host: ${host}`);
    }
  });

  test('requests refused before any route runs get the JSON error format too', async () => {
    const cases: [string, string, number, string][] = [
      ['a path that is not percent-encoded UTF-8', 'GET /api/v1/functions/%E0%A4%A HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'BAD_REQUEST'],
      ['a path segment over 2048 characters', `GET /fn/${'a'.repeat(3_000)}/ HTTP/1.1\r\nHost: a\r\n\r\n`, 414, 'URI_TOO_LONG'],
      ['an Expect other than 100-continue', 'GET /healthz HTTP/1.1\r\nHost: a\r\nExpect: x\r\n\r\n', 417, 'EXPECTATION_FAILED'],
      ['no Host on HTTP/1.1', 'GET /healthz HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'],
      ['an unknown method', 'FOO /healthz HTTP/1.1\r\nHost: a\r\n\r\n', 400, 'BAD_REQUEST'],
      ['Content-Length and chunked', 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, 'BAD_REQUEST'],
      ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
    ];
    for (const [name, data, status, code] of cases) {
      const answer = await rawAnswer(platform.url, data);
      assert.deepEqual([answer.status, answer.code], [status, code], `${name}: ${answer.head}\n${answer.body}`);
    }
  });

  test('the API refuses bodies that are not JSON with 415, text/plain and (outside deploys) tar.gz included', async () => {
    for (const [path, contentType] of [
      ['/api/v1/tokens', 'text/plain'],
      ['/api/v1/tokens', 'text/plain; charset=utf-8'],
      ['/api/v1/tokens', 'application/octet-stream'],
      ['/api/v1/functions/echo/rollback', 'application/gzip'],
      ['/api/v1/tokens', 'application/xml'],
    ] as const) {
      const response = await api(path, { method: 'POST', headers: { 'content-type': contentType }, body: '{"name":"x","role":"invoker"}' });
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      assert.deepEqual([response.status, error.code], [415, 'UNSUPPORTED_MEDIA_TYPE'], `${path} with ${contentType}: ${error.message}`);
      assert.ok(error.message.includes(contentType), error.message);
    }
  });

  test('a private function needs the token, and never sees it', async () => {
    const created = await deploy({ ...echoManifest, name: 'private-echo', public: false }, { 'src/index.ts': echoSource });
    assert.equal(created.status, 201);
    const anonymous = await fetch(`${platform.url}/fn/private-echo/`);
    assert.equal(anonymous.status, 401);
    const authorized = await fetch(`${platform.url}/fn/private-echo/`, { headers: { authorization: `Bearer ${platform.token}` } });
    assert.equal(authorized.status, 200);
    assert.equal(((await authorized.json()) as Echo).headers.authorization, undefined);
  });

  test('functions are listed and shown', async () => {
    const list = (await (await api('/api/v1/functions')).json()) as { functions: { name: string }[] };
    assert.deepEqual(list.functions.map((fn) => fn.name).filter((name) => name.includes('echo')), ['echo', 'private-echo']);
    const shown = (await (await api('/api/v1/functions/echo')).json()) as { version: number; manifest: { limits: { memoryMb: number } } };
    assert.equal(shown.version, 3);
    assert.equal(shown.manifest.limits.memoryMb, 128);
    assert.equal((await api('/api/v1/functions/nobody')).status, 404);
  });

  test('a worker killed mid-invocation fails that invocation at once with 502, and is respawned', async () => {
    const hang = 'export default { fetch: () => new Promise(() => {}) };';
    assert.equal((await deploy({ name: 'hang', main: 'index.js', public: true, limits: { timeoutMs: 60000 } }, { 'index.js': hang })).status, 201);
    const workersBefore = childPids(platform.process.pid ?? 0).filter((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker/main.js'));
    assert.equal(workersBefore.length, 2);
    const pending = fetch(`${platform.url}/fn/hang/`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    for (const pid of workersBefore) process.kill(pid, 'SIGKILL');
    const response = await pending;
    assert.ok(Date.now() - started < 2_000, 'the in-flight invocation was not failed promptly');
    assert.equal(response.status, 502);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'FUNCTION_CRASHED');
    assert.match(error.message, /worker process exited/);

    let ready: { checks: { workers: number } } = { checks: { workers: 0 } };
    for (let attempt = 0; attempt < 100 && ready.checks.workers < 2; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      ready = (await (await fetch(`${platform.url}/readyz`)).json()) as typeof ready;
    }
    assert.equal(ready.checks.workers, 2);
    assert.equal((await fetch(`${platform.url}/fn/echo/`)).status, 200);
  });

  test('SIGTERM stops every process it started and keeps the deployed functions', async () => {
    const pid = platform.process.pid ?? 0;
    const children = childPids(pid);
    assert.ok(children.length >= 3, `expected redis and 2 workers under ${pid}, found ${children.join(',')}`);
    const code = await platform.stop({ keepDataDir: true });
    assert.equal(code, 0);
    for (const child of children) assert.equal(isRunning(child), false, `process ${child} outlived isola up`);

    const again = await spawnPlatform({ dataDir: platform.dataDir, token: platform.token });
    try {
      const response = await fetch(`${again.url}/fn/echo/after-restart`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-isola-version'), '3');
    } finally {
      await again.stop();
    }
  });
});

describe('isola up, first start', () => {
  test('generates an admin token, stores it 0600 and prints it only once', async () => {
    const first = await spawnPlatform({ token: null, env: { ISOLA_WORKERS: '1' } });
    try {
      const file = join(first.dataDir, 'admin-token');
      assert.ok(existsSync(file));
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const token = readFileSync(file, 'utf8').trim();
      assert.match(first.output(), new RegExp(`shown once.*${token}`));
      assert.equal((await first.client.request<{ functions: unknown[] }>('GET', '/api/v1/functions')).functions.length, 0);
      await first.stop({ keepDataDir: true });
      const second = await spawnPlatform({ token: null, dataDir: first.dataDir, env: { ISOLA_WORKERS: '1' } });
      assert.doesNotMatch(second.output(), new RegExp(token));
      await second.stop();
    } finally {
      await first.stop();
    }
  });

  test('a second SIGTERM exits at once and still leaves no process behind', async () => {
    const hurried = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
    try {
      const pid = hurried.process.pid ?? 0;
      const children = childPids(pid);
      assert.ok(children.length >= 2, `expected redis and a worker under ${pid}, found ${children.join(',')}`);
      const exited = new Promise<number | null>((resolve) => hurried.process.once('exit', resolve));
      process.kill(pid, 'SIGTERM');
      // Two signals sent at once may be delivered as one: wait until the first is handled.
      while (!hurried.output().includes('stopping Isola')) await new Promise((resolve) => setTimeout(resolve, 5));
      process.kill(pid, 'SIGTERM');
      assert.equal(await exited, 1, 'the second signal should end it at once, with code 1');
      let survivors = children;
      for (let attempt = 0; attempt < 50 && survivors.length > 0; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        survivors = children.filter(isRunning);
      }
      assert.deepEqual(survivors, [], 'processes outlived isola up');
    } finally {
      await hurried.stop();
    }
  });

  test('without redis-server on the PATH it exits saying how to install it', async () => {
    await assert.rejects(
      spawnPlatform({ env: { PATH: '/nonexistent', ISOLA_WORKERS: '1' } }),
      /exited with code 1[\s\S]*apt-get install -y redis-server/,
    );
  });
});
