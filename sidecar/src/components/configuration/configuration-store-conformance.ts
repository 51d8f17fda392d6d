import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Inbox, uniqueKeys } from '../conformance-helpers.js';
import type { ConfigurationItems, ConfigurationStore } from './configuration-store.js';

/** A configuration store under test, and how the suite changes its items behind its back (as an operator would). */
export interface ConfigurationStoreUnderTest {
  store: ConfigurationStore;
  /** Writes an item in the store's own format (an empty version: an item without one). */
  set(key: string, value: string, version: string): Promise<void>;
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * The conformance suite every configuration store passes (each implementation's test file calls
 * it with a factory): get of given keys, of every key, missing keys left out, versions, and
 * subscriptions delivering sets and deletes of their keys only, until unsubscribed. "Not
 * delivered" is checked without sleeping: a later change another subscription sees marks the
 * point by which the earlier one would have arrived (a store delivers changes in order).
 */
export function configurationStoreConformance(name: string, open: () => Promise<ConfigurationStoreUnderTest>): void {
  describe(`configuration store conformance: ${name}`, () => {

    let under: ConfigurationStoreUnderTest;
    const key = uniqueKeys();
    const item = (value: string, version: string) => ({ value, version, metadata: {} });
    const deleted = item('', '');
    /** A subscription's inbox of changed items. */
    const subscribe = async (keys: string[]) => {
      const inbox = new Inbox<ConfigurationItems>();
      const unsubscribe = await under.store.subscribe(keys, inbox.push);
      return { inbox, unsubscribe };
    };
    /** The first change of `k` to `value` a subscription received. */
    const changeOf = (inbox: Inbox<ConfigurationItems>, k: string, value: string) =>
      inbox.next((items) => items[k]?.value === value, `the change of ${k} to "${value}"`);

    before(async () => {
      under = await open();
    });
    after(async () => under.close());

    it('gets the items of given keys with their versions, leaving out missing keys', async () => {
      const [a, b, missing] = [key(), key(), key()];
      await under.set(a, 'one', '1');
      await under.set(b, 'two', '');
      assert.deepEqual(await under.store.get([a, b, missing]), { [a]: item('one', '1'), [b]: item('two', '') });
      assert.deepEqual(await under.store.get([missing]), {});
    });

    it('keeps a value holding the version separator whole, and takes the latest write', async () => {
      const k = key();
      await under.set(k, 'a||b', '5');
      assert.deepEqual(await under.store.get([k]), { [k]: item('a||b', '5') });
      await under.set(k, '{"on":true}', '6');
      assert.deepEqual(await under.store.get([k]), { [k]: item('{"on":true}', '6') });
    });

    it('gets every item when no key is given', async () => {
      const [a, b] = [key(), key()];
      await under.set(a, 'one', '1');
      await under.set(b, 'two', '2');
      const all = await under.store.get([]);
      assert.deepEqual([all[a], all[b]], [item('one', '1'), item('two', '2')]);
    });

    it('delivers sets and deletes of subscribed keys, and nothing of other keys', async () => {
      const [k, other] = [key(), key()];
      const watching = await subscribe([k]);
      const watchingOther = await subscribe([other]);
      await under.set(other, 'x', '1');
      await under.set(k, 'blue', '7');
      assert.deepEqual(await changeOf(watching.inbox, k, 'blue'), { [k]: item('blue', '7') });
      await under.remove(k);
      assert.deepEqual(await watching.inbox.next((items) => items[k]?.value === '', `the deletion of ${k}`), { [k]: deleted });
      await changeOf(watchingOther.inbox, other, 'x');
      assert.deepEqual(watching.inbox.items, [{ [k]: item('blue', '7') }, { [k]: deleted }], 'a subscription got changes it did not subscribe to, or one twice');
      assert.deepEqual(watchingOther.inbox.items, [{ [other]: item('x', '1') }]);
      await watching.unsubscribe();
      await watchingOther.unsubscribe();
    });

    it('delivers changes of every key to a subscription without keys', async () => {
      const [a, b] = [key(), key()];
      const everything = await subscribe([]);
      await under.set(a, 'one', '1');
      await under.set(b, 'two', '2');
      assert.deepEqual(await changeOf(everything.inbox, a, 'one'), { [a]: item('one', '1') });
      assert.deepEqual(await changeOf(everything.inbox, b, 'two'), { [b]: item('two', '2') });
      await everything.unsubscribe();
    });

    it('stops delivering to a subscription once unsubscribed, and only to that one', async () => {
      const k = key();
      const first = await subscribe([k]);
      const second = await subscribe([k]);
      await under.set(k, 'v1', '1');
      await Promise.all([first, second].map((s) => changeOf(s.inbox, k, 'v1')));
      await first.unsubscribe();
      await under.set(k, 'v2', '2');
      await changeOf(second.inbox, k, 'v2');
      assert.deepEqual(first.inbox.items, [{ [k]: item('v1', '1') }], 'a change reached a subscription after it was cancelled');
      await second.unsubscribe();
    });

    it('stops delivering to a subscription without keys once unsubscribed', async () => {
      const [k, marker] = [key(), key()];
      const everything = await subscribe([]);
      await under.set(k, 'v1', '1');
      await changeOf(everything.inbox, k, 'v1');
      await everything.unsubscribe();
      const watchingMarker = await subscribe([marker]);
      await under.set(k, 'v2', '2');
      await under.set(marker, 'after', '1');
      await changeOf(watchingMarker.inbox, marker, 'after');
      assert.deepEqual(everything.inbox.items.filter((items) => k in items && items[k]?.value === 'v2'), [], 'a change reached a subscription after it was cancelled');
      await watchingMarker.unsubscribe();
    });

    it('delivers each change once to each subscription, with and without keys alike', async () => {
      const k = key();
      const keyed = await subscribe([k]);
      const everything = await subscribe([]);
      await under.set(k, 'v1', '1');
      await Promise.all([keyed, everything].map((s) => changeOf(s.inbox, k, 'v1')));
      await under.set(k, 'v2', '2');
      await Promise.all([keyed, everything].map((s) => changeOf(s.inbox, k, 'v2')));
      assert.deepEqual(keyed.inbox.items, [{ [k]: item('v1', '1') }, { [k]: item('v2', '2') }], 'the subscription to the key');
      assert.deepEqual(
        everything.inbox.items.filter((items) => k in items),
        [{ [k]: item('v1', '1') }, { [k]: item('v2', '2') }],
        'the subscription without keys',
      );
      await keyed.unsubscribe();
      await everything.unsubscribe();
    });

    it('subscribes again to a key after its last subscription ended', async () => {
      const k = key();
      await (await subscribe([k])).unsubscribe();
      const again = await subscribe([k]);
      await under.set(k, 'back', '1');
      assert.deepEqual(await changeOf(again.inbox, k, 'back'), { [k]: item('back', '1') });
      await again.unsubscribe();
    });
  });
}
