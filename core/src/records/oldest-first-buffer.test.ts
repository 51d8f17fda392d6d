import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OldestFirstBuffer } from './oldest-first-buffer.js';

test('dropping the oldest one at a time keeps the newest in order, across compactions', () => {
  const buffer = new OldestFirstBuffer<number>();
  for (let value = 0; value < 5000; value += 1) {
    buffer.push(value);
    if (buffer.length > 1000) assert.equal(buffer.dropOldest(1), 1);
  }
  assert.equal(buffer.length, 1000);
  buffer.unshiftAll([-2, -1]);
  assert.deepEqual(buffer.takeAll(), [-2, -1, ...Array.from({ length: 1000 }, (_, index) => 4000 + index)]);
  assert.equal(buffer.length, 0);
  assert.equal(buffer.dropOldest(5), 0);
});
