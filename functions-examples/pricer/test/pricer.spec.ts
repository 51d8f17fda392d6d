// pricer: RPC methods called over REST (POST /api/v1/functions/pricer/rpc/{method}).
// ../checkout calls the same methods through a service binding.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExamplePlatform } from '../../example-platform.js';

export function exampleSpec(examples: ExamplePlatform): void {
  const rpc = (method: string, args: unknown[], token = true) => examples.request('POST', `/api/v1/functions/pricer/rpc/${method}`, { body: args, token });

  describe('pricer (RPC service)', () => {
    test('quote prices a basket with a coupon; price gives one unit price', async () => {
      const quote = await rpc('quote', [[{ sku: 'tea', quantity: 2 }, { sku: 'cup', quantity: 1 }], 'WELCOME10']);
      assert.equal(quote.status, 200, quote.text);
      assert.deepEqual((quote.json as { result: unknown }).result, {
        lines: [
          { sku: 'tea', quantity: 2, name: 'Loose-leaf tea, 100 g', unitPriceCents: 650, totalCents: 1300 },
          { sku: 'cup', quantity: 1, name: 'Stoneware cup', unitPriceCents: 1200, totalCents: 1200 },
        ],
        subtotalCents: 2500,
        discountCents: 250,
        totalCents: 2250,
        currency: 'EUR',
        coupon: 'WELCOME10',
      });
      assert.deepEqual((await rpc('price', ['kettle'])).json, { result: 4900 });
    });

    test("a thrown error reaches the caller with the method's message; unknown methods are listed", async () => {
      const unknownSku = await rpc('price', ['nope']);
      assert.equal(unknownSku.status, 502);
      assert.match(unknownSku.text, /unknown sku \\"nope\\"/);
      const unknownMethod = await rpc('discount', []);
      assert.equal(unknownMethod.status, 404);
      assert.match(unknownMethod.text, /price/);
      assert.match(unknownMethod.text, /quote/);
    });

    test('not public: RPC over REST needs a token', async () => {
      assert.equal((await rpc('price', ['tea'], false)).status, 401);
    });
  });
}
