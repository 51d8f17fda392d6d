import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseManifest } from '../manifest/parse.js';
import { startTestRedis, type TestRedis } from '../testing/test-redis.js';
import { FunctionStore } from './function-store.js';
import { redisKeys } from './keys.js';

let server: TestRedis;
let store: FunctionStore;
before(async () => {
  server = await startTestRedis();
  store = new FunctionStore(server.redis);
});
after(async () => {
  await server.stop();
});

async function deploy(name: string, files: Record<string, string>) {
  return store.deploy({ manifest: parseManifest({ name, main: 'index.js' }), code: 'export default {}', codeHash: `hash-of-${name}`, files, author: 'ci' });
}

test('a version reads back with its sources as uploaded, in one read', async () => {
  const files = { 'index.js': 'export default { fetch: () => new Response("hi") };', 'lib/util.js': 'export const x = 1;' };
  const deployed = await deploy('with-files', files);
  const found = await store.getVersionWithFiles('with-files', deployed.version);
  assert.deepEqual(found, { ...deployed, files });
  assert.equal(await store.getVersionWithFiles('with-files', 99), null);
  assert.equal(await store.getVersionWithFiles('no-such-function', 1), null);
  // Versions stored before sources were kept have none.
  await server.redis.hdel(redisKeys.functionVersion('with-files', deployed.version), 'files');
  assert.deepEqual((await store.getVersionWithFiles('with-files', deployed.version))?.files, {});
});

test('quarantine notes are read for many functions at once and go with their function', async () => {
  const doomed = await deploy('crashy', { 'index.js': '' });
  await deploy('calm', { 'index.js': '' });
  await store.recordQuarantine({ name: 'crashy', version: doomed.version, codeHash: doomed.codeHash }, 'it crashed its worker 2 times', new Date('2025-03-01T12:00:00Z'));
  const notes = await store.quarantinedVersions(['crashy', 'calm']);
  assert.deepEqual(notes.get('crashy'), [{ version: doomed.version, codeHash: doomed.codeHash, reason: 'it crashed its worker 2 times', at: '2025-03-01T12:00:00.000Z' }]);
  assert.deepEqual(notes.get('calm'), []);
  assert.deepEqual(await store.quarantinedVersions([]), new Map());

  // Deleted, then deployed again under the same name (version 1 again): no quarantine left over.
  assert.equal(await store.delete('crashy'), true);
  assert.equal(await server.redis.exists(redisKeys.functionQuarantine('crashy')), 0);
  const again = await deploy('crashy', { 'index.js': '' });
  assert.equal(again.version, doomed.version);
  assert.deepEqual((await store.quarantinedVersions(['crashy'])).get('crashy'), []);
});
