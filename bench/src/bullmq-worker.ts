/**
 * The raw BullMQ consumer of the async benchmark's baseline, forked by async.ts: one `Worker`
 * in a process of its own (as Isola's consumer runs in `isola up`), a no-op processor, the
 * concurrency and lock timings Isola's consumer uses, and a connection with
 * `maxRetriesPerRequest: null` as BullMQ requires for workers. Says `ready` over IPC; closes
 * gracefully when the channel closes or on SIGTERM.
 */
import { Worker } from 'bullmq';

export interface BullmqWorkerConfig {
  redisUrl: string;
  queue: { name: string; prefix: string };
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

const config = JSON.parse(process.argv[2] ?? '') as BullmqWorkerConfig;
const address = new URL(config.redisUrl);
const worker = new Worker(config.queue.name, async () => ({ status: 200 }), {
  connection: { host: address.hostname, port: Number(address.port), maxRetriesPerRequest: null },
  prefix: config.queue.prefix,
  concurrency: config.concurrency,
  lockDuration: config.lockDurationMs,
  stalledInterval: config.stalledIntervalMs,
  maxStalledCount: 10,
});
worker.on('error', (error) => console.error(`raw BullMQ worker: ${error.message}`));

let closing = false;
async function close(): Promise<void> {
  if (closing) return;
  closing = true;
  await worker.close();
  process.exit(0);
}
process.on('disconnect', () => void close());
process.on('SIGTERM', () => void close());

await worker.waitUntilReady();
process.send?.({ type: 'ready' });
