import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { instanceKey, type FunctionRef, type InvocationOutcome, type WorkerChannel } from '@isola/core';
import { placeInvocation } from './placement.js';

const fn: FunctionRef = { name: 'hello', version: 1, codeHash: 'abc' };

function worker(id: string, inFlight: number, options: { ready?: boolean; warm?: boolean } = {}): WorkerChannel {
  return {
    id,
    ready: options.ready ?? true,
    inFlight,
    isWarm: (key) => options.warm === true && key === instanceKey(fn),
    invoke: () => Promise.reject(new Error('not used')) as Promise<InvocationOutcome>,
  };
}

describe('placeInvocation', () => {
  test('prefers a worker that has the code warm, even when it is busier', () => {
    const chosen = placeInvocation([worker('a', 0), worker('b', 3, { warm: true })], fn, 32, 0);
    assert.equal(chosen?.id, 'b');
  });

  test('leaves a warm worker that is at its concurrency for the least loaded one', () => {
    const chosen = placeInvocation([worker('a', 1), worker('b', 32, { warm: true })], fn, 32, 0);
    assert.equal(chosen?.id, 'a');
  });

  test('picks the least loaded ready worker when none is warm', () => {
    const chosen = placeInvocation([worker('a', 2), worker('b', 0, { ready: false }), worker('c', 1)], fn, 32, 0);
    assert.equal(chosen?.id, 'c');
  });

  test('rotates among equally loaded workers', () => {
    const workers = [worker('a', 0), worker('b', 0), worker('c', 0)];
    const chosen = [0, 1, 2].map((rotation) => placeInvocation(workers, fn, 32, rotation)?.id);
    assert.deepEqual(chosen, ['a', 'b', 'c']);
  });

  test('returns null when no worker is ready', () => {
    assert.equal(placeInvocation([worker('a', 0, { ready: false })], fn, 32, 0), null);
    assert.equal(placeInvocation([], fn, 32, 0), null);
  });

  test('skips workers running maxInFlight invocations; null when every one does (the node is saturated)', () => {
    const workers = [worker('a', 128, { warm: true }), worker('b', 127)];
    assert.equal(placeInvocation(workers, fn, 32, 0, 128)?.id, 'b');
    assert.equal(placeInvocation([worker('a', 128), worker('b', 130)], fn, 32, 0, 128), null);
  });
});
