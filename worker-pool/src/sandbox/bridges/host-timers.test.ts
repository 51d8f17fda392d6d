import assert from 'node:assert/strict';
import { test } from 'node:test';
import type ivm from 'isolated-vm';
import { HostTimers } from './host-timers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const noFault = (error: unknown) => assert.fail(`unexpected fault: ${String(error)}`);

/** Waits until `done()` holds (at most 3 s, for loaded machines), then `settleMs` more for anything extra to show up. */
async function waitFor(done: () => boolean, settleMs = 30): Promise<void> {
  const started = performance.now();
  while (!done() && performance.now() - started < 3_000) await sleep(2);
  await sleep(settleMs);
}

/** A stand-in for the runtime's runTimers Reference: answers from a script, records each call. */
function fakeRuntime(answers: (number | Error | (() => number))[]) {
  const calls: number[] = [];
  const started = performance.now();
  const reference = {
    apply: async () => {
      calls.push(performance.now() - started);
      const answer = answers.shift() ?? -1;
      if (answer instanceof Error) throw answer;
      return typeof answer === 'function' ? answer() : answer;
    },
  } as unknown as ivm.Reference<() => number>;
  return { calls, reference };
}

test('wakes the isolate when asked, re-arms for the delay runTimers returns, stops when it returns -1', async () => {
  const runtime = fakeRuntime([15, 0, -1]);
  const timers = new HostTimers(runtime.reference, () => 100, noFault);
  timers.request(10);
  await waitFor(() => runtime.calls.length >= 3);
  assert.equal(runtime.calls.length, 3);
  assert.ok(runtime.calls[0]! >= 9 && runtime.calls[1]! - runtime.calls[0]! >= 14, JSON.stringify(runtime.calls));
  timers.close();
});

test('an earlier request moves the wake-up forward; a later one adds none', async () => {
  const runtime = fakeRuntime([-1, -1]);
  const timers = new HostTimers(runtime.reference, () => 100, noFault);
  timers.request(200);
  timers.request(5);
  timers.request(600);
  await waitFor(() => runtime.calls.length >= 1, 250);
  assert.equal(runtime.calls.length, 1);
  assert.ok(runtime.calls[0]! < 150, `woke after ${runtime.calls[0]} ms`);
  timers.close();
});

test('close() and a null request (nothing pending) cancel the wake-up; a negative delay means now', async () => {
  const closed = fakeRuntime([]);
  const closing = new HostTimers(closed.reference, () => 100, noFault);
  closing.request(10);
  closing.close();
  closing.request(5);
  const idle = fakeRuntime([]);
  const idling = new HostTimers(idle.reference, () => 100, noFault);
  idling.request(10);
  idling.request(null);
  const late = fakeRuntime([]);
  const lateTimers = new HostTimers(late.reference, () => 100, noFault);
  lateTimers.request(-1); // a zero delay measured across a millisecond boundary
  await waitFor(() => late.calls.length >= 1, 50);
  assert.deepEqual([closed.calls.length, idle.calls.length, late.calls.length], [0, 0, 1]);
});

test('a wake asked for while a callback runs is kept, unless the isolate went idle meanwhile', async () => {
  const host: { timers?: HostTimers } = {};
  const runtime = fakeRuntime([
    () => {
      host.timers?.request(5); // a callback set a new timer...
      return -1; // ...but runTimers' answer predates it
    },
    () => {
      host.timers?.request(5);
      host.timers?.request(null); // the invocation ended in the callback's microtasks
      return 3;
    },
  ]);
  host.timers = new HostTimers(runtime.reference, () => 100, noFault);
  host.timers.request(0);
  await waitFor(() => runtime.calls.length >= 2);
  assert.equal(runtime.calls.length, 2);
  host.timers.close();
});

test('a failing callback (CPU time, memory) is reported once with its CPU limit applied, and the timers stop', async () => {
  const faults: unknown[] = [];
  const limits: number[] = [];
  const runtime = fakeRuntime([new Error('Script execution timed out.')]);
  const reference = runtime.reference as unknown as { apply: (...args: unknown[]) => Promise<number> };
  const apply = reference.apply;
  reference.apply = (thisArg, args, options) => {
    limits.push((options as { timeout: number }).timeout);
    return apply(thisArg, args, options);
  };
  const timers = new HostTimers(runtime.reference, () => 250, (error) => faults.push(error));
  timers.request(0);
  await waitFor(() => faults.length >= 1);
  timers.request(0);
  await sleep(20);
  assert.deepEqual(limits, [250]);
  assert.equal(faults.length, 1);
  assert.match(String(faults[0]), /timed out/);
});
