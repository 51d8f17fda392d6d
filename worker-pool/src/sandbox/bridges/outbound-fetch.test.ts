// The host half of fetch: the connect-time address check and request validation as units, then
// fetch() as functions use it, from real isolates loaded through FunctionInstance, to real local
// HTTP servers. Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { DispatchOutcome } from '../function-instance.js';
import { disposeLoaded, invoke, json, load } from '../testing/loaded-function.js';
import { compileEgress } from './egress.js';
import { guardedLookup, requestProblem } from './outbound-fetch.js';

type Answer = LookupAddress[];

/** Runs the guarded lookup once with a scripted resolver; resolves with what it calls back. */
function lookUp(entry: string, url: string, answer: Answer, all: boolean): Promise<unknown[]> {
  const rule = compileEgress([entry])[0]!;
  const resolve = ((_hostname: string, _options: unknown, callback: (error: null, addresses: Answer) => void) => callback(null, answer)) as never;
  const lookup = guardedLookup(rule, new URL(url), resolve);
  return new Promise((done) => lookup(new URL(url).hostname, { all }, (...args: unknown[]) => done(args)));
}

test('every address a lookup returns is checked, on every connect: a name that later resolves to a private address is refused (DNS rebinding)', async () => {
  const url = 'http://rebind.example:8080/';
  assert.deepEqual(await lookUp('rebind.example', url, [{ address: '93.184.216.34', family: 4 }], false), [null, '93.184.216.34', 4]);
  assert.deepEqual(await lookUp('rebind.example', url, [{ address: '2606:4700::1111', family: 6 }], true), [null, [{ address: '2606:4700::1111', family: 6 }]]);

  for (const [address, kind] of [['127.0.0.1', 'loopback'], ['169.254.169.254', 'link-local'], ['::ffff:10.0.0.1', 'private'], ['::', 'unspecified']] as const) {
    const [error] = (await lookUp('rebind.example', url, [{ address: '93.184.216.34', family: 4 }, { address, family: address.includes(':') ? 6 : 4 }], true)) as [Error];
    assert.ok(error instanceof Error, address);
    assert.match(error.message, new RegExp(`^fetch to http://rebind\\.example:8080 was refused: rebind\\.example resolves to ${address.replace(/[.]/g, '\\.')}, a ${kind} address\\.`));
  }
});

test('a restricted address passes only for the egress entry that names it literally', async () => {
  assert.deepEqual(await lookUp('10.0.0.7:8080', 'http://10.0.0.7:8080/', [{ address: '10.0.0.7', family: 4 }], false), [null, '10.0.0.7', 4]);
  assert.deepEqual(await lookUp('[fd00::7]', 'http://[fd00::7]/', [{ address: 'fd00:0::7', family: 6 }], false), [null, 'fd00:0::7', 6]);
  const [error] = (await lookUp('10.0.0.7:8080', 'http://10.0.0.7:8080/', [{ address: '10.0.0.8', family: 4 }], false)) as [Error];
  assert.match(error.message, /resolves to 10\.0\.0\.8, a private address/);
});

test('requests from the isolate are checked before use', () => {
  const sound = { fetchId: 1, invocationId: 'i', url: 'http://a/', method: 'GET', headers: [['a', 'b']], body: null, redirect: 'follow' };
  assert.equal(requestProblem(sound), null);
  assert.equal(requestProblem({ ...sound, body: new Uint8Array(1) }), null);
  assert.equal(requestProblem({ ...sound, method: 'CONNECT' }), 'bad method CONNECT');
  assert.equal(requestProblem({ ...sound, method: 'GE T' }), 'bad method GE T');
  assert.equal(requestProblem({ ...sound, headers: [['a']] }), 'bad headers');
  assert.equal(requestProblem({ ...sound, headers: { a: 'b' } }), 'bad headers');
  assert.equal(requestProblem({ ...sound, body: 'text' }), 'bad body');
  assert.equal(requestProblem({ ...sound, redirect: 'sometimes' }), 'bad redirect mode');
  assert.equal(requestProblem(null), 'not an object');
});

// ---------------------------------------------------------------------------------------------
// fetch() from functions

after(disposeLoaded);

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

  test('an AbortSignal cuts a request off, and an aborted one stops it before it starts', async () => {
    const fn = await load(
      fetchFunction(`const controller = new AbortController();
        setTimeout(() => controller.abort(new Error('stopped by the function')), 50);
        const already = AbortSignal.abort('already aborted');
        return Response.json([await attempt(() => fetch('${upstream.origin}/slow', { signal: controller.signal })), await attempt(() => fetch('${upstream.origin}/echo', { signal: already }).catch((reason) => { throw new Error(String(reason)); }))]);`),
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

