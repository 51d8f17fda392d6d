import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import {
  AliasCache,
  FunctionMetricsReader,
  FunctionStore,
  InvocationRecorder,
  IsolaError,
  LogStore,
  queueConnection,
  QueueClient,
  QueueWorkerSet,
  RecordStore,
  redisKeys,
  resolveSecretKey,
  SecretStore,
  startPrivateRedis,
  TokenStore,
  stopBundler,
  type Config,
  type FunctionEvent,
  type Logger,
  type PrivateRedis,
} from '@isola/core';
import { createGateway } from '@isola/gateway';
import { CallbackSender, InvocationConsumer, Scheduler, SlotGate } from '@isola/scheduler';
import { CronTrigger, TopicConsumers } from '@isola/triggers';
import { Supervisor } from '@isola/worker-pool';
import { resolveAdminToken, type AdminToken } from './admin-token.js';


export interface RunningPlatform {
  /** Base URL of the gateway, e.g. http://127.0.0.1:8080. */
  url: string;
  adminToken: AdminToken;
  redisUrl: string;
  /** Stops every part, in reverse order of start. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * For an exit that cannot wait (a second signal): signals the processes that would outlive
   * this one — the private redis-server. Workers end by themselves when their parent goes.
   */
  kill(): void;
}

/**
 * Starts every role of the platform on this machine, as `isola up` does: Redis (private when
 * REDIS_URL is unset), the worker pool, the scheduler and the gateway.
 */
