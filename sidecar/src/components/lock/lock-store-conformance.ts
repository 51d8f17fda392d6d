import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, uniqueKeys } from '../conformance-helpers.js';
import type { LockStore } from './lock-store.js';

/**
 * The conformance suite every lock store passes (each implementation's test file calls it with a
 * factory): Dapr's tryLock/unlock semantics, unlock statuses 0 (released), 1 (no such lock) and
 * 2 (held by another owner), and expiry. Resource ids are unique per run, so stores may be shared.
 */
export function lockStoreConformance(name: string, open: () => Promise<{ store: LockStore; close(): Promise<void> }>): void {
  describe(`lock store conformance: ${name}`, () => {
    let store: LockStore;
    let close: () => Promise<void>;
    const resource = uniqueKeys();

    before(async () => {
      ({ store, close } = await open());
    });
    after(async () => close());

    it('takes a free lock once: another owner, and the owner itself, are refused until it is released', async () => {
      const r = resource();
      assert.equal(await store.tryLock(r, 'owner-a', 30), true);
      assert.equal(await store.tryLock(r, 'owner-b', 30), false);
      assert.equal(await store.tryLock(r, 'owner-a', 30), false, 'a lock is not re-entrant');
      assert.equal(await store.unlock(r, 'owner-a'), 0);
      assert.equal(await store.tryLock(r, 'owner-b', 30), true);
    });

    it('unlocks with status 2 for another owner (the lock stays), 0 for its owner, 1 once gone or never taken', async () => {
      const [r, never] = [resource(), resource()];
      await store.tryLock(r, 'owner-a', 30);
      assert.equal(await store.unlock(r, 'owner-b'), 2);
      assert.equal(await store.tryLock(r, 'owner-c', 30), false, 'an unlock by another owner released the lock');
      assert.equal(await store.unlock(r, 'owner-a'), 0);
      assert.equal(await store.unlock(r, 'owner-a'), 1);
      assert.equal(await store.unlock(never, 'owner-a'), 1);
    });

    it('keeps resources apart, those differing only by a key prefix included', async () => {
      const base = resource();
      const ids = [base, `fn-a||${base}`, `fn-b||${base}`];
      for (const id of ids) assert.equal(await store.tryLock(id, 'owner', 30), true, `${id} was taken by a lock on another resource`);
      assert.equal(await store.unlock(ids[1] as string, 'owner'), 0);
      assert.equal(await store.tryLock(ids[2] as string, 'other', 30), false, 'releasing one resource released another');
      assert.equal(await store.tryLock(ids[0] as string, 'other', 30), false, 'releasing one resource released another');
      for (const id of [ids[0], ids[2]] as string[]) assert.equal(await store.unlock(id, 'owner'), 0);
    });

    it('lets a lock lapse after its expiry: another owner takes it, and the first can no longer release it', async () => {
      const r = resource();
      assert.equal(await store.tryLock(r, 'owner-a', 1), true);
      assert.equal(await store.tryLock(r, 'owner-b', 30), false);
      await eventually(() => store.tryLock(r, 'owner-b', 30), 'taking a lock of 1 s after it lapsed');
      assert.equal(await store.unlock(r, 'owner-a'), 2);
      assert.equal(await store.unlock(r, 'owner-b'), 0);
    });

    it('keeps each lock for its own expiry', async () => {
      const [short, long] = [resource(), resource()];
      await store.tryLock(short, 'owner', 1);
      await store.tryLock(long, 'owner', 30);
      await eventually(() => store.tryLock(short, 'other', 30), 'taking a lock of 1 s after it lapsed');
      assert.equal(await store.tryLock(long, 'other', 30), false, 'a lock of 30 s lapsed with one of 1 s');
      assert.equal(await store.unlock(long, 'owner'), 0);
    });
  });
}
