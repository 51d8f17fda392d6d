// hello: the smallest function. Runs against the shared platform of examples.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExamplePlatform } from '../../example-platform.js';

export function exampleSpec(examples: ExamplePlatform): void {
  describe('hello (the smallest function)', () => {
    test('greets by name from the query, with the configured greeting', async () => {
      const answer = await examples.request('GET', '/fn/hello/greet?name=Ada', { token: false });
      assert.equal(answer.status, 200);
      assert.deepEqual(answer.json, { message: 'Hello, Ada!', method: 'GET', path: '/fn/hello/greet' });
    });

    test('is public: no token needed, and greets the world by default', async () => {
      const answer = await examples.request('POST', '/fn/hello', { body: 'ignored', token: false });
      assert.equal(answer.status, 200);
      assert.equal((answer.json as { message: string }).message, 'Hello, world!');
    });
  });
}
