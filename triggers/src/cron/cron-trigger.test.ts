import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { Job } from 'bullmq';
import { pino } from 'pino';
import {
  cronId,
  cronTickInvocationId,
  CronStateStore,
  functionQueueName,
  FunctionStore,
  InvocationRecorder,
  parseManifest,
  QueueClient,
  redisKeys,
  type InvocationJobData,
  type ManifestInput,
} from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { CronTrigger } from './cron-trigger.js';

// Real Redis, real BullMQ queues, real node-cron timers. Nothing consumes the function queues
// here: what a tick produced is read back from the queue and the records.

const everySecond = '* * * * * *';
/**
 * Small, so scans reach up to two seconds ago and the tests stay short; large enough that a
 * busy test machine does not make the replicas drop a tick.
 */
const lateToleranceMs = 900;

let server: TestRedis;
let store: FunctionStore;
let recorder: InvocationRecorder;
let state: CronStateStore;
const replicas = new Set<{ trigger: CronTrigger; queues: QueueClient }>();
let unsubscribe: () => Promise<void>;

before(async () => {
  server = await startTestRedis();
  store = new FunctionStore(server.redis);
  recorder = new InvocationRecorder(server.redis, { ttlSeconds: 3600, maxPerFunction: 10_000, flushIntervalMs: 20 });
  state = new CronStateStore(server.redis);
  unsubscribe = await FunctionStore.subscribe(server.connect(), (event) => {
    for (const replica of replicas) replica.trigger.onEvent(event);
  });
});

after(async () => {
  for (const replica of replicas) await stopReplica(replica);
  await unsubscribe();
  await recorder.close();
  await server.stop();
});

