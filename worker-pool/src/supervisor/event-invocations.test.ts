// Scheduled and queue invocations through a real forked worker: the Supervisor forks the worker
// process (--no-node-snapshot), which loads the function from a throwaway redis-server and
// answers over IPC. What the message and cron triggers rely on must arrive in the
// InvocationOutcome: the queue handler's decisions and the scheduled handler's noRetry.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  createLogger,
  FunctionStore,
  parseManifest,
  type FunctionRef,
  type InvocationOutcome,
  type InvocationRequest,
  type Limits,
  type QueueBatchPayload,
  type ScheduledEventPayload,
} from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { Supervisor } from './supervisor.js';

const code = `export default {
  async scheduled(controller, env, ctx) {
    console.log('tick', controller.cron, controller.scheduledTime);
    if (controller.cron === '0 0 * * *') { controller.noRetry(); throw new Error('the nightly export is misconfigured'); }
    return { ran: controller.cron, invocationId: ctx.invocationId };
  },
  async queue(batch) {
    console.log('batch', batch.queue, batch.messages.length);
    if (batch.queue === 'hang') await new Promise(() => setTimeout(() => {}, 60_000));
    for (const message of batch.messages) {
      if (message.body instanceof Uint8Array) message.retry({ delaySeconds: message.body.length });
      else if (message.body.skip) continue;
      else message.ack();
    }
    if (batch.queue === 'failing') throw new Error('downstream is down');
    return batch.messages.length;
  },
};`;

const limits: Limits = { memoryMb: 64, timeoutMs: 1_000, concurrency: 4 };
let redis: TestRedis;
let dataDir: string;
let supervisor: Supervisor;
let fn: FunctionRef;

before(async () => {
  redis = await startTestRedis();
  dataDir = mkdtempSync(join(tmpdir(), 'isola-event-invocations-'));
  const functions = new FunctionStore(redis.redis);
  const manifest = parseManifest({ name: 'events', main: 'index.js', limits });
  const deployed = await functions.deploy({ manifest, code, codeHash: 'events-1', files: { 'index.js': code }, author: 'admin' });
  fn = { name: deployed.name, version: deployed.version, codeHash: deployed.codeHash };
  supervisor = new Supervisor({
    workers: 1,
    env: { ...process.env, REDIS_URL: redis.url, ISOLA_DATA_DIR: dataDir, ISOLA_SECRET_KEY: randomBytes(32).toString('hex'), ISOLA_LOG_LEVEL: 'warn' },
    logger: createLogger({ level: 'silent' }),
    heartbeatTimeoutMs: 10_000,
  });
  await supervisor.start();
});

after(async () => {
  await supervisor?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

let invocations = 0;

function invoke(event: { scheduled: ScheduledEventPayload } | { batch: QueueBatchPayload }): Promise<InvocationOutcome> {
  invocations += 1;
  const base = { invocationId: `event-${invocations}`, function: fn, limits };
  const request: InvocationRequest = 'scheduled' in event ? { ...base, trigger: 'scheduled', ...event } : { ...base, trigger: 'queue', ...event };
  const worker = supervisor.workers()[0];
  assert.ok(worker !== undefined && worker.ready, 'the worker is ready');
  return worker.invoke(request);
}

const message = (id: string, fields: { data?: unknown; dataBase64?: string }) => ({ id, timestamp: Date.UTC(2026, 0, 1), attempts: 1, ...fields });

test('a scheduled invocation answers 200 with the JSON of its return value, and its logs', async () => {
  const outcome = await invoke({ scheduled: { cron: '*/5 * * * *', scheduledTime: Date.UTC(2026, 0, 1, 0, 5) } });
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  const { response } = outcome as Extract<InvocationOutcome, { ok: true }>;
  assert.equal(response.status, 200);
  assert.deepEqual(JSON.parse(new TextDecoder().decode(response.body)), { ran: '*/5 * * * *', invocationId: `event-${invocations}` });
  assert.deepEqual(outcome.logs.map((line) => line.message), [`tick */5 * * * * ${Date.UTC(2026, 0, 1, 0, 5)}`]);
  assert.equal(outcome.noRetry, undefined);
  assert.match(outcome.workerId, /^w0\./);
});

test('controller.noRetry() reaches the outcome of a failed scheduled invocation', async () => {
  const outcome = await invoke({ scheduled: { cron: '0 0 * * *', scheduledTime: Date.UTC(2026, 0, 2) } });
  assert.equal(outcome.ok, false);
  assert.equal((outcome as Extract<InvocationOutcome, { ok: false }>).error.code, 'FUNCTION_ERROR');
  assert.equal(outcome.noRetry, true);
});

test('queue decisions reach the outcome in batch order, with delays; unmarked messages follow return or throw', async () => {
  const messages = [
    message('json-1', { data: { n: 1 } }),
    message('bytes-1', { dataBase64: Buffer.from('twelve bytes').toString('base64') }),
    message('skipped-1', { data: { skip: true } }),
  ];
  const returned = await invoke({ batch: { queue: 'orders', messages } });
  assert.equal(returned.ok, true, JSON.stringify(returned));
  assert.deepEqual(returned.decisions, [
    { id: 'json-1', action: 'ack' },
    { id: 'bytes-1', action: 'retry', delaySeconds: 12 },
    { id: 'skipped-1', action: 'ack' },
  ]);
  assert.equal(new TextDecoder().decode((returned as Extract<InvocationOutcome, { ok: true }>).response.body), '3');
  assert.deepEqual(returned.logs.map((line) => line.message), ['batch orders 3']);

  const threw = await invoke({ batch: { queue: 'failing', messages } });
  assert.equal(threw.ok, false);
  assert.deepEqual(threw.decisions, [
    { id: 'json-1', action: 'ack' },
    { id: 'bytes-1', action: 'retry', delaySeconds: 12 },
    { id: 'skipped-1', action: 'retry' },
  ]);
});

test('a queue handler that runs out of limits.timeoutMs leaves decisions absent (the trigger then retries the whole batch)', async () => {
  const outcome = await invoke({ batch: { queue: 'hang', messages: [message('h-1', { data: {} })] } });
  assert.equal(outcome.ok, false);
  assert.equal((outcome as Extract<InvocationOutcome, { ok: false }>).error.code, 'FUNCTION_TIMEOUT');
  assert.equal(outcome.decisions, undefined);
});
