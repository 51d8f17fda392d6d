import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AliasCache, ResolvedAlias } from './function-cache.js';
import type { AliasTarget, FunctionStore, FunctionVersion } from './function-store.js';

function version(number: number): FunctionVersion {
  return { name: 'f', version: number, codeHash: `h${number}`, manifest: {} as FunctionVersion['manifest'], createdAt: '' };
}

/** Counts reads; answers with whatever the alias targets are at the time. */
function storeWith(state: { aliases: Record<string, AliasTarget>; reads: number }): FunctionStore {
  return {
    alias: async (_name: string, alias: string) => {
      state.reads += 1;
      return state.aliases[alias] ?? null;
    },
    getVersion: async (_name: string, number: number) => version(number),
  } as unknown as FunctionStore;
}

test('a version primed by a local deploy is served without a read, and its own event keeps it', async () => {
  const state = { aliases: { latest: { version: 1 } } as Record<string, AliasTarget>, reads: 0 };
  const cache = new AliasCache(storeWith(state));
  assert.equal((await cache.resolve('f'))?.pick().version, 1);
  cache.prime(version(2));
  cache.onEvent({ type: 'deployed', name: 'f', version: 2, promoted: true });
  assert.equal((await cache.resolve('f'))?.pick().version, 2);
  assert.equal(state.reads, 1);
});

test('a deploy event without the code (large bundle) drops latest; a late older event never moves it back', async () => {
  const state = { aliases: { latest: { version: 3 } } as Record<string, AliasTarget>, reads: 0 };
  const cache = new AliasCache(storeWith(state));
  cache.prime(version(2));
  cache.onEvent({ type: 'deployed', name: 'f', version: 3, promoted: true });
  assert.equal((await cache.resolve('f'))?.pick().version, 3);
  assert.equal(state.reads, 1);
  cache.prime(version(5));
  cache.onEvent({ type: 'deployed', name: 'f', version: 4, promoted: true, deployed: { ...version(4), code: '' } });
  assert.equal((await cache.resolve('f'))?.pick().version, 5);
});

test('an unpromoted deploy leaves latest alone; alias and delete events drop every alias of the function', async () => {
  const state = { aliases: { latest: { version: 1 }, stable: { version: 1 } } as Record<string, AliasTarget>, reads: 0 };
  const cache = new AliasCache(storeWith(state));
  await cache.resolve('f');
  await cache.resolve('f', 'stable');
  cache.onEvent({ type: 'deployed', name: 'f', version: 2, promoted: false, deployed: { ...version(2), code: '' } });
  assert.equal((await cache.resolve('f'))?.pick().version, 1);
  state.aliases = { latest: { weights: { '1': 50, '2': 50 } }, stable: { version: 2 } };
  cache.onEvent({ type: 'aliases', name: 'f' });
  assert.deepEqual((await cache.resolve('f'))?.target, { weights: { '1': 50, '2': 50 } });
  assert.equal((await cache.resolve('f', 'stable'))?.pick().version, 2);
  state.aliases = {};
  cache.onEvent({ type: 'deleted', name: 'f' });
  assert.equal(await cache.resolve('f'), null);
  assert.equal(await cache.resolve('f'), null, 'unknown names are not cached');
  assert.equal(state.reads, 6);
});

test('pick() follows the weights', () => {
  const resolved = new ResolvedAlias('latest', { weights: { '3': 90, '4': 10 } }, [version(3), version(4)]);
  assert.equal(resolved.pick(0).version, 3);
  assert.equal(resolved.pick(0.899).version, 3);
  assert.equal(resolved.pick(0.9).version, 4);
  assert.equal(resolved.pick(0.999).version, 4);
  const missing = new ResolvedAlias('latest', { weights: { '3': 90, '9': 10 } }, [version(3)]);
  assert.equal(missing.pick(0.95).version, 3, 'a version that no longer exists gets no traffic');
  assert.equal(new ResolvedAlias('latest', { version: 7 }, []).servable, false);
});