export async function startPlatform(config: Config, logger: Logger): Promise<RunningPlatform> {
  mkdirSync(config.dataDir, { recursive: true });
  const adminToken = resolveAdminToken(config.adminToken, config.dataDir);
  // Made (or checked) before any worker starts, so they all read one key and a bad
  // ISOLA_SECRET_KEY stops `isola up` with its message instead of crash-looping workers.
  const secretKey = resolveSecretKey(config);
  const stack: (() => Promise<void>)[] = [];
  const stop = async () => {
    while (stack.length > 0) await stack.pop()?.().catch((error: unknown) => logger.error({ component: 'isola', err: error }, 'error while stopping'));
  };
  stack.push(stopBundler);
  const killers: (() => void)[] = [];
  try {
    let privateRedis: PrivateRedis | null = null;
    if (config.redisUrl === undefined) {
      privateRedis = await startPrivateRedis(config.dataDir, logger.child({ component: 'redis' }));
      stack.push(() => privateRedis!.stop());
      killers.push(() => privateRedis!.kill());
    }
    const redisUrl = config.redisUrl ?? privateRedis!.url;
    const redis = await connectRedis(redisUrl, logger.child({ component: 'redis-client' }));
    stack.push(async () => void (await redis.quit()));
    const subscriber = redis.duplicate();
    stack.push(async () => subscriber.disconnect());

    const secrets = new SecretStore(redis, secretKey);
    await checkSecretKeyAgrees(redis, secrets, logger);
    const store = new FunctionStore(redis);
    const functions = new AliasCache(store);
    let onGatewayEvent: (event: FunctionEvent) => void = () => undefined;
    let onConsumerEvent: (event: FunctionEvent) => void = () => undefined;
    await FunctionStore.subscribe(subscriber, (event) => {
      functions.onEvent(event);
      onGatewayEvent(event);
      onConsumerEvent(event);
    });
    // Events published while the subscriber was reconnecting are lost: forget everything.
    let forgetGatewayCache: () => void = () => undefined;
    let rediscoverQueues: () => void = () => undefined;
    subscriber.on('ready', () => {
      functions.clear();
      forgetGatewayCache();
      rediscoverQueues();
    });

    const supervisor = new Supervisor({
      workers: config.workers,
      env: { ...process.env, REDIS_URL: redisUrl, ISOLA_DATA_DIR: config.dataDir },
      logger: logger.child({ component: 'supervisor' }),
      heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      recycle: { maxInvocations: config.workerMaxInvocations, maxRssBytes: config.workerMaxRssMb * 1024 * 1024 },
      // Only called once workers run, after the scheduler below exists.
      onFunctionCrash: (key, reason) => scheduler.recordCrash(key, reason),
    });
    const scheduler = new Scheduler(supervisor, { logger: logger.child({ component: 'scheduler' }) });
    stack.push(() => supervisor.stop());
    await supervisor.start();

    const recorder = new InvocationRecorder(redis, {
      ttlSeconds: config.recordTtlSeconds,
      maxPerFunction: config.recordMaxPerFunction,
      logger: logger.child({ component: 'records' }),
    });
    stack.push(() => recorder.close());

    // Async invocations: BullMQ on the same Redis. The consumer runs them on this host's workers.
    const queueRedis = queueConnection(redisUrl, logger.child({ component: 'queues' }));
    stack.push(async () => queueRedis.disconnect());
    const queues = new QueueClient(queueRedis);
    stack.push(() => queues.close());
    const queueWorkers = new QueueWorkerSet(queueRedis, logger.child({ component: 'queues' }), { lockDurationMs: config.queueLockMs, stalledIntervalMs: config.queueStalledIntervalMs });
    const gate = new SlotGate(config.asyncSlots);
    const asyncLogger = logger.child({ component: 'async' });
    const callbacks = new CallbackSender({ queues, workers: queueWorkers, redis, logger: asyncLogger });
    callbacks.start();
    const consumer = new InvocationConsumer({
      invoker: scheduler,
      recorder,
      workers: queueWorkers,
      redis,
      logger: asyncLogger,
      gate,
      concurrency: config.asyncSlots,
      onFinal: (data) => callbacks.enqueue(data),
    });
    const topics = new TopicConsumers({
      store,
      resolveFunction: async (name) => (await functions.resolve(name))?.pick() ?? null,
      invoker: scheduler,
      recorder,
      workers: queueWorkers,
      queues,
      gate,
      logger: logger.child({ component: 'messages' }),
    });
    // Cron: every `isola up` (or scheduler replica) runs the schedules; job ids keep each tick to one run.
    const cron = new CronTrigger({ store, queues, recorder, redis, logger: logger.child({ component: 'cron' }) });
    onConsumerEvent = (event) => {
      consumer.onEvent(event);
      topics.onEvent(event);
      cron.onEvent(event);
    };
    await consumer.start();
    await topics.sync();
    await cron.start();
    stack.push(() => cron.close());
    rediscoverQueues = () => {
      const warn = (error: unknown) => asyncLogger.warn({ err: error }, 'could not list the queues');
      void consumer.start().catch(warn);
      void topics.sync().catch(warn);
      void cron.reconcile();
    };
    // Stops taking jobs and lets running ones finish while the workers are still up.
    stack.push(() => queueWorkers.close());
    const gateway = await createGateway({
      config,
      logger,
      invoker: scheduler,
      store,
      tokens: new TokenStore(redis),
      secrets,
      functions,
      recorder,
      records: new RecordStore(redis),
      logs: new LogStore(redis, { connect: () => redis.duplicate() }),
      functionMetrics: new FunctionMetricsReader(redis),
      adminToken: adminToken.token,
      tokenHint: adminToken.file === null ? 'the token is ISOLA_ADMIN_TOKEN' : `the admin token is in ${adminToken.file}`,
      redisHealthy: async () => (await redis.ping()) === 'PONG',
      queues,
      redis,
    });
    onGatewayEvent = gateway.onEvent;
    forgetGatewayCache = gateway.forgetCached;
    await gateway.app.listen({ host: config.host, port: config.port });
    stack.push(() => gateway.app.close());
    const address = gateway.app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return { url: `http://${host}:${address.port}`, adminToken, redisUrl, stop, kill: () => killers.forEach((kill) => kill()) };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new IsolaError('NOT_READY', `cannot reach Redis at ${url}: ${(error as Error).message}; check REDIS_URL or unset it to let Isola start its own`);
  }
}

/**
 * Every process sharing a Redis must seal secrets with one key. The first to start records the
 * key's id; one that starts with another key says so loudly (it cannot open the secrets already
 * stored) but still starts, since a deliberate key change (docs/secrets.md) looks the same.
 */
async function checkSecretKeyAgrees(redis: Redis, secrets: SecretStore, logger: Logger): Promise<void> {
  const recorded = await redis.set(redisKeys.secretKeyId, secrets.keyId, 'NX', 'GET');
  if (recorded === null || recorded === secrets.keyId) return;
  logger.warn(
    { component: 'isola', keyId: secrets.keyId, recordedKeyId: recorded },
    `this process's secret key (id ${secrets.keyId}) differs from the one other Isola processes on this Redis used (id ${recorded}): ` +
      'secrets they set will not open here. Give every process the same ISOLA_SECRET_KEY (or key file); if the key was changed on purpose, set the secrets again (docs/secrets.md)',
  );
  await redis.set(redisKeys.secretKeyId, secrets.keyId);
}
