// checkout: calls pricer's RPC methods through a service binding (env.PRICER.quote(...)).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExamplePlatform } from '../../example-platform.js';

export function exampleSpec(examples: ExamplePlatform): void {
  const checkout = (body: unknown) => examples.request('POST', '/fn/checkout/checkout', { body, token: false });

  describe('checkout (caller through a service binding)', () => {
    test('prices the basket through env.PRICER.quote, the same as calling pricer directly', async () => {
      const items = [{ sku: 'kettle', quantity: 1 }, { sku: 'tea', quantity: 3 }];
      const answer = await checkout({ items, coupon: 'FRIENDS25' });
      assert.equal(answer.status, 200, answer.text);
      const order = answer.json as { orderId: string; status: string; totalCents: number; currency: string; lines: unknown[] };
      assert.equal(order.status, 'priced');
      assert.equal(order.orderId, answer.headers.get('x-isola-invocation-id'));
      const direct = await examples.request('POST', '/api/v1/functions/pricer/rpc/quote', { body: [items, 'FRIENDS25'] });
      const quote = (direct.json as { result: { totalCents: number; lines: unknown[] } }).result;
      assert.equal(order.totalCents, quote.totalCents);
      assert.equal(order.totalCents, 6850 - 1713, '25 % off 68.50, rounded to the cent');
      assert.deepEqual(order.lines, quote.lines);
    });

    test("pricer's refusal comes back as a 422 with its message (BindingError CALL_FAILED)", async () => {
      const unknownSku = await checkout({ items: [{ sku: 'teapot', quantity: 1 }] });
      assert.equal(unknownSku.status, 422, unknownSku.text);
      assert.match((unknownSku.json as { error: { message: string } }).error.message, /^the pricer refused the order: .*unknown sku "teapot"/);
      const badCoupon = await checkout({ items: [{ sku: 'tea', quantity: 1 }], coupon: 'FREE' });
      assert.equal(badCoupon.status, 422);
      assert.match(badCoupon.text, /unknown coupon/);
    });

    test('malformed requests are refused before pricer is called', async () => {
      assert.equal((await checkout('not json')).status, 400);
      assert.equal((await checkout({ items: 'tea' })).status, 400);
      assert.equal((await checkout({ items: [], coupon: 7 })).status, 400);
      assert.equal((await examples.request('GET', '/fn/checkout/checkout', { token: false })).status, 404);
    });
  });
}
