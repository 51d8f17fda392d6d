import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createLogger, defaultLimits, FunctionStore, instanceKey, parseManifest, type InvocationRequest } from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { Scheduler } from './scheduler.js';

let server: TestRedis;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server.stop();
});

test('a version quarantined after repeated crashes is refused at once and noted in Redis for the API', async () => {
  const store = new FunctionStore(server.redis);
  const deployed = await store.deploy({ manifest: parseManifest({ name: 'crashy', main: 'index.js' }), code: '', codeHash: 'abc123', files: {}, author: 'ci' });
  const fn = { name: deployed.name, version: deployed.version, codeHash: deployed.codeHash };
  // No workers: any invocation that got past the quarantine would be refused as OVERLOADED.
  const scheduler = new Scheduler({ workers: () => [] }, { logger: createLogger({ level: 'silent' }), quarantineNotes: store });
  const request: InvocationRequest = {
    invocationId: 'inv-1',
    function: fn,
    limits: { ...defaultLimits },
    trigger: 'http',
    request: { method: 'GET', url: 'http://localhost/', headers: [] },
  };

  scheduler.recordCrash(instanceKey(fn), 'Catastrophic out-of-memory error');
  assert.deepEqual((await store.quarantinedVersions(['crashy'])).get('crashy'), [], 'one crash does not quarantine');
  scheduler.recordCrash(instanceKey(fn), 'Catastrophic out-of-memory error');
  const refused = await scheduler.invoke(request);
  assert.equal(refused.ok ? null : refused.error.code, 'FUNCTION_QUARANTINED');

  // The note is written off the invocation path: it arrives shortly after.
  const deadline = Date.now() + 2_000;
  let notes = (await store.quarantinedVersions(['crashy'])).get('crashy') ?? [];
  while (notes.length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    notes = (await store.quarantinedVersions(['crashy'])).get('crashy') ?? [];
  }
  assert.equal(notes.length, 1);
  assert.equal(notes[0]?.version, fn.version);
  assert.equal(notes[0]?.codeHash, 'abc123');
  assert.match(notes[0]?.reason ?? '', /^it crashed its worker 2 times within 10 minutes \(last: Catastrophic out-of-memory error\)$/);
  assert.ok(Date.parse(notes[0]?.at ?? '') > Date.now() - 60_000);

  // A third crash does not quarantine it again (nor write again).
  await server.redis.del('isola:fn:crashy:quarantine');
  scheduler.recordCrash(instanceKey(fn), 'again');
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.deepEqual((await store.quarantinedVersions(['crashy'])).get('crashy'), []);
});

test('the quarantine holds when the note cannot be written', async () => {
  // A store whose connection is closed: every write fails at once.
  const closed = server.connect();
  closed.disconnect();
  const scheduler = new Scheduler({ workers: () => [] }, { logger: createLogger({ level: 'silent' }), quarantineNotes: new FunctionStore(closed) });
  const fn = { name: 'crashy', version: 7, codeHash: 'def456' };
  scheduler.recordCrash(instanceKey(fn), 'oom');
  scheduler.recordCrash(instanceKey(fn), 'oom');
  const refused = await scheduler.invoke({ invocationId: 'inv-2', function: fn, limits: { ...defaultLimits }, trigger: 'http', request: { method: 'GET', url: 'http://localhost/', headers: [] } });
  assert.equal(refused.ok ? null : refused.error.code, 'FUNCTION_QUARANTINED');
  // The failed write was logged, not left as an unhandled rejection (which would fail this file).
  await new Promise((resolve) => setTimeout(resolve, 50));
});

test('a scheduler that starts restores the quarantines noted before it: the version stays refused until redeployed', async () => {
  const store = new FunctionStore(server.redis);
  const deployed = await store.deploy({ manifest: parseManifest({ name: 'still-crashy', main: 'index.js' }), code: '', codeHash: 'aaa111', files: {}, author: 'ci' });
  const fn = { name: deployed.name, version: deployed.version, codeHash: deployed.codeHash };
  await store.recordQuarantine(fn, 'it crashed its worker 2 times within 10 minutes (last: oom)');
  const request = (ref: typeof fn): InvocationRequest => ({
    invocationId: 'inv-3',
    function: ref,
    limits: { ...defaultLimits },
    trigger: 'http',
    request: { method: 'GET', url: 'http://localhost/', headers: [] },
  });

  const restarted = new Scheduler({ workers: () => [] }, { logger: createLogger({ level: 'silent' }), quarantineNotes: store });
  assert.ok((await restarted.restoreQuarantines()) >= 1);
  const refused = await restarted.invoke(request(fn));
  assert.equal(refused.ok ? null : refused.error.code, 'FUNCTION_QUARANTINED');
  assert.match(refused.ok ? '' : refused.error.message, /crashed its worker 2 times/);

  // A redeploy is a new version: not quarantined (no workers here, so it is refused as OVERLOADED).
  const redeployed = await store.deploy({ manifest: parseManifest({ name: 'still-crashy', main: 'index.js' }), code: '', codeHash: 'bbb222', files: {}, author: 'ci' });
  const fresh = await restarted.invoke(request({ name: redeployed.name, version: redeployed.version, codeHash: redeployed.codeHash }));
  assert.equal(fresh.ok ? null : fresh.error.code, 'OVERLOADED');
});
