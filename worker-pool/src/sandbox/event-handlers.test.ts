// The scheduled (cron) and queue (message batch) handlers: real isolates prepared as the worker
// prepares them, functions loaded and invoked through FunctionInstance, so what is checked is the
// outcome the worker sends on (decisions, noRetry, the JSON body). Run with --no-node-snapshot.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { MessageDecision, QueueMessagePayload } from '@isola/core';
import type { DispatchOutcome } from './function-instance.js';
import { disposeLoaded, invoke, invokeQueue, invokeScheduled, json, load, messages } from './testing/loaded-function.js';

after(disposeLoaded);

type Failed = Extract<DispatchOutcome, { ok: false }>;

function assertFailed(outcome: DispatchOutcome, code: string): asserts outcome is Failed {
  assert.equal(outcome.ok, false, JSON.stringify(outcome));
  assert.equal((outcome as Failed).error.code, code, JSON.stringify(outcome));
}

const errorName = (outcome: Failed) => (outcome.error.details as { name?: string } | undefined)?.name;

const tick = { cron: '*/5 * * * *', scheduledTime: Date.UTC(2026, 0, 2, 3, 5) };

/** A batch of `count` JSON messages m1..mN on topic "orders". */
function batchOf(count: number, extra: Partial<QueueMessagePayload> = {}) {
  const messages: QueueMessagePayload[] = Array.from({ length: count }, (_, index) => ({
    id: `m${index + 1}`,
    timestamp: Date.UTC(2026, 0, 1) + index,
    attempts: 1,
    data: { n: index + 1 },
    ...extra,
  }));
  return { queue: 'orders', messages };
}

const actions = (decisions: MessageDecision[] | undefined) => decisions?.map((decision) => [decision.id, decision.action, decision.delaySeconds]);

