import { networkInterfaces } from 'node:os';
import { NodeAnnouncer, newNodeId, nodeAuthToken, QueueWorkerSet, type NodeInfo } from '@isola/core';
import { AdmittingInvoker, CallbackSender, InvocationConsumer, NodeServer, Scheduler, SlotGate } from '@isola/scheduler';
import { TopicConsumers } from '@isola/triggers';
import { sidecarUrlFrom, Supervisor } from '@isola/worker-pool';
import type { PlatformContext } from './context.js';

export interface WorkerRole {
  nodeId: string;
  /** Places invocations on this node's worker processes. */
  scheduler: Scheduler;
  /** Where gateways reach the node. */
  url: string;
}

/**
 * A worker node (`isola worker`, and the worker part of `isola up`): the pre-forked worker
 * processes, the consumers of async invocations, topics and callbacks, and the node server
 * that takes synchronous invocations from gateways. The node announces itself in Redis.
 *
 * Stopping is graceful: the node leaves the directory (gateways place new work elsewhere),
 * hands back queued jobs it had not started, lets running invocations finish for up to
 * ISOLA_DRAIN_TIMEOUT_MS, then hands back what still runs, and only then stops its workers.
 */
export async function startWorkerRole(ctx: PlatformContext, sidecarUrl?: string): Promise<WorkerRole> {
  const { config, logger } = ctx;
  const nodeId = newNodeId();
  const nodeLogger = logger.child({ component: 'node', node: nodeId });
  if (sidecarUrl === undefined && config.sidecarUrl === undefined && config.sidecarPort === 0) {
    nodeLogger.warn('ISOLA_SIDECAR_PORT is 0 and ISOLA_SIDECAR_URL is unset: the functions\' bindings cannot reach a sidecar; set ISOLA_SIDECAR_URL to this node\'s sidecar');
  }
  const supervisor = new Supervisor({
    workers: config.workers,
    // The worker processes call the sidecar for the functions' bindings: the one `isola up` started,
    // else the address this process resolved (flags and config file included).
    env: { ...process.env, REDIS_URL: ctx.redisUrl, ISOLA_DATA_DIR: config.dataDir, ISOLA_SIDECAR_URL: sidecarUrl ?? sidecarUrlFrom(config) },
    logger: logger.child({ component: 'supervisor' }),
    heartbeatTimeoutMs: config.heartbeatTimeoutMs,
    recycle: { maxInvocations: config.workerMaxInvocations, maxRssBytes: config.workerMaxRssMb * 1024 * 1024 },
    idPrefix: nodeId,
    // Only called once workers run, after the scheduler below exists.
    onFunctionCrash: (key, reason) => scheduler.recordCrash(key, reason),
  });
  const scheduler = new Scheduler(supervisor, {
    logger: logger.child({ component: 'scheduler' }),
    maxInFlightPerWorker: config.workerMaxInFlight,
    quarantineNotes: ctx.store,
  });
  // Before any invocation: versions quarantined before this node (re)started stay refused.
  await scheduler.restoreQuarantines().then(
    (restored) => restored > 0 && logger.warn({ restored }, 'restored quarantined function versions from Redis; redeploy them to lift it'),
    (error: unknown) => logger.warn({ err: error }, 'could not read quarantined versions from Redis; they run again on this node until they crash twice'),
  );
  ctx.atStop(() => supervisor.stop());
  await supervisor.start();

  // Async invocations, topics and callbacks: BullMQ on the shared Redis, run on this node's workers.
  const queueWorkers = new QueueWorkerSet(ctx.queueRedis, logger.child({ component: 'queues' }), {
    lockDurationMs: config.queueLockMs,
    stalledIntervalMs: config.queueStalledIntervalMs,
  });
  // Each part's stop step is registered as soon as it runs, so a failed start stops what did start;
  // the drain step below, registered last, runs first and does the same in order.
  ctx.atStop(() => queueWorkers.close(true));
  const gate = new SlotGate(config.asyncSlots);
  const asyncLogger = logger.child({ component: 'async' });
  const callbacks = new CallbackSender({ queues: ctx.queues, workers: queueWorkers, redis: ctx.redis, logger: asyncLogger });
  callbacks.start();
  // Async invocations and message batches pass the functions' platform-wide limits here;
  // synchronous ones passed them at their gateway.
  const limited = new AdmittingInvoker(scheduler, ctx.admission);
  const consumer = new InvocationConsumer({
    invoker: limited,
    recorder: ctx.recorder,
    workers: queueWorkers,
    redis: ctx.redis,
    logger: asyncLogger,
    gate,
    concurrency: config.asyncSlots,
    onFinal: (data) => callbacks.enqueue(data),
  });
  const topics = new TopicConsumers({
    store: ctx.store,
    resolveFunction: async (name) => (await ctx.functions.resolve(name))?.pick() ?? null,
    invoker: limited,
    recorder: ctx.recorder,
    workers: queueWorkers,
    queues: ctx.queues,
    gate,
    logger: logger.child({ component: 'messages' }),
  });
  ctx.onEvent((event) => {
    consumer.onEvent(event);
    topics.onEvent(event);
  });
  ctx.onResubscribed(() => {
    const warn = (error: unknown) => asyncLogger.warn({ err: error }, 'could not list the queues');
    void consumer.start().catch(warn);
    void topics.sync().catch(warn);
  });
  await consumer.start();
  await topics.sync();
  // While no worker process is ready (all restarting), the node takes no jobs: other nodes can.
  const readiness = setInterval(() => queueWorkers.setPaused(scheduler.readyWorkers() === 0), 200);
  readiness.unref();
  ctx.atStop(async () => clearInterval(readiness));

  const server = new NodeServer({
    nodeId,
    invoker: scheduler,
    token: nodeAuthToken(ctx.secretKey),
    logger: nodeLogger,
    load: () => scheduler.inFlight(),
    capacity: () => scheduler.capacity(),
    maxFrameBytes: config.maxBodyBytes + 1024 * 1024,
  });
  const port = await server.listen(config.nodeHost, config.nodePort);
  ctx.atStop(() => server.close());
  const url = config.nodeAdvertiseUrl ?? `http://${advertisedHost(config.nodeHost)}:${port}`;
  const startedAt = Date.now();
  const describe = (): NodeInfo => ({
    id: nodeId,
    url,
    workers: scheduler.readyWorkers(),
    capacity: scheduler.capacity(),
    inFlight: scheduler.inFlight(),
    startedAt,
  });
  const announcer = new NodeAnnouncer(ctx.redis, describe, { logger: nodeLogger });
  ctx.atStop(() => announcer.leave());
  await announcer.join();

  ctx.atStop(async () => {
    const started = performance.now();
    await announcer.leave().catch((error: unknown) => nodeLogger.warn({ err: error }, 'could not leave the node directory; gateways notice when its entry expires'));
    consumer.handBackWaiting();
    topics.handBackWaiting();
    const deadline = setTimeout(() => {
      nodeLogger.warn({ drainTimeoutMs: config.drainTimeoutMs }, 'drain time is up: handing back the async invocations and message batches still running');
      consumer.handBackRunning();
      topics.handBackRunning();
    }, config.drainTimeoutMs);
    try {
      await Promise.all([server.drain(), queueWorkers.close(true)]);
    } finally {
      clearTimeout(deadline);
    }
    await server.close();
    nodeLogger.info({ drainMs: Math.round(performance.now() - started) }, 'worker node drained');
  });
  nodeLogger.info({ url, workers: config.workers }, 'worker node joined');
  return { nodeId, scheduler, url };
}

/** A host name gateways can reach when the server listens on every address: the first external IPv4 address. */
function advertisedHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host.includes(':') ? `[${host}]` : host;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((address) => address.family === 'IPv4' && !address.internal);
    if (external !== undefined) return external.address;
  }
  return '127.0.0.1';
}
