// stripe-webhook: HMAC-SHA256 signatures in Stripe's scheme, checked with crypto.subtle.verify.
// The test signs deliveries as Stripe does, with node:crypto.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { eventually, type ExamplePlatform } from '../../example-platform.js';

const secret = 'whsec_test_4eC39HqLyjWDarjtT1zdp7dc';

function event(type = 'checkout.session.completed'): string {
  return JSON.stringify({ id: `evt_${randomUUID()}`, type, data: { object: { id: `cs_${randomUUID().slice(0, 8)}` } } });
}

function sign(body: string, timestamp = Math.floor(Date.now() / 1000), key = secret): string {
  return `t=${timestamp},v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

export function exampleSpec(examples: ExamplePlatform): void {
  const deliver = (body: string, signature?: string) =>
    examples.request('POST', '/fn/stripe-webhook', { body, token: false, headers: { 'content-type': 'application/json', ...(signature === undefined ? {} : { 'stripe-signature': signature }) } });

  describe('stripe-webhook (HMAC signature verification)', () => {
    test('deployed without its secret it refuses every delivery with 503 and says how to set it', async () => {
      const body = event();
      const answer = await deliver(body, sign(body));
      assert.equal(answer.status, 503, answer.text);
      assert.match(answer.text, /isola secret put stripe-webhook WEBHOOK_SECRET/);
    });

    test('with the secret set: a signed delivery is accepted once; tampered, unsigned, old and replayed ones get 401', async () => {
      const put = await examples.request('PUT', '/api/v1/functions/stripe-webhook/secrets/WEBHOOK_SECRET', { body: { value: secret } });
      assert.equal(put.status, 204, put.text);
      const body = event();
      const accepted = await eventually('the secret in effect', async () => {
        const answer = await deliver(body, sign(body));
        return answer.status === 503 ? null : answer;
      });
      assert.equal(accepted.status, 200, accepted.text);
      const { id } = JSON.parse(body) as { id: string };
      assert.deepEqual(accepted.json, { received: true, id, handled: true });
      assert.match((await examples.logged('stripe-webhook', `event ${id}`))[0] ?? '', /completed, fulfilling/);

      const reason = async (answer: Promise<{ status: number; json: unknown }>): Promise<string> => {
        const { status, json } = await answer;
        assert.equal(status, 401, JSON.stringify(json));
        return (json as { error: { message: string } }).error.message;
      };
      const fresh = event();
      const signature = sign(fresh);
      assert.match(await reason(deliver(fresh.replace('checkout.session.completed', 'checkout.session.expired'), signature)), /no v1 signature matches/);
      assert.match(await reason(deliver(fresh)), /missing or malformed Stripe-Signature/);
      assert.match(await reason(deliver(fresh, 't=abc,v1=xyz')), /missing or malformed/);
      assert.match(await reason(deliver(fresh, sign(fresh, undefined, 'whsec_someone_else'))), /no v1 signature matches/);
      const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600;
      assert.match(await reason(deliver(fresh, sign(fresh, tenMinutesAgo))), /is 60\d s old; at most 300 s/);
      assert.match(await reason(deliver(fresh, sign(fresh, tenMinutesAgo + 1200))), /in the future/);

      assert.equal((await deliver(fresh, signature)).status, 200);
      assert.match(await reason(deliver(fresh, signature)), /already accepted \(replayed signature\)/);
    });

    test('any matching v1 counts (secret rolling), and events of no interest are acknowledged', async () => {
      const body = event('customer.created');
      const timestamp = Math.floor(Date.now() / 1000);
      const v1 = (key: string) => createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex');
      // Signed with the old and the new secret while Stripe rolls it; v0 is another scheme, ignored.
      const answer = await deliver(body, `t=${timestamp},v1=${v1('whsec_the_old_secret')},v1=${v1(secret)},v0=${'0'.repeat(64)}`);
      assert.equal(answer.status, 200, answer.text);
      assert.equal((answer.json as { handled: boolean }).handled, false);
      assert.equal((await examples.request('GET', '/fn/stripe-webhook', { token: false })).status, 405);
    });
  });
}
