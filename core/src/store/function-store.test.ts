import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import type { ManifestInput } from '../manifest/schema.js';
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

describe('route claims', () => {
  const withRoutes = (name: string, routes: ManifestInput['routes'], promote = true) =>
    store.deploy({ manifest: parseManifest({ name, main: 'index.js', routes }), code: 'export default {}', codeHash: `hash-of-${name}`, files: {}, author: 'ci', promote });
  const claims = async () => new Map((await store.routeClaims()).map((claim) => [claim.path, claim]));
  const conflictOf = async (deploying: Promise<unknown>) => {
    const error = await deploying.then(() => null, (caught: unknown) => caught);
    assert.ok(error instanceof IsolaError, 'refused');
    assert.equal(error.code, 'CONFLICT');
    return error.message;
  };

  test('a promoted deploy claims its routes and lets go of those it dropped; a canary claims nothing', async () => {
    await withRoutes('shop', [{ path: '/shop/*', methods: ['GET'] }, { path: '/cart' }]);
    assert.deepEqual(await claims(), new Map([
      ['/shop/*', { path: '/shop/*', function: 'shop', methods: ['GET'] }],
      ['/cart', { path: '/cart', function: 'shop' }],
    ]));
    await withRoutes('shop', [{ path: '/shop/*' }]);
    assert.deepEqual([...(await claims()).values()], [{ path: '/shop/*', function: 'shop' }]);
    await withRoutes('shop', [{ path: '/canary-only' }], false);
    assert.deepEqual([...(await claims()).keys()], ['/shop/*']);
  });

  test("another function's pattern is a conflict naming it, and the refused deploy leaves no trace; overlapping patterns are fine", async () => {
    const before = await store.versionNumbers('shop');
    const message = await conflictOf(withRoutes('rival', [{ path: '/free' }, { path: '/shop/*' }]));
    assert.match(message, /route \/shop\/\* is already served by function "shop"/);
    assert.equal(await store.exists('rival'), false);
    assert.equal((await claims()).get('/free'), undefined);
    assert.deepEqual(await store.versionNumbers('shop'), before);
    await withRoutes('rival', [{ path: '/shop/special/*' }, { path: '/shop' }]);
    assert.equal((await claims()).get('/shop/special/*')?.function, 'rival');
  });

  test('of two concurrent deploys claiming one pattern exactly one wins', async () => {
    const outcomes = await Promise.allSettled(['racer-a', 'racer-b', 'racer-c'].map((name) => withRoutes(name, [{ path: '/race' }])));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1);
    const winner = (await claims()).get('/race')?.function;
    assert.equal(await store.exists(winner ?? ''), true);
    for (const loser of ['racer-a', 'racer-b', 'racer-c'].filter((name) => name !== winner)) assert.equal(await store.exists(loser), false);
  });

  test('moving latest moves the routes: a split serves the union of its versions; a conflict refuses the move', async () => {
    const first = await withRoutes('mover', [{ path: '/v1-only', methods: ['GET'] }, { path: '/both', methods: ['GET'] }]);
    const second = await withRoutes('mover', [{ path: '/both', methods: ['POST'] }, { path: '/v2-only' }]);
    await store.setAlias('mover', 'latest', { weights: { [first.version]: 50, [second.version]: 50 } });
    const split = await claims();
    assert.deepEqual(split.get('/both'), { path: '/both', function: 'mover', methods: ['GET', 'POST'] });
    assert.equal(split.get('/v1-only')?.function, 'mover');
    assert.equal(split.get('/v2-only')?.function, 'mover');
    // Another alias moves nothing.
    await store.setAlias('mover', 'stable', { version: first.version });
    await store.rollback('mover', 'latest', second.version);
    assert.equal((await claims()).get('/v1-only'), undefined);
    await withRoutes('squatter', [{ path: '/v1-only' }]);
    assert.match(await conflictOf(store.rollback('mover', 'latest', first.version)), /route \/v1-only is already served by function "squatter"/);
    assert.deepEqual(await store.alias('mover', 'latest'), { version: second.version });
  });

  test('a delete releases every route of the function, and only its own', async () => {
    await withRoutes('leaving', [{ path: '/leaving/*' }, { path: '/leaving-too' }]);
    assert.equal(await store.delete('leaving'), true);
    const left = await claims();
    assert.equal(left.get('/leaving/*'), undefined);
    assert.equal(left.get('/leaving-too'), undefined);
    assert.equal(left.get('/shop/*')?.function, 'shop');
    await withRoutes('arriving', [{ path: '/leaving/*' }]);
  });
});

describe('topic claims', () => {
  const withQueues = (name: string, topics: string[], routes: ManifestInput['routes'] = []) =>
    store.deploy({
      manifest: parseManifest({ name, main: 'index.js', queues: topics.map((topic) => ({ topic })), routes }),
      code: 'export default {}',
      codeHash: `hash-of-${name}`,
      files: {},
      author: 'ci',
    });

  test('of three concurrent deploys consuming one topic exactly one wins; a redeploy without it and a delete release it', async () => {
    const racers = ['topic-racer-a', 'topic-racer-b', 'topic-racer-c'];
    const outcomes = await Promise.allSettled(racers.map((name) => withQueues(name, ['contested'])));
    assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, 1, 'one consumer per topic');
    const winner = (await store.topicConsumers()).get('contested')?.function as string;
    const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    assert.match((refused.reason as Error).message, new RegExp(`topic "contested" is already consumed by function "${winner}"`));
    await withQueues(winner, ['other-topic']);
    assert.equal((await store.topicConsumers()).get('contested'), undefined, 'released by the redeploy');
    await withQueues('topic-racer-late', ['contested']);
    assert.equal(await store.delete('topic-racer-late'), true);
    assert.equal((await store.topicConsumers()).get('contested'), undefined, 'released by the delete');
  });

  test('a deploy refused for a route claims none of its topics (topics and routes are claimed together)', async () => {
    await withQueues('route-holder', [], [{ path: '/held' }]);
    await assert.rejects(withQueues('both-wanted', ['fresh-topic'], [{ path: '/held' }]), /route \/held is already served by function "route-holder"/);
    assert.equal((await store.topicConsumers()).get('fresh-topic'), undefined);
  });
});
