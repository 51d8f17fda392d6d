// Timers, crypto and fetch as functions use them: real isolates prepared as the worker
// prepares them, functions loaded through FunctionInstance, outbound requests to real local
// HTTP servers. Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseManifest, type InvocationRequest, type LogLine } from '@isola/core';
import { FunctionInstance, ModuleCodeCache, type DispatchOutcome } from './function-instance.js';
import { prepareIsolate } from './prepared-isolate.js';
import { RuntimeScript } from './runtime-script.js';

const runtime = new RuntimeScript();
const instances: FunctionInstance[] = [];

interface LoadSettings {
  egress?: string[];
  timeoutMs?: number;
  maxFetches?: number;
  maxResponseBytes?: number;
}

async function load(code: string, settings: LoadSettings = {}): Promise<FunctionInstance> {
  const manifest = parseManifest({ name: 'bridged', main: 'index.js', egress: settings.egress ?? [], limits: { timeoutMs: settings.timeoutMs ?? 2_000 } });
  const prepared = await prepareIsolate(runtime, { memoryMb: 64, onCatastrophicError: () => process.abort() });
  const instance = await FunctionInstance.load(
    prepared,
    { name: 'bridged', version: 1, codeHash: `hash-${instances.length}`, manifest, createdAt: new Date().toISOString(), code },
    { maxLogBytes: 64 * 1024, maxResponseBytes: settings.maxResponseBytes ?? 1024 * 1024, maxFetches: settings.maxFetches ?? 50, codeCache: new ModuleCodeCache() },
  );
  instances.push(instance);
  return instance;
}

let invocations = 0;
function invoke(instance: FunctionInstance, path = '/'): Promise<DispatchOutcome> {
  invocations += 1;
  const request: InvocationRequest = {
    invocationId: `inv-${invocations}`,
    function: { name: 'bridged', version: 1, codeHash: 'h' },
    limits: { memoryMb: 64, timeoutMs: 2_000, concurrency: 1 },
    trigger: 'http',
    request: { method: 'GET', url: `https://fn.example${path}`, headers: [] },
  };
  return instance.dispatch(request);
}

async function json(outcome: DispatchOutcome): Promise<unknown> {
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  const body = (outcome as Extract<DispatchOutcome, { ok: true }>).response.body;
  return JSON.parse(new TextDecoder().decode(body));
}

const messages = (logs: LogLine[]) => logs.map((line) => `${line.level}: ${line.message}`);

after(() => {
  for (const instance of instances) instance.dispose();
});

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
  test('waiting on a promise nothing can settle is a FUNCTION_TIMEOUT as soon as V8 finds it, and the instance and its timers go', async () => {
    // The churning timer makes the collector run (and find the promise) within milliseconds.
    const fn = await load(
      `let ticks = 0; export default { fetch(request) {
        if (new URL(request.url).pathname === '/ticks') return new Response(String(ticks));
        const churn = () => { ticks += 1; const garbage = []; for (let i = 0; i < 20000; i += 1) garbage.push({ i }); setTimeout(churn, 1); };
        churn();
        return new Promise(() => {});
      } };`,
      { timeoutMs: 5_000 },
    );
    const started = performance.now();
    const outcome = await invoke(fn);
    assert.equal(outcome.ok, false);
    const { error } = outcome as Extract<DispatchOutcome, { ok: false }>;
    assert.equal(error.code, 'FUNCTION_TIMEOUT');
    assert.match(error.message, /^the function can never finish: it waits on a promise that nothing can settle any more/);
    assert.ok(performance.now() - started < 4_000, 'found by the collector, not by the deadline');
    assert.equal(fn.usable, false, 'an instance whose invocation never ended keeps running its timers: it must go');
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

// ---------------------------------------------------------------------------------------------
// fetch

interface Received {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

class TestServer {
  readonly received: Received[] = [];
  /** /hold: requests answering now, and the most at once. */
  holding = { open: 0, most: 0 };
  readonly closedSockets: number[] = [];
  private server = http.createServer((request, response) => void this.handle(request, response));
  port = 0;

  constructor(private readonly routes: (url: URL, request: IncomingMessage, response: ServerResponse, body: string) => boolean) {}

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server.on('connection', (socket) => socket.on('close', () => this.closedSockets.push(performance.now())));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of request) body += String(chunk);
    const url = new URL(request.url ?? '/', this.origin);
    this.received.push({ method: request.method ?? '', url: url.pathname + url.search, headers: request.headers, body });
    if (this.routes(url, request, response, body)) return;
    response.writeHead(404).end('no such route');
  }
}

/** What fetchFunction's describe() returns for a Response. */
interface Described {
  status: number;
  statusText: string;
  url: string;
  redirected: boolean;
  ok: boolean;
  headers: [string, string][];
  text: string;
}

/** What /echo answers. */
interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | undefined>;
  /** Every Host header received, raw. */
  hosts: string[];
  body: string;
}

