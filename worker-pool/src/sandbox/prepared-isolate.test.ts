// The pool of pre-warmed isolates, with real isolates: what a cold start takes from it is an
// isolate of the right heap size with the runtime loaded and nothing of the host on its global;
// the pool refills in the background and keeps only a few sizes.
// Run with --no-node-snapshot (every process that loads isolated-vm needs it).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { PreparedIsolatePool, type PreparedIsolate } from './prepared-isolate.js';
import { RuntimeScript } from './runtime-script.js';

const pool = new PreparedIsolatePool(new RuntimeScript(), { memoryMb: 128, size: 2, maxSizes: 2, onCatastrophicError: () => undefined });
const taken: PreparedIsolate[] = [];
after(() => {
  pool.close();
  for (const prepared of taken) prepared.isolate.dispose();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), what);
}

const heapLimitMb = (prepared: PreparedIsolate) => prepared.isolate.getHeapStatisticsSync().heap_size_limit / 1024 / 1024;

test('a filled pool hands out ready isolates with the runtime loaded and its entry point gone', async () => {
  await pool.fill();
  assert.equal(pool.ready(128), 2);
  const prepared = await pool.take(128);
  taken.push(prepared);
  assert.equal(pool.ready(128), 1);
  assert.equal(prepared.context.evalSync('typeof Request + typeof URL + typeof fetch + typeof __isolaRuntime'), 'functionfunctionfunctionundefined');
  assert.ok(heapLimitMb(prepared) >= 128 && heapLimitMb(prepared) < 256, `heap limit ${heapLimitMb(prepared)} MB`);
});

test('refillSoon tops the pool up in the background', async () => {
  pool.refillSoon(128);
  await until(() => pool.ready(128) === 2, 'the pool was not refilled');
});

test('another memory size gets a fresh isolate of that size, then a pool of its own', async () => {
  const prepared = await pool.take(64);
  taken.push(prepared);
  assert.ok(heapLimitMb(prepared) >= 64 && heapLimitMb(prepared) < 128, `heap limit ${heapLimitMb(prepared)} MB`);
  await until(() => pool.ready(64) === 2, 'the pool of the new size was not filled');
});

test('beyond maxSizes the least recently used size other than the default is dropped', async () => {
  taken.push(await pool.take(32));
  assert.equal(pool.ready(64), 0);
  assert.ok(pool.ready(128) >= 1, 'the default size must stay');
});
