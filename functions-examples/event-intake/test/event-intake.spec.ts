// event-intake: TypeScript with an npm dependency (zod). Deployed the way `isola deploy` does
// it: bundleFolder() bundles src/index.ts with zod from node_modules into one module.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { bundleFolder, readFunctionFolder } from '@isola/cli';
import { examplesDir, type ExamplePlatform } from '../../example-platform.js';

interface Accepted {
  accepted: number;
  events: { id: string; type: string; at: string; currency?: string; plan?: string }[];
}

interface Refused {
  error: { code: string; message: string; details?: { problems: { path: string; message: string }[] } };
}

export function exampleSpec(examples: ExamplePlatform): void {
  const folder = join(examplesDir, 'event-intake');
  const post = (body: unknown) => examples.request('POST', '/fn/event-intake/events', { body, token: false });
  const waiting = async (): Promise<number> => {
    const { queues } = (await examples.request('GET', '/api/v1/queues')).json as { queues: { id: string; waiting: number }[] };
    return queues.find((queue) => queue.id === 'analytics-events')?.waiting ?? 0;
  };

  describe('event-intake (TypeScript with an npm dependency)', () => {
    before(async () => {
      const bundled = await bundleFolder(folder);
      await examples.deploy(bundled.manifest, bundled.files);
    });

    test('the folder as it is cannot be deployed: the platform does not resolve npm packages, bundleFolder does', async () => {
      const { manifest, files } = readFunctionFolder(folder);
      const raw = await examples.request('POST', '/api/v1/functions', { body: { manifest, files } });
      assert.equal(raw.status, 400, raw.text);
      assert.match(raw.text, /cannot resolve package \\"zod\\"/);
      const bundled = await bundleFolder(folder);
      const bundle = Object.entries(bundled.files).find(([path]) => path === bundled.manifest.main)?.[1] ?? '';
      assert.doesNotMatch(bundle, /from\s*["']zod["']/, 'zod is inside the bundle, not imported');
      assert.match(bundle, /ZodError/);
    });

    test('a valid event is normalised (defaults, upper-cased currency, id and time) and queued', async () => {
      const before = await waiting();
      const answer = await post({ type: 'purchase', orderId: 'A-17', amount: 42.5, currency: 'eur', userId: 'u1' });
      assert.equal(answer.status, 202, answer.text);
      const { accepted, events } = answer.json as Accepted;
      assert.equal(accepted, 1);
      assert.equal(events[0]?.currency, 'EUR');
      assert.match(events[0]?.id ?? '', /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(events[0]?.at ?? '')));

      const batch = await post([
        { type: 'page_view', url: 'https://shop.example/tea', anonymousId: 'a-9', at: '2025-01-02T03:04:05+01:00' },
        { type: 'sign_up', email: 'ada@example.com', userId: 'u2' },
      ]);
      assert.equal(batch.status, 202, batch.text);
      const queued = batch.json as Accepted;
      assert.equal(queued.accepted, 2);
      assert.equal(queued.events[0]?.at, '2025-01-02T03:04:05+01:00', 'a given time is kept');
      assert.equal(queued.events[1]?.plan, 'free', 'the default plan');
      assert.equal(await waiting(), before + 3, 'three messages wait on analytics-events (no consumer)');
    });

    test('invalid events get a 400 listing every problem by path; nothing of a refused batch is queued', async () => {
      const single = await post({ type: 'purchase', orderId: '', amount: -1, currency: 'euro', userId: 'u1', coupon: 'X' });
      assert.equal(single.status, 400, single.text);
      const problems = (single.json as Refused).error.details?.problems ?? [];
      assert.deepEqual(problems.map((entry) => entry.path).sort(), ['amount', 'coupon', 'currency', 'orderId']);
      assert.match(problems.find((entry) => entry.path === 'currency')?.message ?? '', /three-letter ISO 4217/);

      const before = await waiting();
      const batch = await post([
        { type: 'page_view', url: 'https://shop.example/', anonymousId: 'a' },
        { type: 'sign_up', email: 'not-an-address', userId: 'u3' },
      ]);
      assert.equal(batch.status, 400);
      assert.deepEqual((batch.json as Refused).error.details?.problems.map((entry) => entry.path), ['1.email']);
      assert.equal(await waiting(), before);

      const unknownType = await post({ type: 'refund', userId: 'u1' });
      assert.equal(unknownType.status, 400);
      assert.equal((unknownType.json as Refused).error.details?.problems[0]?.path, 'type');
      const anonymous = await post({ type: 'page_view', url: 'https://shop.example/' });
      assert.match(anonymous.text, /give userId or anonymousId/);
      assert.equal((await post('{"type": ')).status, 400);
      assert.equal((await post([])).status, 400);
    });
  });
}
