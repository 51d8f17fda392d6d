import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readFunctionFolder } from '@isola/cli';
import { spawnPlatform, type SpawnedPlatform } from '@isola/cli/testing';

const folder = fileURLToPath(new URL('../../hello', import.meta.url));
let platform: SpawnedPlatform;

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
  const { manifest, files } = readFunctionFolder(folder);
  await platform.client.deploy(manifest, files);
});
after(() => platform.stop());

test('hello greets by name from the query, with the configured greeting', async () => {
  const response = await fetch(`${platform.url}/fn/hello/greet?name=Ada`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { message: 'Hello, Ada!', method: 'GET', path: '/fn/hello/greet' });
});

test('hello is public: no token needed, and greets the world by default', async () => {
  const response = await fetch(`${platform.url}/fn/hello`, { method: 'POST', body: 'ignored' });
  assert.equal(response.status, 200);
  assert.equal(((await response.json()) as { message: string }).message, 'Hello, world!');
});
