// github-stars: outbound fetch limited by egress. The test stands a local server in for the
// GitHub API and deploys the example twice under other names: once with egress naming that
// server (it works), once with the manifest's egress as it is (the server is refused).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { eventually, type ExamplePlatform } from '../../example-platform.js';

export function exampleSpec(examples: ExamplePlatform): void {
  describe('github-stars (outbound fetch with egress)', () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const fakeGitHub = http.createServer((request, response) => {
      seen.push(request.headers);
      if (request.url === '/repos/isola-dev/isola') {
        response.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            full_name: 'isola-dev/isola',
            description: 'Functions in isolates',
            stargazers_count: 1234,
            forks_count: 56,
            open_issues_count: 7,
            html_url: 'https://github.com/isola-dev/isola',
            owner: { login: 'isola-dev' },
          }),
        );
      } else if (request.url === '/repos/rate/limited') {
        response.writeHead(403, { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 120) }).end('{}');
      } else {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"message": "Not Found"}');
      }
    });
    let local = '';

    before(async () => {
      fakeGitHub.listen(0, '127.0.0.1');
      await once(fakeGitHub, 'listening');
      local = `127.0.0.1:${(fakeGitHub.address() as AddressInfo).port}`;
      const vars = { GITHUB_API: `http://${local}` };
      await examples.deployFolder('github-stars', { name: 'github-stars-local', vars, egress: [local] });
      await examples.deployFolder('github-stars', { name: 'github-stars-blocked', vars }); // egress: [api.github.com]
    });
    after(() => new Promise<void>((resolve) => fakeGitHub.close(() => resolve())));

    const get = (name: string, path: string) => examples.request('GET', `/fn/${name}${path}`, { token: false });

    test('with the server in egress: the repository, reshaped, and the headers GitHub asks for', async () => {
      const answer = await get('github-stars-local', '/repos/isola-dev/isola');
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(answer.json, {
        repo: 'isola-dev/isola',
        description: 'Functions in isolates',
        stars: 1234,
        forks: 56,
        openIssues: 7,
        url: 'https://github.com/isola-dev/isola',
      });
      assert.equal(answer.headers.get('cache-control'), 'public, max-age=60');
      const headers = seen.at(-1) as http.IncomingHttpHeaders;
      assert.equal(headers['user-agent'], 'isola-example-github-stars');
      assert.equal(headers['x-github-api-version'], '2022-11-28');
      assert.equal(headers.authorization, undefined, 'no GITHUB_TOKEN secret yet: anonymous');
      assert.equal((await get('github-stars-local', '/?repo=isola-dev/isola')).status, 200);
    });

    test("GitHub's answers map to clear statuses: 404, 429 with Retry-After, 400 for a bad name", async () => {
      const missing = await get('github-stars-local', '/repos/nobody/nothing');
      assert.equal(missing.status, 404);
      assert.match(missing.text, /no repository nobody\/nothing/);
      const limited = await get('github-stars-local', '/repos/rate/limited');
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
      assert.equal((await get('github-stars-local', '/repos/not a repo')).status, 400);
    });

    test('a host not in egress is refused inside the function, with the entry to add', async () => {
      const before = seen.length;
      const answer = await get('github-stars-blocked', '/repos/isola-dev/isola');
      assert.equal(answer.status, 502, answer.text);
      const { error } = answer.json as { error: { code: string; message: string } };
      assert.equal(error.code, 'UPSTREAM_UNREACHABLE');
      assert.match(error.message, /is not allowed/);
      assert.ok(error.message.includes(`add "${local}" to egress`), error.message);
      assert.equal(seen.length, before, 'nothing reached the server');
    });

    test('the optional GITHUB_TOKEN secret, once set, is sent as a bearer token', async () => {
      const put = await examples.request('PUT', '/api/v1/functions/github-stars-local/secrets/GITHUB_TOKEN', { body: { value: 'ghp_example_token' } });
      assert.equal(put.status, 204, put.text);
      // A secret change retires the function's instances; the next cold start reads it.
      await eventually('the token sent', async () => {
        await get('github-stars-local', '/repos/isola-dev/isola');
        return seen.at(-1)?.authorization === 'Bearer ghp_example_token' ? true : null;
      });
    });
  });
}