describe('scheduled', () => {
  test('gets controller.cron, scheduledTime (epoch ms) and type, env and ctx; its return value is the JSON body; console is captured', async () => {
    const fn = await load(
      `export default { async scheduled(controller, env, ctx) {
        console.log('tick', controller.cron);
        console.warn({ at: new Date(controller.scheduledTime).toISOString() });
        return { type: controller.type, cron: controller.cron, scheduledTime: controller.scheduledTime, isNumber: typeof controller.scheduledTime === 'number',
          frozen: Object.isFrozen(controller), invocationId: ctx.invocationId, waitUntil: typeof ctx.waitUntil, token: env.TOKEN };
      } };`,
      { secrets: { TOKEN: 'tok_secret_value' } },
    );
    const outcome = await invokeScheduled(fn, tick);
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const response = (outcome as Extract<DispatchOutcome, { ok: true }>).response;
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers, [['content-type', 'application/json']]);
    const body = (await json(outcome)) as Record<string, unknown>;
    assert.deepEqual(body, {
      type: 'scheduled',
      cron: tick.cron,
      scheduledTime: tick.scheduledTime,
      isNumber: true,
      frozen: true,
      invocationId: body.invocationId,
      waitUntil: 'function',
      token: 'tok_secret_value',
    });
    assert.match(String(body.invocationId), /^inv-\d+$/);
    assert.deepEqual(messages(outcome.logs), ['log: tick */5 * * * *', 'warn: {"at":"2026-01-02T03:05:00.000Z"}']);
    assert.equal(outcome.noRetry, undefined);
    assert.equal(outcome.decisions, undefined);
  });

  test('controller.noRetry() marks the outcome, whether the handler then fails or succeeds, also from ctx.waitUntil work', async () => {
    const fn = await load(`export default { async scheduled(controller, env, ctx) {
      if (controller.cron === 'fail') { controller.noRetry(); throw new RangeError('the report cannot be built'); }
      if (controller.cron === 'later') { ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 20)).then(() => controller.noRetry())); return; }
      if (controller.cron === 'plain-fail') throw new Error('try again');
      controller.noRetry();
    } };`);
    const failed = await invokeScheduled(fn, { ...tick, cron: 'fail' });
    assertFailed(failed, 'FUNCTION_ERROR');
    assert.equal(failed.error.message, 'the report cannot be built');
    assert.equal(errorName(failed), 'RangeError');
    assert.equal(failed.noRetry, true);

    const plain = await invokeScheduled(fn, { ...tick, cron: 'plain-fail' });
    assertFailed(plain, 'FUNCTION_ERROR');
    assert.equal(plain.noRetry, undefined);

    const succeeded = await invokeScheduled(fn, { ...tick, cron: 'ok' });
    assert.equal(succeeded.ok, true);
    assert.equal(succeeded.noRetry, true);
    assert.equal(succeeded.ok && succeeded.response.body, undefined, 'undefined returned: no body');

    const later = await invokeScheduled(fn, { ...tick, cron: 'later' });
    assert.equal(later.ok, true);
    assert.equal(later.noRetry, true);
  });

  test('a function without scheduled gets FUNCTION_HANDLER_MISSING that says what to export; fetch still serves', async () => {
    const fn = await load(`export default { fetch: () => new Response('hi') };`);
    const outcome = await invokeScheduled(fn, tick);
    assertFailed(outcome, 'FUNCTION_HANDLER_MISSING');
    assert.match(outcome.error.message, /no scheduled handler.*export default \{ async scheduled\(controller, env, ctx\) \{ \.\.\. \} \}/);
    assert.equal((await invoke(fn)).ok, true);
  });

  test('a return value JSON cannot express gives no body and a warning; functions and symbols give no body', async () => {
    const fn = await load(`export default { async scheduled(controller) {
      if (controller.cron === 'bigint') return { total: 10n };
      if (controller.cron === 'cycle') { const a = {}; a.self = a; return a; }
      if (controller.cron === 'function') return () => 1;
      return 'done';
    } };`);
    for (const cron of ['bigint', 'cycle']) {
      const outcome = await invokeScheduled(fn, { ...tick, cron });
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      assert.equal(outcome.ok && outcome.response.body, undefined);
      assert.equal(outcome.logs.length, 1);
      assert.match(messages(outcome.logs)[0] ?? '', /^warn: \[isola\] the scheduled handler's return value cannot be written as JSON \(.*(BigInt|circular).*\); the invocation succeeds without a result$/is);
    }
    const fnReturned = await invokeScheduled(fn, { ...tick, cron: 'function' });
    assert.equal(fnReturned.ok && fnReturned.response.body, undefined);
    assert.deepEqual(fnReturned.logs, []);
    assert.equal(await json(await invokeScheduled(fn, { ...tick, cron: 'string' })), 'done');
  });

  test('a handler that never finishes is FUNCTION_TIMEOUT, without noRetry even if it called it', async () => {
    const fn = await load(`export default { async scheduled(controller) { controller.noRetry(); await new Promise((resolve) => setTimeout(resolve, 60_000)); } };`, {
      timeoutMs: 200,
    });
    const outcome = await invokeScheduled(fn, tick);
    assertFailed(outcome, 'FUNCTION_TIMEOUT');
    assert.equal(outcome.noRetry, undefined);
    assert.equal(fn.usable, false);
  });
});

