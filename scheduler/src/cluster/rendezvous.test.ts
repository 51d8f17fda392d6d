import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rendezvousOrder } from './rendezvous.js';

test('every caller ranks the nodes for a key the same way, whatever order it lists them in', () => {
  const nodes = ['node-a', 'node-b', 'node-c', 'node-d'];
  for (let index = 0; index < 50; index += 1) {
    const key = `fn-${index}@1#hash`;
    assert.deepEqual(rendezvousOrder(key, nodes, (id) => id), rendezvousOrder(key, [...nodes].reverse(), (id) => id));
  }
});

test('keys spread over the nodes', () => {
  const nodes = ['node-a', 'node-b', 'node-c'];
  const counts = new Map<string, number>();
  for (let index = 0; index < 3_000; index += 1) {
    const first = rendezvousOrder(`fn-${index}@1#h`, nodes, (id) => id)[0] as string;
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  for (const node of nodes) assert.ok((counts.get(node) ?? 0) > 800, `${node} got ${counts.get(node)} of 3000`);
});

test('a node leaving moves only the keys it ranked first', () => {
  const before = ['node-a', 'node-b', 'node-c'];
  const after = ['node-a', 'node-c'];
  for (let index = 0; index < 500; index += 1) {
    const key = `fn-${index}@2#h`;
    const first = rendezvousOrder(key, before, (id) => id)[0];
    if (first !== 'node-b') assert.equal(rendezvousOrder(key, after, (id) => id)[0], first, key);
  }
});
