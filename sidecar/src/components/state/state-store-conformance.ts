import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { EtagMismatch, type StateStore } from './state-store.js';

/**
 * The one conformance suite every state store passes (miniflare-style: each implementation's
 * test file calls it with a factory). Keys are unique per run, so stores may be shared.
 */
export function stateStoreConformance(name: string, open: () => Promise<{ store: StateStore; close(): Promise<void> }>): void {
  describe(`state store conformance: ${name}`, () => {
    let store: StateStore;
    let close: () => Promise<void>;
    let n = 0;
    const key = () => `conformance-${process.pid}-${Date.now()}-${(n += 1)}`;

    before(async () => {
      ({ store, close } = await open());
    });
    after(async () => close());

    it('gets null for a missing key, and a saved value with ETag 1', async () => {
      const k = key();
      assert.equal(await store.get(k), null);
      await store.write([{ kind: 'upsert', key: k, value: '{"a":1}', condition: null }]);
      assert.deepEqual(await store.get(k), { value: '{"a":1}', etag: '1' });
    });

    it('moves the ETag on each write and checks it (409 on mismatch, nothing written)', async () => {
      const k = key();
      await store.write([{ kind: 'upsert', key: k, value: '"one"', condition: null }]);
      await store.write([{ kind: 'upsert', key: k, value: '"two"', condition: { etag: '1' } }]);
      assert.deepEqual(await store.get(k), { value: '"two"', etag: '2' });
      await assert.rejects(store.write([{ kind: 'upsert', key: k, value: '"three"', condition: { etag: '1' } }]), (error) => error instanceof EtagMismatch && error.status === 409);
      assert.deepEqual(await store.get(k), { value: '"two"', etag: '2' });
    });

    it('refuses an ETag for a key that does not exist', async () => {
      await assert.rejects(store.write([{ kind: 'upsert', key: key(), value: '1', condition: { etag: '1' } }]), EtagMismatch);
    });

    it('first-write without an ETag creates but never overwrites', async () => {
      const k = key();
      await store.write([{ kind: 'upsert', key: k, value: '1', condition: 'absent' }]);
      await assert.rejects(store.write([{ kind: 'upsert', key: k, value: '2', condition: 'absent' }]), EtagMismatch);
      assert.equal((await store.get(k))?.value, '1');
    });

    it('deletes, with and without an ETag', async () => {
      const k = key();
      await store.write([{ kind: 'upsert', key: k, value: '1', condition: null }]);
      await assert.rejects(store.write([{ kind: 'delete', key: k, condition: { etag: '7' } }]), EtagMismatch);
      await store.write([{ kind: 'delete', key: k, condition: { etag: '1' } }]);
      assert.equal(await store.get(k), null);
      await store.write([{ kind: 'delete', key: k, condition: null }]);
    });

    it('gets in bulk, in order, null for missing keys', async () => {
      const [a, b, c] = [key(), key(), key()];
      await store.write([
        { kind: 'upsert', key: a, value: '"a"', condition: null },
        { kind: 'upsert', key: c, value: '"c"', condition: null },
      ]);
      assert.deepEqual(await store.getBulk([a, b, c]), [{ value: '"a"', etag: '1' }, null, { value: '"c"', etag: '1' }]);
      assert.deepEqual(await store.getBulk([]), []);
    });

    it('applies a transaction atomically: one failing condition writes nothing', async () => {
      const [a, b, c] = [key(), key(), key()];
      await store.write([
        { kind: 'upsert', key: a, value: '1', condition: null },
        { kind: 'upsert', key: b, value: '1', condition: null },
      ]);
      await assert.rejects(
        store.write([
          { kind: 'upsert', key: a, value: '2', condition: null },
          { kind: 'delete', key: b, condition: null },
          { kind: 'upsert', key: c, value: '2', condition: { etag: '5' } },
        ]),
        (error) => error instanceof EtagMismatch && error.key === c,
      );
      assert.deepEqual(await store.getBulk([a, b, c]), [{ value: '1', etag: '1' }, { value: '1', etag: '1' }, null]);
      await store.write([
        { kind: 'upsert', key: a, value: '2', condition: { etag: '1' } },
        { kind: 'delete', key: b, condition: null },
        { kind: 'upsert', key: c, value: '2', condition: 'absent' },
      ]);
      assert.deepEqual(await store.getBulk([a, b, c]), [{ value: '2', etag: '2' }, null, { value: '2', etag: '1' }]);
    });

    it('expires a value after its TTL; a later write without TTL keeps it', async () => {
      const [short, kept] = [key(), key()];
      await store.write([
        { kind: 'upsert', key: short, value: '1', condition: null, ttlSeconds: 1 },
        { kind: 'upsert', key: kept, value: '1', condition: null, ttlSeconds: 1 },
      ]);
      await store.write([{ kind: 'upsert', key: kept, value: '2', condition: null }]);
      assert.notEqual(await store.get(short), null);
      const deadline = Date.now() + 5_000;
      while ((await store.get(short)) !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await store.get(short), null, 'the value with a TTL of 1 s was still there after 5 s');
      assert.equal((await store.get(kept))?.value, '2');
    });
  });
}
