// Configuration: get, and subscriptions in both forms (the SSE stream the bindings use, and
// Dapr's app-channel POSTs, here to a local HTTP server standing in for the app).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { defaultComponents } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('configuration API', () => {
  let test: TestSidecar;
  let appServer: Server;
  let raw: Redis;
  const posts: { url: string; body: { id: string; items: Record<string, { value: string; version: string }> } }[] = [];
  let postArrived: () => void = () => undefined;

  before(async () => {
    appServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        posts.push({ url: request.url ?? '', body: JSON.parse(body) as (typeof posts)[number]['body'] });
        response.writeHead(200).end();
        postArrived();
      });
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    test = await startTestSidecar({ appUrl: `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`, components: () => defaultComponents() });
    raw = test.redis.connect();
    await raw.select(1);
  });
  after(async () => {
    await test.stop();
    appServer.close();
  });
  const admin = () => ({ 'dapr-api-token': test.adminToken });

  it('gets items, all of them without keys, skipping non-string keys', async () => {
    await raw.set('cfg-a', 'one||1');
    await raw.set('cfg-b', 'plain');
    await raw.hset('not-config', 'data', 'x');
    const some = await test.call('/v1.0/configuration/configstore?key=cfg-a&key=cfg-b&key=not-config', { headers: admin() });
    assert.deepEqual(await some.json(), { 'cfg-a': { value: 'one', version: '1', metadata: {} }, 'cfg-b': { value: 'plain', version: '', metadata: {} } });
    const all = (await (await test.call('/v1.0/configuration/configstore', { headers: admin() })).json()) as Record<string, unknown>;
    assert.ok('cfg-a' in all && 'cfg-b' in all && !('not-config' in all));
  });

  it('streams changes as server-sent events until the stream is closed', async () => {
    const controller = new AbortController();
    const response = await test.call('/v1.0/configuration/configstore/subscribe?key=cfg-stream', { headers: { ...admin(), accept: 'text/event-stream' }, signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
        text += decoder.decode(value);
      }
    };
    await until(/event: subscribed\ndata: \{"id":"[^"]+"\}\n\n/);
    const id = (/"id":"([^"]+)"/.exec(text) as RegExpExecArray)[1];
    await raw.set('cfg-stream', 'blue||7');
    await until(/event: update\n/);
    assert.match(text, new RegExp(`data: \\{"id":"${id}","items":\\{"cfg-stream":\\{"value":"blue","version":"7","metadata":\\{\\}\\}\\}\\}`));
    await raw.del('cfg-stream');
    await until(/"value":"","version":""/);
    controller.abort();
  });

  it("posts changes to the app channel in Dapr's form, until unsubscribed", async () => {
    const subscribed = await test.call('/v1.0/configuration/configstore/subscribe?key=cfg-app', { headers: admin() });
    const { id } = (await subscribed.json()) as { id: string };
    const arrived = new Promise<void>((resolve) => (postArrived = resolve));
    await raw.set('cfg-app', 'v||2');
    await arrived;
    assert.deepEqual(posts.at(-1), { url: '/configuration/configstore/cfg-app', body: { id, items: { 'cfg-app': { value: 'v', version: '2', metadata: {} } } } });
    assert.deepEqual(await (await test.call(`/v1.0/configuration/configstore/${id}/unsubscribe`, { headers: admin() })).json(), { ok: true });
    assert.equal(((await (await test.call(`/v1.0/configuration/configstore/${id}/unsubscribe`, { headers: admin() })).json()) as { ok: boolean }).ok, false);
  });

  it('without an app URL, refuses the Dapr form and points at the streaming one', async () => {
    const bare = await startTestSidecar({ components: () => defaultComponents() });
    try {
      const response = await bare.call('/v1.0/configuration/configstore/subscribe?key=x', { headers: { 'dapr-api-token': bare.adminToken } });
      assert.equal(response.status, 400);
      assert.match(((await response.json()) as { message: string }).message, /text\/event-stream/);
    } finally {
      await bare.stop();
    }
  });
});
