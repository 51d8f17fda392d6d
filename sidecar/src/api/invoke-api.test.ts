// Service invocation from a function: its service binding, its identity and call depth passed
// on, the gateway's errors kept, and chains over maxCallDepth refused.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { maxCallDepth } from '@isola/core';
import { defaultComponents } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('invoke API', () => {
  let test: TestSidecar;
  let gateway: Server;
  let version: number;
  const seen: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    gateway = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ url: request.url ?? '', headers: request.headers, body });
        if (request.url?.endsWith('/rpc/missing')) {
          response.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no method missing' } }));
        } else {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: body }));
        }
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    test = await startTestSidecar({ gatewayUrl: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`, components: () => defaultComponents() });
    version = await test.deploy('cart', { PRICER: { type: 'service', function: 'pricer' } });
  });
  after(async () => {
    await test.stop();
    gateway.close();
  });

  const invoke = (method: string, body: string | undefined, headers: Record<string, string>) => test.call(`/v1.0/invoke/pricer/method/${method}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

  it("passes the caller's identity, invocation id and depth plus one; maps the body to arguments", async () => {
    const headers = test.functionHeaders('cart', version, { 'x-isola-invocation-id': 'inv-1', 'x-isola-call-depth': '2' });
    assert.equal(await (await invoke('quote', '[1,"a"]', headers)).json(), '[1,"a"]');
    assert.equal(await (await invoke('quote', '{"sku":"x"}', headers)).json(), '[{"sku":"x"}]');
    assert.equal(await (await invoke('quote', undefined, headers)).json(), '[]');
    const last = seen.at(-1);
    assert.equal(last?.url, '/api/v1/functions/pricer/rpc/quote');
    assert.equal(last?.headers['x-isola-function'], `cart@${version}`);
    assert.equal(last?.headers['x-isola-invocation-id'], 'inv-1');
    assert.equal(last?.headers['x-isola-call-depth'], '3');
  });

  it("keeps the gateway's status and body on an error", async () => {
    const response = await invoke('missing', '[]', test.functionHeaders('cart', version));
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: { code: 'NOT_FOUND', message: 'no method missing' } });
  });

  it('refuses an unbound function and a chain over the limit', async () => {
    const unbound = await test.call('/v1.0/invoke/other/method/x', { method: 'POST', headers: test.functionHeaders('cart', version), body: '[]' });
    assert.equal(unbound.status, 403);
    assert.match(((await unbound.json()) as { message: string }).message, /type: service, function: other/);
    const before = seen.length;
    const deep = await invoke('quote', '[]', test.functionHeaders('cart', version, { 'x-isola-call-depth': String(maxCallDepth) }));
    assert.equal(deep.status, 508);
    assert.match(((await deep.json()) as { message: string }).message, /over the limit of 8/);
    assert.equal(seen.length, before, 'the gateway was not called');
  });
});
