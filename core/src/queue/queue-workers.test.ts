import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Queue } from 'bullmq';
import { createLogger } from '../logging/logger.js';
import { startTestRedis, type TestRedis } from '../testing/index.js';
import { queueConnection } from './connection.js';
import { queuePrefix } from './names.js';
import { QueueWorkerSet } from './queue-workers.js';

let server: TestRedis;
before(async () => {
  server = await startTestRedis();
});
after(async () => {
  await server?.stop();
});

test('a paused worker set takes no new jobs (another host may) and takes them again once resumed', async () => {
  const logger = createLogger({ level: 'silent' });
  const connection = queueConnection(server.url, logger);
  const workers = new QueueWorkerSet(connection, logger, { lockDurationMs: 2_000, stalledIntervalMs: 1_000 });
  const queue = new Queue('paused-test', { connection: server.connect(), prefix: queuePrefix });
  const done: string[] = [];
  workers.setPaused(true);
  // Made while paused: starts paused.
  workers.ensure<{ n: number }, void>('paused-test', async (job) => void done.push(job.id as string), 4);
  await queue.add('job', { n: 1 }, { jobId: 'first' });
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.deepEqual(done, [], 'nothing taken while paused');
  assert.equal(await queue.getWaitingCount(), 1, 'the job waits for any host');
  workers.setPaused(false);
  const deadline = Date.now() + 5_000;
  while (done.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(done, ['first']);
  await queue.close();
  await workers.close();
  connection.disconnect();
});