describe('queue', () => {
  test('batch.queue and messages: id, timestamp as a Date, attempts, JSON bodies as fresh copies, binary bodies as Uint8Array', async () => {
    const fn = await load(`export default { async queue(batch, env, ctx) {
      const seen = batch.messages.map((message) => ({
        id: message.id, time: message.timestamp instanceof Date ? message.timestamp.toISOString() : 'not a Date', attempts: message.attempts,
        kind: message.body instanceof Uint8Array ? 'bytes' : typeof message.body,
        body: message.body instanceof Uint8Array ? Array.from(message.body) : structuredClone(message.body),
      }));
      // Mutations must not reach the next delivery of the same payload.
      if (batch.messages[0].body && typeof batch.messages[0].body === 'object') batch.messages[0].body.touched = true;
      console.log('batch of', batch.messages.length, 'from', batch.queue);
      return { queue: batch.queue, frozen: Object.isFrozen(batch) && Object.isFrozen(batch.messages) && Object.isFrozen(batch.messages[0]), seen, invocationId: ctx.invocationId };
    } };`);
    const batch = {
      queue: 'orders',
      messages: [
        { id: 'a', timestamp: Date.UTC(2026, 4, 1, 12), attempts: 1, data: { order: 7, items: ['x', 'y'] } },
        { id: 'b', timestamp: Date.UTC(2026, 4, 1, 13), attempts: 3, dataBase64: Buffer.from([0, 1, 254, 255]).toString('base64') },
        { id: 'c', timestamp: 0, attempts: 2, data: 'text' },
        { id: 'd', timestamp: 5, attempts: 1, data: null },
      ],
    };
    for (let round = 0; round < 2; round += 1) {
      const outcome = await invokeQueue(fn, batch);
      const body = (await json(outcome)) as { queue: string; frozen: boolean; seen: unknown[] };
      assert.equal(body.queue, 'orders');
      assert.equal(body.frozen, true);
      assert.deepEqual(body.seen, [
        { id: 'a', time: '2026-05-01T12:00:00.000Z', attempts: 1, kind: 'object', body: { order: 7, items: ['x', 'y'] } },
        { id: 'b', time: '2026-05-01T13:00:00.000Z', attempts: 3, kind: 'bytes', body: [0, 1, 254, 255] },
        { id: 'c', time: '1970-01-01T00:00:00.000Z', attempts: 2, kind: 'string', body: 'text' },
        { id: 'd', time: '1970-01-01T00:00:00.005Z', attempts: 1, kind: 'object', body: null },
      ]);
      assert.deepEqual(messages(outcome.logs), ['log: batch of 4 from orders']);
      assert.deepEqual(actions(outcome.decisions), [
        ['a', 'ack', undefined],
        ['b', 'ack', undefined],
        ['c', 'ack', undefined],
        ['d', 'ack', undefined],
      ]);
    }
    assert.deepEqual(batch.messages[0]?.data, { order: 7, items: ['x', 'y'] }, 'the host payload is untouched too');
  });

  test('unmarked messages are acked when the handler returns and retried when it throws; explicit calls stand either way', async () => {
    const fn = await load(`export default { async queue(batch) {
      batch.messages[0].retry();
      batch.messages[1].ack();
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (batch.messages.length === 4) throw new Error('database unavailable');
    } };`);
    const returned = await invokeQueue(fn, batchOf(3));
    assert.equal(returned.ok, true);
    assert.deepEqual(actions(returned.decisions), [
      ['m1', 'retry', undefined],
      ['m2', 'ack', undefined],
      ['m3', 'ack', undefined],
    ]);
    const threw = await invokeQueue(fn, batchOf(4));
    assertFailed(threw, 'FUNCTION_ERROR');
    assert.equal(threw.error.message, 'database unavailable');
    assert.deepEqual(actions(threw.decisions), [
      ['m1', 'retry', undefined],
      ['m2', 'ack', undefined],
      ['m3', 'retry', undefined],
      ['m4', 'retry', undefined],
    ]);
  });

  test('a call on a message wins over ackAll()/retryAll() in either order; the first call on a message wins, a conflicting one is logged', async () => {
    const fn = await load(`export default { async queue(batch) {
      const [m1, m2, m3, m4, m5] = batch.messages;
      m1.ack();                          // before the batch-level call
      batch.retryAll({ delaySeconds: 30 });
      m2.ack();                          // after it
      m3.retry({ delaySeconds: 5 });
      m3.ack();                          // ignored: retry came first
      m4.ack();
      m4.ack();                          // the same again: silently nothing
      batch.ackAll();                    // ignored: retryAll came first
      // m5: no call of its own, takes retryAll's
    } };`);
    const outcome = await invokeQueue(fn, batchOf(5));
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    assert.deepEqual(outcome.decisions, [
      { id: 'm1', action: 'ack' },
      { id: 'm2', action: 'ack' },
      { id: 'm3', action: 'retry', delaySeconds: 5 },
      { id: 'm4', action: 'ack' },
      { id: 'm5', action: 'retry', delaySeconds: 30 },
    ]);
    assert.deepEqual(messages(outcome.logs), [
      'warn: [isola] ack() on message "m3" has no effect: retry() was called on it first (the first call on a message wins)',
      'warn: [isola] ackAll() has no effect: retryAll() was called first (the first batch-level call wins)',
    ]);
  });

  test('ackAll() holds even when the handler then throws; retryAll() makes every unmarked message retry on return', async () => {
    const fn = await load(`export default { async queue(batch) {
      if (batch.messages[0].body.n === 1 && batch.messages.length === 2) { batch.ackAll(); throw new Error('after ackAll'); }
      batch.retryAll();
      batch.messages[1].ack();
    } };`);
    const threw = await invokeQueue(fn, batchOf(2));
    assertFailed(threw, 'FUNCTION_ERROR');
    assert.deepEqual(actions(threw.decisions), [
      ['m1', 'ack', undefined],
      ['m2', 'ack', undefined],
    ]);
    const returned = await invokeQueue(fn, batchOf(3));
    assert.deepEqual(actions(returned.decisions), [
      ['m1', 'retry', undefined],
      ['m2', 'ack', undefined],
      ['m3', 'retry', undefined],
    ]);
  });

  test('delaySeconds must be a whole number from 0 to 43200: anything else is a TypeError inside the isolate, and decides nothing', async () => {
    const fn = await load(`export default { async queue(batch) {
      const [m1, m2, m3] = batch.messages;
      const errors = [];
      for (const options of [{ delaySeconds: -1 }, { delaySeconds: 1.5 }, { delaySeconds: 43201 }, { delaySeconds: '60' }, { delaySeconds: NaN }, { delaySeconds: Infinity }, 60, null]) {
        try { m1.retry(options); errors.push('accepted ' + JSON.stringify(options)); } catch (error) { errors.push(error.constructor.name + ': ' + error.message); }
      }
      try { batch.retryAll({ delaySeconds: -5 }); } catch (error) { errors.push(error.constructor.name + ': ' + error.message); }
      m2.retry({ delaySeconds: 43200 });
      m3.retry({ delaySeconds: 0 });
      return errors;
    } };`);
    const outcome = await invokeQueue(fn, batchOf(4));
    const range = 'delaySeconds must be a whole number of seconds from 0 to 43200 (12 hours)';
    assert.deepEqual(await json(outcome), [
      `TypeError: message.retry(): ${range}, got -1`,
      `TypeError: message.retry(): ${range}, got 1.5`,
      `TypeError: message.retry(): ${range}, got 43201`,
      `TypeError: message.retry(): ${range}, got "60"`,
      `TypeError: message.retry(): ${range}, got NaN`,
      `TypeError: message.retry(): ${range}, got Infinity`,
      'TypeError: message.retry(options): options must be an object such as { delaySeconds: 60 }, got 60',
      'TypeError: message.retry(options): options must be an object such as { delaySeconds: 60 }, got null',
      `TypeError: batch.retryAll(): ${range}, got -5`,
    ]);
    // m1's rejected calls decided nothing: acked on return, like m4.
    assert.deepEqual(outcome.decisions, [
      { id: 'm1', action: 'ack' },
      { id: 'm2', action: 'retry', delaySeconds: 43200 },
      { id: 'm3', action: 'retry', delaySeconds: 0 },
      { id: 'm4', action: 'ack' },
    ]);
  });

  test('calls from ctx.waitUntil work count; an uncaught TypeError from a bad delay fails the invocation', async () => {
    const fn = await load(`export default { async queue(batch, env, ctx) {
      if (batch.messages.length === 1) batch.messages[0].retry({ delaySeconds: -1 });
      ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, 10)).then(() => batch.messages[1].retry({ delaySeconds: 7 })));
    } };`);
    const later = await invokeQueue(fn, batchOf(2));
    assert.deepEqual(later.decisions, [
      { id: 'm1', action: 'ack' },
      { id: 'm2', action: 'retry', delaySeconds: 7 },
    ]);
    const bad = await invokeQueue(fn, batchOf(1));
    assertFailed(bad, 'FUNCTION_ERROR');
    assert.equal(errorName(bad), 'TypeError');
    assert.deepEqual(bad.decisions, [{ id: 'm1', action: 'retry' }]);
  });

  test('a function without queue gets FUNCTION_HANDLER_MISSING that says what to export, and no decisions; a throwing getter is FUNCTION_ERROR', async () => {
    const fn = await load(`export default { scheduled() {} };`);
    const outcome = await invokeQueue(fn, batchOf(2));
    assertFailed(outcome, 'FUNCTION_HANDLER_MISSING');
    assert.match(outcome.error.message, /no queue handler.*export default \{ async queue\(batch, env, ctx\) \{ \.\.\. \} \}/);
    assert.equal(outcome.decisions, undefined);

    const getter = await load(`export default { get queue() { throw new Error('no queue for you'); } };`);
    const thrown = await invokeQueue(getter, batchOf(1));
    assertFailed(thrown, 'FUNCTION_ERROR');
    assert.equal(thrown.error.message, 'no queue for you');
    assert.deepEqual(thrown.decisions, [{ id: 'm1', action: 'retry' }]);
  });

  test('a handler that never finishes is FUNCTION_TIMEOUT and leaves decisions absent, even for messages it acked', async () => {
    const fn = await load(`export default { async queue(batch) { batch.messages[0].ack(); await new Promise(() => setTimeout(() => {}, 60_000)); } };`, {
      timeoutMs: 200,
    });
    const outcome = await invokeQueue(fn, batchOf(2));
    assertFailed(outcome, 'FUNCTION_TIMEOUT');
    assert.equal(outcome.decisions, undefined);
  });

  test('a handler that goes over the memory limit is FUNCTION_MEMORY_LIMIT without decisions; the instance is discarded', async () => {
    const fn = await load(`export default { async queue(batch) { batch.ackAll(); const hoard = []; for (;;) hoard.push(new Array(100_000).fill(1.5)); } };`);
    const outcome = await invokeQueue(fn, batchOf(2));
    assertFailed(outcome, 'FUNCTION_MEMORY_LIMIT');
    assert.equal(outcome.decisions, undefined);
    assert.equal(fn.usable, false);
  });

  test('built-ins replaced by the function (push, freeze, JSON.stringify, Date, Array.isArray) do not change decisions or the result', async () => {
    const fn = await load(`
      Array.prototype.push = () => { throw new Error('sabotaged push'); };
      Object.freeze = (value) => value;
      JSON.stringify = () => '"sabotaged"';
      Array.isArray = () => false;
      globalThis.Date = function FakeDate() { return { fake: true }; };
      export default { async queue(batch) {
        batch.messages[0].retry({ delaySeconds: 3 });
        return { isDate: Object.prototype.toString.call(batch.messages[0].timestamp), count: batch.messages.length };
      } };`);
    const outcome = await invokeQueue(fn, batchOf(2));
    assert.deepEqual(await json(outcome), { isDate: '[object Date]', count: 2 });
    assert.deepEqual(outcome.decisions, [
      { id: 'm1', action: 'retry', delaySeconds: 3 },
      { id: 'm2', action: 'ack' },
    ]);
  });

  test('secret values are redacted from the logs and the error; concurrent batches keep their own decisions', async () => {
    const fn = await load(
      `export default { async queue(batch, env) {
        console.log('using', env.API_KEY, 'for', batch.queue);
        await new Promise((resolve) => setTimeout(resolve, batch.queue === 'slow' ? 40 : 5));
        if (batch.queue === 'slow') batch.retryAll({ delaySeconds: 9 });
        if (batch.queue === 'broken') throw new Error('rejected key ' + env.API_KEY);
      } };`,
      { secrets: { API_KEY: 'sk_live_abcdef' } },
    );
    const [slow, fast, broken] = await Promise.all([
      invokeQueue(fn, { ...batchOf(2), queue: 'slow' }),
      invokeQueue(fn, { ...batchOf(1), queue: 'fast' }),
      invokeQueue(fn, { ...batchOf(1), queue: 'broken' }),
    ]);
    assert.deepEqual(actions(slow.decisions), [
      ['m1', 'retry', 9],
      ['m2', 'retry', 9],
    ]);
    assert.deepEqual(actions(fast.decisions), [['m1', 'ack', undefined]]);
    assertFailed(broken, 'FUNCTION_ERROR');
    assert.equal(broken.error.message, 'rejected key [secret API_KEY redacted]');
    assert.deepEqual(actions(broken.decisions), [['m1', 'retry', undefined]]);
    const allLogs = JSON.stringify([slow.logs, fast.logs, broken.logs]);
    assert.ok(!allLogs.includes('sk_live'), allLogs);
    assert.match(allLogs, /using \[secret API_KEY redacted\] for slow/);
  });
});
