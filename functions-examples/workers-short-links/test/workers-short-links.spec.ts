// workers-short-links: an unmodified Cloudflare Worker (src/worker.js). The click-beacon test
// deploys it again under another name with ANALYTICS_URL and egress naming a local server.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually, type ExamplePlatform } from '../../example-platform.js';

const securityHeaders = ['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'referrer-policy', 'permissions-policy'];

export function exampleSpec(examples: ExamplePlatform): void {
  const get = (path: string, name = 'workers-short-links') =>
    examples.request('GET', `/fn/${name}${path}`, { token: false, redirect: 'manual', headers: { 'user-agent': 'example-test/1.0' } });

  describe('workers-short-links (an unmodified Cloudflare Worker)', () => {
    const clicks: unknown[] = [];
    const analytics = http.createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        clicks.push({ method: request.method, body: JSON.parse(body) as unknown });
        response.writeHead(204).end();
      });
    });

    before(async () => {
      analytics.listen(0, '127.0.0.1');
      await once(analytics, 'listening');
      const local = `127.0.0.1:${(analytics.address() as AddressInfo).port}`;
      await examples.deployFolder('workers-short-links', {
        name: 'short-links-tracked',
        vars: { ROUTE_PREFIX: '/fn/short-links-tracked', ANALYTICS_URL: `http://${local}/clicks` },
        egress: [local],
      });
    });
    after(() => new Promise<void>((resolve) => analytics.close(() => resolve())));

    test('a known slug redirects with 301, and every response carries the security headers', async () => {
      const answer = await get('/docs');
      assert.equal(answer.status, 301, answer.text);
      assert.equal(answer.headers.get('location'), 'https://developers.cloudflare.com/workers/');
      for (const name of securityHeaders) assert.ok(answer.headers.get(name), `${name} is set`);
      const missing = await get('/nope');
      assert.equal(missing.status, 404);
      assert.equal(missing.text, 'No short link "nope"');
      assert.equal(missing.headers.get('x-content-type-options'), 'nosniff');
    });

    test('the root lists the links as JSON', async () => {
      const answer = await get('/');
      assert.equal(answer.status, 200);
      assert.equal(answer.headers.get('cache-control'), 'public, max-age=300');
      const { links } = answer.json as { links: { slug: string; url: string; short: string }[] };
      assert.deepEqual(
        links.map((link) => link.slug),
        ['docs', 'runtime-apis', 'mdn-fetch', 'wintertc'],
      );
      assert.equal(links[0]?.short, `${examples.url}/fn/workers-short-links/docs`);
      assert.equal((await examples.request('POST', '/fn/workers-short-links/docs', { token: false })).status, 405);
    });

    test('with ANALYTICS_URL set, each click is POSTed there by ctx.waitUntil work', async () => {
      const answer = await get('/wintertc', 'short-links-tracked');
      assert.equal(answer.status, 301);
      assert.equal(answer.headers.get('location'), 'https://wintertc.org/');
      const click = (await eventually('the click beacon', async () => clicks.at(-1))) as { method: string; body: { slug: string; userAgent: string; at: string } };
      assert.equal(click.method, 'POST');
      assert.equal(click.body.slug, 'wintertc');
      assert.equal(click.body.userAgent, 'example-test/1.0');
      assert.ok(!Number.isNaN(Date.parse(click.body.at)));
      assert.equal(clicks.length, 1, 'the untracked deployment sent none');
    });
  });
}