/** A log that keeps what was written, for "logged once" checks. */
function capturedLogger() {
  const lines: { level: number; msg: string; missed?: number; function?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** One scheduler replica: its own queue producer (counting its submissions) and trigger. */
async function startReplica(logger = capturedLogger().logger, tolerance = lateToleranceMs) {
  const queues = new QueueClient(server.connect());
  const submitted: string[] = [];
  const submit = queues.submitInvocation.bind(queues);
  queues.submitInvocation = async (data, attempts, jobId, options) => {
    submitted.push(jobId ?? data.invocationId);
    return submit(data, attempts, jobId, options);
  };
  const trigger = new CronTrigger({ store, queues, recorder, redis: server.redis, logger, lateToleranceMs: tolerance, reconcileIntervalMs: 60_000 });
  const replica = { trigger, queues, submitted };
  replicas.add(replica);
  await trigger.start();
  return replica;
}

async function stopReplica(replica: { trigger: CronTrigger; queues: QueueClient }): Promise<void> {
  replicas.delete(replica);
  await replica.trigger.close();
  await replica.queues.close();
}

async function deploy(name: string, crons: ManifestInput['crons']) {
  return store.deploy({
    manifest: parseManifest({ name, main: 'index.js', crons }),
    code: 'export default { scheduled() {} };',
    codeHash: `hash-${name}`,
    files: {},
    author: 'test',
  });
}

/** Every job of the function's queue, tick jobs parsed: `cron.<fn>.<cron id>.<tick ms>`. */
async function tickJobs(name: string) {
  const queues = new QueueClient(server.redis);
  try {
    const jobs = (await queues.queue(functionQueueName(name)).getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'], 0, -1)) as Job<InvocationJobData>[];
    return jobs
      .map((job) => {
        const [, fn, id, tick] = (job.id ?? '').split('.');
        return { jobId: job.id ?? '', fn, id: id ?? '', tick: Number(tick), data: job.data };
      })
      .sort((a, b) => a.tick - b.tick);
  } finally {
    await queues.close();
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function seconds(fromMs: number, toMs: number): number[] {
  const ticks: number[] = [];
  for (let tick = fromMs; tick <= toMs; tick += 1_000) ticks.push(tick);
  return ticks;
}

describe('two replicas on one Redis', () => {
  test('every tick of an every-second schedule becomes exactly one job, though both replicas fire it', async () => {
    await deploy('twins', [everySecond]);
    const id = cronId({ schedule: everySecond });
    // The default tolerance: a late timer still enqueues its tick (up to the next one).
    const a = await startReplica(undefined, 5_000);
    const b = await startReplica(undefined, 5_000);
    await sleep(4_500);
    await Promise.all([stopReplica(a), stopReplica(b)]);

    const jobs = await tickJobs('twins');
    assert.ok(jobs.length >= 3, `only ${jobs.length} jobs in 4.5 s`);
    const first = jobs[0]?.tick ?? 0;
    const last = jobs.at(-1)?.tick ?? 0;
    // One job per second from the first tick to the last, each naming its own tick.
    assert.deepEqual(
      jobs.map((job) => job.tick),
      seconds(first, last),
    );
    for (const job of jobs) {
      assert.equal(job.id, id);
      assert.equal(job.data.trigger, 'cron');
      assert.deepEqual(job.data.scheduled, { cron: everySecond, scheduledTime: job.tick });
      assert.equal(job.data.invocationId, cronTickInvocationId(job.jobId));
      assert.equal(job.data.function.name, 'twins');
      assert.equal(job.tick % 1_000, 0, 'ticks fall on whole seconds');
    }
    // Both replicas raced for (nearly) every tick: BullMQ let one job through each time.
    const both = jobs.filter((job) => a.submitted.includes(job.jobId) && b.submitted.includes(job.jobId));
    assert.ok(both.length >= jobs.length - 2, `both replicas submitted only ${both.length} of ${jobs.length} ticks`);
    // One `queued` record per tick, under the id both replicas computed.
    for (const job of jobs) assert.equal(await server.redis.exists(redisKeys.invocationRecord(job.data.invocationId)), 1);
    const [schedule] = (await state.read('twins', [id])).values();
    assert.equal(schedule?.lastTick, last);
    assert.equal(schedule?.missedCount, 0);
  });
});

describe('schedule changes', () => {
  test('a deploy that changes the schedule, and a delete, take effect within a second', async () => {
    await deploy('changes', [everySecond]);
    const replica = await startReplica();
    const oldId = cronId({ schedule: everySecond });
    await waitFor('a first tick', async () => (await tickJobs('changes')).length > 0);

    // Same ticks in another zone: another schedule (another id).
    const newSpec = { schedule: everySecond, timezone: 'Asia/Tokyo' };
    const newId = cronId(newSpec);
    const deployedAt = Date.now();
    await deploy('changes', [newSpec]);
    const firstNew = await waitFor('a tick of the new schedule', async () => (await tickJobs('changes')).find((job) => job.id === newId), 3_000);
    assert.ok(firstNew.tick <= deployedAt + 2_000, `the new schedule's first tick came ${firstNew.tick - deployedAt} ms after the deploy`);
    await sleep(1_500);
    const afterChange = await tickJobs('changes');
    const lateOld = afterChange.filter((job) => job.id === oldId && job.tick > deployedAt + 1_000);
    assert.deepEqual(lateOld.map((job) => job.tick - deployedAt), [], 'the old schedule fired more than a second after the deploy');
    assert.equal(firstNew.data.scheduled?.cron, everySecond);
    assert.equal(firstNew.data.function.version, 2);

    const deletedAt = Date.now();
    assert.equal(await store.delete('changes'), true);
    await sleep(2_000);
    const afterDelete = (await tickJobs('changes')).filter((job) => job.tick > deletedAt + 1_000);
    assert.deepEqual(afterDelete.map((job) => job.tick - deletedAt), [], 'ticks kept coming more than a second after the delete');
    await stopReplica(replica);
  });
});

describe('missed ticks', () => {
  test('ticks while no trigger ran are recorded once, by one of two replicas, and never enqueued', async () => {
    await deploy('gap', [everySecond]);
    const id = cronId({ schedule: everySecond });
    const before = await startReplica();
    await waitFor('two ticks', async () => (await tickJobs('gap')).length >= 2);
    await stopReplica(before);
    const lastBefore = (await tickJobs('gap')).at(-1)?.tick ?? 0;

    await sleep(3_000);
    const logs = [capturedLogger(), capturedLogger()];
    const b = await startReplica(logs[0]?.logger);
    const c = await startReplica(logs[1]?.logger);
    const firstAfter = await waitFor('a tick after the restart', async () => (await tickJobs('gap')).find((job) => job.tick > lastBefore + 1_000)?.tick);
    // Past the scan's margin (twice the late tolerance), then scan on both replicas at once.
    await sleep(2 * lateToleranceMs + 500);
    await Promise.all([b.trigger.reconcile(), c.trigger.reconcile()]);

    const gap = seconds(lastBefore + 1_000, firstAfter - 1_000);
    assert.ok(gap.length >= 2, `a gap of ${gap.length} ticks`);
    const [schedule] = (await state.read('gap', [id], 100)).values();
    assert.deepEqual([...(schedule?.recentMissed ?? [])].reverse(), gap, 'the missed ticks are exactly those of the gap');
    assert.equal(schedule?.missedCount, gap.length);
    assert.equal(schedule?.missedCapped, false);
    // Not run late: none of them has a job or a record.
    const jobs = await tickJobs('gap');
    assert.deepEqual(jobs.filter((job) => gap.includes(job.tick)), []);
    assert.deepEqual(
      jobs.map((job) => job.tick),
      [...seconds(jobs[0]?.tick ?? 0, lastBefore), ...seconds(firstAfter, jobs.at(-1)?.tick ?? 0)],
      'every other tick was enqueued',
    );
    // Reported once: the warnings of both replicas together name each missed tick once.
    const warnings = logs.flatMap((log) => log.lines).filter((line) => line.function === 'gap' && line.missed !== undefined);
    assert.equal(warnings.reduce((sum, line) => sum + (line.missed ?? 0), 0), gap.length, JSON.stringify(warnings));
    await Promise.all([stopReplica(b), stopReplica(c)]);
  });

  test('a function whose async backlog is full gets no more ticks; they are reported missed, not piled up', async () => {
    await store.deploy({
      manifest: parseManifest({ name: 'backed-up', main: 'index.js', crons: [everySecond], async: { maxQueueDepth: 2 } }),
      code: 'export default { scheduled() {} };',
      codeHash: 'hash-backed-up',
      files: {},
      author: 'test',
    });
    const id = cronId({ schedule: everySecond });
    const { logger, lines } = capturedLogger();
    const replica = await startReplica(logger);
    // Nothing consumes the queue here: two ticks fill it.
    await waitFor('the queue filled', async () => (await tickJobs('backed-up')).length >= 2);
    await sleep(2_500);
    assert.equal((await tickJobs('backed-up')).length, 2, 'no tick enqueued past async.maxQueueDepth');
    assert.ok(lines.some((line) => line.function === 'backed-up' && /maxQueueDepth/.test(line.msg)), 'the skipped ticks are logged');
    await sleep(2 * lateToleranceMs + 200);
    await replica.trigger.reconcile();
    const [schedule] = (await state.read('backed-up', [id], 100)).values();
    assert.ok((schedule?.missedCount ?? 0) >= 2, `the skipped ticks are reported missed: ${JSON.stringify(schedule)}`);
    await stopReplica(replica);
  });

  test('a trigger starting on a schedule it never ran reports nothing before it; nor does a schedule that comes back', async () => {
    await deploy('fresh', [everySecond]);
    const id = cronId({ schedule: everySecond });
    // Deployed while no trigger ran: the ticks before the schedule was first seen are not "missed".
    await sleep(2_000);
    const replica = await startReplica();
    await waitFor('a tick', async () => (await tickJobs('fresh')).length > 0);

    // A version without the schedule, for a while, then a rollback to the one with it.
    const withoutAt = Date.now();
    await deploy('fresh', ['0 0 1 1 *']);
    await sleep(2_500);
    await store.rollback('fresh', 'latest', 1);
    const back = await waitFor('a tick after the rollback', async () => (await tickJobs('fresh')).find((job) => job.id === id && job.tick > withoutAt + 2_000));
    await sleep(2 * lateToleranceMs + 1_200);
    await replica.trigger.reconcile();

    const [schedule] = (await state.read('fresh', [id])).values();
    assert.equal(schedule?.missedCount, 0, `missed: ${schedule?.recentMissed.map((tick) => new Date(tick).toISOString()).join(', ')}`);
    assert.ok((schedule?.scannedUntil ?? 0) > back.tick - 1_000, 'the scan ran past the rollback');
    assert.ok((schedule?.lastTick ?? 0) >= back.tick);
    await stopReplica(replica);
  });
});