describe('fetch', () => {
  const upstream = new TestServer((url, request, response, body) => {
    const query = url.searchParams;
    switch (url.pathname) {
      case '/echo': {
        response.writeHead(201, 'Made It', [['content-type', 'application/json'], ['x-upstream', 'yes'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
        const hosts = request.rawHeaders.filter((_, index) => index % 2 === 1 && request.rawHeaders[index - 1]?.toLowerCase() === 'host');
        response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, hosts, body }));
        return true;
      }
      case '/redirect':
        response.writeHead(Number(query.get('status') ?? 302), { location: query.get('to') ?? '/echo' }).end();
        return true;
      case '/loop':
        response.writeHead(302, { location: '/loop' }).end();
        return true;
      case '/big':
        response.end('x'.repeat(Number(query.get('bytes'))));
        return true;
      case '/gzip':
        response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('y'.repeat(Number(query.get('bytes')))));
        return true;
      case '/empty':
        response.writeHead(204).end();
        return true;
      case '/slow':
        return true; // never answers
      case '/hold': {
        const holding = upstream.holding;
        holding.open += 1;
        holding.most = Math.max(holding.most, holding.open);
        setTimeout(() => {
          holding.open -= 1;
          response.end('held');
        }, 30);
        return true;
      }
      default:
        return false;
    }
  });
  const other = new TestServer((url, request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ origin: 'other', authorization: request.headers.authorization ?? null }));
    return true;
  });
  before(async () => {
    await upstream.start();
    await other.start();
  });
  after(async () => {
    await upstream.stop();
    await other.stop();
  });

  const fetchFunction = (body: string) => `export default { async fetch(request) {
    const attempt = async (run) => { try { return await run(); } catch (error) { return error.name + ': ' + error.message; } };
    const describe = async (response) => ({ status: response.status, statusText: response.statusText, url: response.url, redirected: response.redirected, ok: response.ok, headers: [...response.headers], text: await response.text() });
    ${body}
  } };`;

  test('sends method, headers and body to an allowed host; the Response has status, headers, url and an immutable header list', async () => {
    const fn = await load(
      fetchFunction(`const response = await fetch('${upstream.origin}/echo?q=1#fragment', { method: 'PUT', headers: { 'X-Custom': 'v', Authorization: 'Bearer t', Host: 'evil.example' }, body: JSON.stringify({ a: 1 }) });
        const described = await describe(response);
        let immutable = false; try { response.headers.set('x', 'y'); } catch (error) { immutable = error instanceof TypeError; }
        const form = await fetch(new Request('${upstream.origin}/echo', { method: 'POST', body: new URLSearchParams({ k: 'v w' }) }));
        const bytes = await fetch('${upstream.origin}/echo', { method: 'POST', body: new Uint8Array([104, 105]) });
        return Response.json({ described, immutable, form: (await form.json()), bytes: (await bytes.json()).body, setCookie: response.headers.getSetCookie() });`),
      { egress: [`127.0.0.1:${upstream.port}`] },
    );
    const result = (await json(await invoke(fn))) as { described: Described; immutable: boolean; form: Echo; bytes: string; setCookie: string[] };
    const echoed = JSON.parse(result.described.text) as Echo;
    assert.deepEqual(
      { status: result.described.status, statusText: result.described.statusText, url: result.described.url, redirected: result.described.redirected, ok: result.described.ok },
      { status: 201, statusText: 'Made It', url: `${upstream.origin}/echo?q=1`, redirected: false, ok: true },
    );
    assert.deepEqual(
      result.described.headers.filter(([name]) => ['content-type', 'x-upstream', 'set-cookie'].includes(name)),
      [['content-type', 'application/json'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-upstream', 'yes']],
    );
    assert.deepEqual(result.setCookie, ['a=1', 'b=2']);
    assert.equal(result.immutable, true);
    assert.equal(echoed.method, 'PUT');
    assert.equal(echoed.url, '/echo?q=1');
    assert.equal(echoed.body, '{"a":1}');
    assert.equal(echoed.headers['x-custom'], 'v');
    assert.equal(echoed.headers.authorization, 'Bearer t');
    assert.deepEqual(echoed.hosts, [`127.0.0.1:${upstream.port}`], 'the Host header comes from the URL, never from the function');
    assert.equal(echoed.headers['content-type'], 'text/plain;charset=UTF-8');
    assert.equal(echoed.headers['content-length'], '7');
    assert.equal(result.form.method, 'POST');
    assert.equal(result.form.body, 'k=v+w');
    assert.equal(result.form.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8');
    assert.equal(result.bytes, 'hi');
  });

  test('hosts not in egress are refused before any lookup; so are other schemes', async () => {
    const fn = await load(
      fetchFunction(`return Response.json(await Promise.all([
        attempt(() => fetch('https://unlisted.invalid/path')),
        attempt(() => fetch('http://169.254.169.254/latest/meta-data/')),
        attempt(() => fetch('http://127.0.0.1:${upstream.port + 1}/')),
        attempt(() => fetch('http://[::ffff:127.0.0.1]:${upstream.port}/echo')),
        attempt(() => fetch('http://127.0.0.1.nip.io:${upstream.port}/')),
        attempt(() => fetch('file:///etc/passwd')),
        attempt(() => fetch('data:text/plain,hello')),
      ]));`),
      { egress: [`127.0.0.1:${upstream.port}`, 'api.example.com'] },
    );
    assert.deepEqual(await json(await invoke(fn)), [
      'TypeError: fetch to https://unlisted.invalid is not allowed: unlisted.invalid is not in this function\'s egress list; add "unlisted.invalid" to egress in isola.yaml',
      'TypeError: fetch to http://169.254.169.254 is not allowed: 169.254.169.254 is not in this function\'s egress list; add "169.254.169.254" to egress in isola.yaml',
      `TypeError: fetch to http://127.0.0.1:${upstream.port + 1} is not allowed: 127.0.0.1:${upstream.port + 1} is not in this function's egress list; add "127.0.0.1:${upstream.port + 1}" to egress in isola.yaml`,
      `TypeError: fetch to http://[::ffff:7f00:1]:${upstream.port} is not allowed: [::ffff:7f00:1]:${upstream.port} is not in this function's egress list; add "[::ffff:7f00:1]:${upstream.port}" to egress in isola.yaml`,
      `TypeError: fetch to http://127.0.0.1.nip.io:${upstream.port} is not allowed: 127.0.0.1.nip.io:${upstream.port} is not in this function's egress list; add "127.0.0.1.nip.io:${upstream.port}" to egress in isola.yaml`,
      'TypeError: fetch supports http: and https: URLs only, not file: (file:///etc/passwd)',
      'TypeError: fetch supports http: and https: URLs only, not data: (data:text/plain,hello)',
    ]);
  });

  test('a listed hostname that resolves to a loopback address is refused at connect time', async () => {
    const fn = await load(fetchFunction(`return new Response(await attempt(() => fetch('http://localhost:${upstream.port}/echo')));`), { egress: [`localhost:${upstream.port}`] });
    const outcome = await invoke(fn);
    assert.equal(outcome.ok, true);
    const text = new TextDecoder().decode((outcome as Extract<DispatchOutcome, { ok: true }>).response.body);
    assert.match(
      text,
      new RegExp(
        `^TypeError: fetch to http://localhost:${upstream.port} was refused: localhost resolves to (127\\.0\\.0\\.1|::1), a loopback address\\. .*egress entry that names the address itself \\(e\\.g\\. "(127\\.0\\.0\\.1|\\[::1\\]):${upstream.port}"\\)$`,
      ),
    );
  });

  test('redirects: followed and re-checked at every hop, 303 becomes GET, manual and error modes, at most 20', async () => {
    const to = (target: string, status = 302) => `${upstream.origin}/redirect?status=${status}&to=${encodeURIComponent(target)}`;
    const fn = await load(
      fetchFunction(`return Response.json({
        followed: await describe(await fetch('${to('/echo?after=redirect')}', { method: 'POST', body: 'dropped', headers: { 'content-type': 'text/x-dropped', 'x-kept': '1' } })),
        see: JSON.parse((await describe(await fetch('${to('/echo', 303)}', { method: 'PUT', body: 'dropped' }))).text),
        temporary: JSON.parse((await describe(await fetch('${to('/echo', 307)}', { method: 'PUT', body: 'kept' }))).text),
        crossOrigin: JSON.parse(await (await fetch('${to(`${other.origin}/`)}', { headers: { authorization: 'secret' } })).text()),
        manual: await describe(await fetch('${to('/echo', 301)}', { redirect: 'manual' })),
        error: await attempt(() => fetch('${to('/echo')}', { redirect: 'error' })),
        forbidden: await attempt(() => fetch('${to('http://169.254.169.254/latest/meta-data/')}')),
        loop: await attempt(() => fetch('${upstream.origin}/loop')),
      });`),
      { egress: [`127.0.0.1:${upstream.port}`, `127.0.0.1:${other.port}`] },
    );
    const result = (await json(await invoke(fn))) as {
      followed: Described;
      see: Echo;
      temporary: Echo;
      crossOrigin: unknown;
      manual: Described;
      error: string;
      forbidden: string;
      loop: string;
    };
    const followed = JSON.parse(result.followed.text) as Echo;
    assert.deepEqual([result.followed.status, result.followed.url, result.followed.redirected], [201, `${upstream.origin}/echo?after=redirect`, true]);
    assert.deepEqual([followed.method, followed.body, followed.headers['content-type'], followed.headers['x-kept']], ['GET', '', undefined, '1']);
    assert.deepEqual([result.see.method, result.see.body], ['GET', '']);
    assert.deepEqual([result.temporary.method, result.temporary.body], ['PUT', 'kept']);
    assert.deepEqual(result.crossOrigin, { origin: 'other', authorization: null });
    assert.equal(result.manual.status, 301);
    assert.equal(result.manual.redirected, false);
    assert.deepEqual(result.manual.headers.find(([name]) => name === 'location'), ['location', '/echo']);
    assert.match(result.error, /^TypeError: fetch to http:\/\/127\.0\.0\.1:\d+\/redirect\?status=302&to=%2Fecho was redirected \(302\) and its redirect mode is "error"$/);
    assert.equal(
      result.forbidden,
      `TypeError: fetch to ${upstream.origin} was redirected to http://169.254.169.254, which is not allowed: 169.254.169.254 is not in this function's egress list; add "169.254.169.254" to egress in isola.yaml`,
    );
    assert.equal(result.loop, `TypeError: fetch to ${upstream.origin}/loop was redirected more than 20 times`);
    assert.equal(upstream.received.filter((request) => request.url === '/loop').length, 21);
  });

  test('bodies: capped at the platform limit (also after decoding), gzip decoded, none for 204 and HEAD', async () => {
    const fn = await load(
      fetchFunction(`return Response.json({
        within: (await (await fetch('${upstream.origin}/big?bytes=1000')).text()).length,
        over: await attempt(() => fetch('${upstream.origin}/big?bytes=1001')),
        gzip: (await (await fetch('${upstream.origin}/gzip?bytes=900')).text()) === 'y'.repeat(900),
        bomb: await attempt(() => fetch('${upstream.origin}/gzip?bytes=100000')),
        empty: await describe(await fetch('${upstream.origin}/empty')),
        head: await describe(await fetch('${upstream.origin}/big?bytes=10', { method: 'HEAD' })),
        nullBodiesStayUnused: await Promise.all(['/empty', '/big?bytes=10'].map(async (path) => {
          const response = await fetch('${upstream.origin}' + path, { method: path === '/empty' ? 'GET' : 'HEAD' });
          await response.text();
          return response.bodyUsed;
        })),
      });`),
      { egress: [`127.0.0.1:${upstream.port}`], maxResponseBytes: 1000 },
    );
    const result = (await json(await invoke(fn))) as {
      within: number;
      over: string;
      gzip: boolean;
      bomb: string;
      empty: Described;
      head: Described;
      nullBodiesStayUnused: boolean[];
    };
    assert.equal(result.within, 1000);
    assert.equal(result.over, `TypeError: the response body from ${upstream.origin}/big?bytes=1001 is 1001 bytes, over the limit of 1000 bytes for fetch responses`);
    assert.equal(result.gzip, true);
    assert.equal(result.bomb, `TypeError: the response body from ${upstream.origin}/gzip?bytes=100000 is more than 1000 bytes, over the limit of 1000 bytes for fetch responses`);
    assert.deepEqual([result.empty.status, result.empty.text], [204, '']);
    assert.deepEqual([result.head.status, result.head.text], [200, '']);
    assert.deepEqual(result.nullBodiesStayUnused, [false, false], 'a 204 or HEAD response has a null body, which reading does not use');
  });

  test('at most maxFetches requests per invocation; the count starts over with the next one', async () => {
    const fn = await load(
      fetchFunction(`const results = []; for (let i = 0; i < 4; i += 1) results.push(await attempt(async () => (await fetch('${upstream.origin}/big?bytes=1')).status)); return Response.json(results);`),
      { egress: [`127.0.0.1:${upstream.port}`], maxFetches: 3 },
    );
    for (let round = 0; round < 2; round += 1) {
      assert.deepEqual(await json(await invoke(fn)), [200, 200, 200, 'TypeError: fetch: this invocation already made 3 outbound requests, the limit per invocation (ISOLA_MAX_FETCHES)']);
    }
  });

  test('at most 6 requests of one instance are open at once; the others wait their turn', async () => {
    const fn = await load(
      fetchFunction(`const statuses = await Promise.all(Array.from({ length: 14 }, (_, i) => fetch('${upstream.origin}/hold?id=' + i).then((response) => response.status)));
        return Response.json(statuses);`),
      { egress: [`127.0.0.1:${upstream.port}`] },
    );
    upstream.holding = { open: 0, most: 0 };
    assert.deepEqual(await json(await invoke(fn)), Array<number>(14).fill(200));
    assert.equal(upstream.holding.most, 6);
  });

  test("a request still waiting when the function's time is up is cut off, its connection closed", async () => {
    const fn = await load(fetchFunction(`return new Response(await attempt(() => fetch('${upstream.origin}/slow')));`), { egress: [`127.0.0.1:${upstream.port}`], timeoutMs: 400 });
    const closedBefore = upstream.closedSockets.length;
    const started = performance.now();
    const outcome = await invoke(fn);
    // The fetch's own deadline and the invocation's land together: either may win.
    if (outcome.ok) assert.match(new TextDecoder().decode(outcome.response.body), /^TimeoutError: fetch to .*\/slow timed out after \d+ ms, the time the function had left/);
    else assert.equal(outcome.error.code, 'FUNCTION_TIMEOUT');
    while (upstream.closedSockets.length === closedBefore && performance.now() - started < 2_000) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(upstream.closedSockets.length > closedBefore, 'the upstream connection is still open');
    assert.ok((upstream.closedSockets.at(-1) ?? Infinity) - started < 1_000);
  });

  test('an abort signal (anything with aborted, reason and addEventListener) cuts a request off', async () => {
    const fn = await load(
      fetchFunction(`const listeners = [];
        const signal = { aborted: false, reason: undefined, addEventListener: (type, listener) => listeners.push(listener), removeEventListener() {} };
        setTimeout(() => { signal.aborted = true; signal.reason = new Error('stopped by the function'); listeners.forEach((listener) => listener()); }, 50);
        const already = { aborted: true, reason: 'already aborted', addEventListener() {}, removeEventListener() {} };
        return Response.json([await attempt(() => fetch('${upstream.origin}/slow', { signal })), await attempt(() => fetch('${upstream.origin}/echo', { signal: already }).catch((reason) => { throw new Error(String(reason)); }))]);`),
      { egress: [`127.0.0.1:${upstream.port}`] },
    );
    const closedBefore = upstream.closedSockets.length;
    assert.deepEqual(await json(await invoke(fn)), ['Error: stopped by the function', 'Error: already aborted']);
    for (let wait = 0; wait < 100 && upstream.closedSockets.length === closedBefore; wait += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(upstream.closedSockets.length > closedBefore, 'the aborted request left its connection open');
  });

  test('bridges keep working, and hand out no References, when Object.prototype carries isolated-vm transfer options', async () => {
    const fn = await load(
      fetchFunction(`for (const key of ['reference', 'externalCopy', 'copy', 'promise']) Object.defineProperty(Object.prototype, key, { value: true, configurable: true, writable: true });
        try {
          const random = crypto.getRandomValues(new Uint8Array(1024));
          const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(1));
          await new Promise((resolve) => setTimeout(resolve, 1));
          const response = await fetch('${upstream.origin}/big?bytes=3');
          return Response.json({ uuid: typeof crypto.randomUUID(), random: Object.prototype.toString.call(random), digest: Object.prototype.toString.call(digest), status: response.status, text: await response.text() });
        } finally {
          for (const key of ['reference', 'externalCopy', 'copy', 'promise']) delete Object.prototype[key];
        }`),
      { egress: [`127.0.0.1:${upstream.port}`] },
    );
    assert.deepEqual(await json(await invoke(fn)), { uuid: 'string', random: '[object Uint8Array]', digest: '[object ArrayBuffer]', status: 200, text: 'xxx' });
  });
});
