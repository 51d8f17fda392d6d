import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatestVersionCache } from './function-cache.js';
import type { FunctionStore, FunctionVersion } from './function-store.js';

function version(number: number): FunctionVersion {
  return { name: 'f', version: number, codeHash: `h${number}`, manifest: {} as FunctionVersion['manifest'], createdAt: '' };
}

/** Counts reads; answers with whatever `latest` is at the time. */
function storeReturning(state: { latest: FunctionVersion | null; reads: number }): FunctionStore {
  return {
    getLatest: async () => {
      state.reads += 1;
      return state.latest;
    },
  } as unknown as FunctionStore;
}

test('a version primed by a local deploy is served without a read, and its own event keeps it', async () => {
  const state = { latest: version(1), reads: 0 };
  const cache = new LatestVersionCache(storeReturning(state));
  assert.equal((await cache.get('f'))?.version, 1);
  cache.prime(version(2));
  cache.onEvent({ type: 'deployed', name: 'f', version: 2 });
  assert.equal((await cache.get('f'))?.version, 2);
  assert.equal(state.reads, 1);
});

test('an event for a newer version (another gateway deployed) drops the entry', async () => {
  const state = { latest: version(2), reads: 0 };
  const cache = new LatestVersionCache(storeReturning(state));
  cache.prime(version(2));
  state.latest = version(3);
  cache.onEvent({ type: 'deployed', name: 'f', version: 3 });
  assert.equal((await cache.get('f'))?.version, 3);
  assert.equal(state.reads, 1);
});

test('an older version never replaces a newer one; unknown names are not cached', async () => {
  const state: { latest: FunctionVersion | null; reads: number } = { latest: null, reads: 0 };
  const cache = new LatestVersionCache(storeReturning(state));
  assert.equal(await cache.get('f'), null);
  assert.equal(await cache.get('f'), null);
  assert.equal(state.reads, 2);
  cache.prime(version(5));
  cache.prime(version(4));
  assert.equal((await cache.get('f'))?.version, 5);
});
