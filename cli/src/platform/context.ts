import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import {
  AliasCache,
  FunctionAdmission,
  FunctionStore,
  InvocationRecorder,
  IsolaError,
  queueConnection,
  QueueClient,
  redisKeys,
  resolveSecretKey,
  SecretStore,
  startPrivateRedis,
  stopBundler,
  type Config,
  type FunctionEvent,
  type Logger,
  type PrivateRedis,
} from '@isola/core';

/**
 * What every role of one process shares: the Redis connections, the function store and its
 * alias cache, the event subscription, the recorder and the queue producer. Roles register
 * their event listeners and stop steps here; `stop()` runs the steps in reverse order.
 */
export interface PlatformContext {
  config: Config;
  logger: Logger;
  redisUrl: string;
  /** Commands. */
  redis: Redis;
  /** BullMQ connection (no retry limit per request). */
  queueRedis: Redis;
  secretKey: Buffer;
  secrets: SecretStore;
  store: FunctionStore;
  functions: AliasCache;
  recorder: InvocationRecorder;
  queues: QueueClient;
  /** The functions' platform-wide limits (maxInFlight, rateLimit). */
  admission: FunctionAdmission;
  /** Every event on the events channel reaches every listener. */
  onEvent(listener: (event: FunctionEvent) => void): void;
  /** After the event subscription reconnected: events may have been missed. */
  onResubscribed(listener: () => void): void;
  /** A step of the shutdown; steps run last-in, first-out. */
  atStop(step: () => Promise<void>): void;
  stop(): Promise<void>;
  /** For an exit that cannot wait: stops what would outlive this process (the private redis-server). */
  kill(): void;
}

/**
 * Connects to Redis — or, when `privateRedisAllowed` and REDIS_URL is unset, starts a private
 * redis-server under the data directory (what `isola up` does) — and builds the shared parts.
 */
export async function createPlatformContext(config: Config, logger: Logger, options: { role: string; privateRedisAllowed: boolean }): Promise<PlatformContext> {
  mkdirSync(config.dataDir, { recursive: true });
  // Made (or checked) before any worker starts, so they all read one key and a bad
  // ISOLA_SECRET_KEY stops the process with its message instead of crash-looping workers.
  const secretKey = resolveSecretKey(config);
  const stack: (() => Promise<void>)[] = [];
  const killers: (() => void)[] = [];
  const stop = async () => {
    while (stack.length > 0) await stack.pop()?.().catch((error: unknown) => logger.error({ component: 'isola', err: error }, 'error while stopping'));
  };
  stack.push(stopBundler);
  try {
    let redisUrl = config.redisUrl;
    if (redisUrl === undefined) {
      if (!options.privateRedisAllowed) {
        throw new IsolaError(
          'BAD_REQUEST',
          `isola ${options.role} needs REDIS_URL: the roles of a platform meet in one Redis (run \`isola up\` for a single machine with its own Redis)`,
        );
      }
      const privateRedis: PrivateRedis = await startPrivateRedis(config.dataDir, logger.child({ component: 'redis' }));
      stack.push(() => privateRedis.stop());
      killers.push(() => privateRedis.kill());
      redisUrl = privateRedis.url;
    }
    const redis = await connectRedis(redisUrl, logger.child({ component: 'redis-client' }));
    stack.push(async () => void (await redis.quit()));
    const subscriber = redis.duplicate();
    stack.push(async () => subscriber.disconnect());

    const secrets = new SecretStore(redis, secretKey);
    await checkSecretKeyAgrees(redis, secrets, logger);
    const store = new FunctionStore(redis);
    const functions = new AliasCache(store);
    const listeners: ((event: FunctionEvent) => void)[] = [(event) => functions.onEvent(event)];
    const resubscribed: (() => void)[] = [() => functions.clear()];
    await FunctionStore.subscribe(subscriber, (event) => {
      for (const listener of listeners) listener(event);
    });
    // Events published while the subscriber was reconnecting are lost: forget what they would have changed.
    subscriber.on('ready', () => {
      for (const listener of resubscribed) listener();
    });

    const recorder = new InvocationRecorder(redis, {
      ttlSeconds: config.recordTtlSeconds,
      maxPerFunction: config.recordMaxPerFunction,
      logger: logger.child({ component: 'records' }),
    });
    stack.push(() => recorder.close());
    const queueRedis = queueConnection(redisUrl, logger.child({ component: 'queues' }));
    stack.push(async () => queueRedis.disconnect());
    const queues = new QueueClient(queueRedis);
    stack.push(() => queues.close());

    return {
      config,
      logger,
      redisUrl,
      redis,
      queueRedis,
      secretKey,
      secrets,
      store,
      functions,
      recorder,
      queues,
      admission: new FunctionAdmission(redis, { logger: logger.child({ component: 'limits' }) }),
      onEvent: (listener) => listeners.push(listener),
      onResubscribed: (listener) => resubscribed.push(listener),
      atStop: (step) => stack.push(step),
      stop,
      kill: () => killers.forEach((kill) => kill()),
    };
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
      'secrets they set will not open here, and worker nodes refuse gateways with another key. Give every process the same ISOLA_SECRET_KEY (or key file); if the key was changed on purpose, set the secrets again (docs/secrets.md)',
  );
  await redis.set(redisKeys.secretKeyId, secrets.keyId);
}
