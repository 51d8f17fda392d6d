// Calls {{name}}'s RPC methods in the same sandbox as production (`npm test` runs `isola test`).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { loadFunction } from '@isola/cli/local';

/** The function's folder: the one above test/. */
const folder = new URL('..', import.meta.url);

let fn: Awaited<ReturnType<typeof loadFunction>>;

before(async () => {
  fn = await loadFunction(folder, { vars: { CURRENCY: 'USD' } });
});
after(() => fn.close());

test('quote prices a SKU through this.price, in the configured currency', async () => {
  assert.deepEqual(await fn.rpc('quote', 'sku-1', 3), { sku: 'sku-1', quantity: 3, unitPrice: 500, total: 1500, currency: 'USD' });
  assert.equal(await fn.rpc('price', 'ab'), 200);
});

test('bad arguments fail the call with the method’s own error', async () => {
  await assert.rejects(fn.rpc('quote', 'sku-1', 0), /quantity must be a whole number/);
  await assert.rejects(fn.rpc('price', ''), /sku must be a non-empty string/);
});
