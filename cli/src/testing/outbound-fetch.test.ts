// fetch() from a deployed function to an allowed host, against the real platform (`isola up`
// with one worker) and a real local HTTP server listed in the function's egress.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// Forwards the client's request to UPSTREAM + ?path=..., reports what came back.
const proxyFunction = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const init = { method: request.method, headers: { 'x-from-function': 'yes', 'content-type': request.headers.get('content-type') ?? 'text/plain' } };
    if (request.method !== 'GET' && request.method !== 'HEAD') init.body = await request.arrayBuffer();
    const count = Number(url.searchParams.get('times') ?? 1);
    const results = [];
    for (let i = 0; i < count; i += 1) {
      try {
        const response = await fetch(env.UPSTREAM + url.searchParams.get('path'), init);
        results.push({ status: response.status, statusText: response.statusText, url: response.url, redirected: response.redirected,
          contentType: response.headers.get('content-type'), body: await response.text() });
      } catch (error) {
        results.push({ error: error.name + ': ' + error.message });
      }
    }
    return Response.json(results);
  },
};`;

describe('fetch to a host in egress, end to end', () => {
  let platform: SpawnedPlatform;
  const received: Received[] = [];
  const upstream = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      const url = new URL(request.url ?? '/', 'http://upstream');
      if (url.pathname === '/moved') return void response.writeHead(302, { location: '/created?via=redirect' }).end();
      if (url.pathname === '/away') return void response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      response.writeHead(201, 'Created Here', { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method, body }));
    });
  });
  let upstreamPort = 0;

  before(async () => {
    upstream.listen(0, '127.0.0.1');
    await once(upstream, 'listening');
    upstreamPort = (upstream.address() as AddressInfo).port;
    platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1', ISOLA_MAX_FETCHES: '3' } });
    await platform.client.deploy(
      { name: 'proxy', main: 'index.js', public: true, egress: [`127.0.0.1:${upstreamPort}`], vars: { UPSTREAM: `http://127.0.0.1:${upstreamPort}` } },
      { 'index.js': proxyFunction },
    );
  });
  after(async () => {
    await platform.stop();
    upstream.closeAllConnections();
    upstream.close();
  });

  const call = async (query: string, init: RequestInit = {}) => {
    const response = await fetch(`${platform.url}/fn/proxy/?${query}`, { ...init, signal: AbortSignal.timeout(20_000) });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as Record<string, unknown>[];
  };

  test('method, headers and body reach the upstream; its status, statusText, headers and body come back', async () => {
    const [result] = await call('path=/created', { method: 'POST', body: '{"order":42}', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(result, {
      status: 201,
      statusText: 'Created Here',
      url: `http://127.0.0.1:${upstreamPort}/created`,
      redirected: false,
      contentType: 'application/json',
      body: '{"method":"POST","body":"{\\"order\\":42}"}',
    });
    const seen = received.at(-1);
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.headers['x-from-function'], 'yes');
    assert.equal(seen?.headers['content-type'], 'application/json');
    assert.equal(seen?.headers.host, `127.0.0.1:${upstreamPort}`);
  });

  test('a redirect to another path of the allowed host is followed', async () => {
    const [result] = await call('path=/moved');
    assert.equal(result?.status, 201);
    assert.equal(result?.redirected, true);
    assert.equal(result?.url, `http://127.0.0.1:${upstreamPort}/created?via=redirect`);
    assert.deepEqual(received.slice(-2).map((request) => request.url), ['/moved', '/created?via=redirect']);
  });

  test('a redirect to a host outside egress is refused before it is followed', async () => {
    const [result] = await call('path=/away');
    assert.equal(
      result?.error,
      `TypeError: fetch to http://127.0.0.1:${upstreamPort} was redirected to http://169.254.169.254, which is not allowed: 169.254.169.254 is not in this function's egress list; add "169.254.169.254" to egress in isola.yaml`,
    );
  });

  test('ISOLA_MAX_FETCHES caps the requests of one invocation', async () => {
    const results = await call('path=/created&times=4');
    assert.deepEqual(results.map((result) => result.status ?? result.error), [
      201,
      201,
      201,
      'TypeError: fetch: this invocation already made 3 outbound requests, the limit per invocation (ISOLA_MAX_FETCHES)',
    ]);
  });
});
