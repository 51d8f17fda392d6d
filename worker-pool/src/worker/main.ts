/**
 * Entry point of one worker process, forked by the supervisor with --no-node-snapshot. It
 * hosts isolates and answers `invoke` messages over IPC; it ends with its parent.
 */
import { Redis } from 'ioredis';
import { createLogger, defaultLimits, FunctionStore, instanceKey, loadConfig, type SupervisorToWorker, type WorkerToSupervisor } from '@isola/core';
import { RuntimeScript } from '../sandbox/runtime-script.js';
import { PreparedIsolatePool } from '../sandbox/prepared-isolate.js';
import { ModuleCodeCache } from '../sandbox/function-instance.js';
import { InstanceRegistry } from './instance-registry.js';
import { runInvocation } from './run-invocation.js';

const maxInstancesPerWorker = 500;
const preparedIsolates = 2;

const config = loadConfig();
const workerId = process.env.ISOLA_WORKER_ID ?? String(process.pid);
const logger = createLogger({ level: config.logLevel }).child({ component: 'worker', workerId });

function send(message: WorkerToSupervisor): void {
  process.send?.(message);
}

if (config.redisUrl === undefined) {
  logger.fatal('REDIS_URL is not set; a worker needs the platform Redis');
  process.exit(78);
}
const redis = new Redis(config.redisUrl, { lazyConnect: false, enableOfflineQueue: true });
redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));

const pool = new PreparedIsolatePool(new RuntimeScript(), {
  memoryMb: defaultLimits.memoryMb,
  size: preparedIsolates,
  maxSizes: 4,
  onCatastrophicError: (message, ownerKey) => {
    // V8 lost control of an isolate (e.g. fatal OOM): nothing in this process can be trusted.
    // This runs on the main thread (isolated-vm schedules it there), so the supervisor can
    // still be told whose isolate it was before the process ends.
    logger.fatal({ message, instanceKey: ownerKey }, 'catastrophic isolate error; aborting the worker');
    setTimeout(() => process.abort(), 500);
    process.send?.({ type: 'fatal', requestId: 0, instanceKey: ownerKey, message } satisfies WorkerToSupervisor, () => process.abort());
  },
});
const registry = new InstanceRegistry(
  new FunctionStore(redis),
  pool,
  { maxLogBytes: config.maxLogBytes, maxResponseBytes: config.maxBodyBytes, maxFetches: config.maxFetches, codeCache: new ModuleCodeCache() },
  maxInstancesPerWorker,
  (instanceKeys) => send({ type: 'evicted', requestId: 0, instanceKeys }),
);

process.on('message', (message: SupervisorToWorker) => {
  switch (message.type) {
    case 'invoke': {
      const key = instanceKey(message.request.function);
      void runInvocation(registry, message.request, workerId).then((outcome) =>
        send({ type: 'result', requestId: message.requestId, outcome, instanceKey: key, warm: registry.holds(key) }),
      );
      break;
    }
    case 'shutdown':
      shutdown(0);
      break;
    case 'ping':
      send({ type: 'pong', requestId: message.requestId });
      break;
  }
});
// The parent is gone (crashed or killed): never outlive it.
process.on('disconnect', () => shutdown(0));
process.on('SIGINT', () => undefined);

function shutdown(code: number): void {
  registry.close();
  pool.close();
  redis.disconnect();
  process.exit(code);
}

await pool.fill();
send({ type: 'ready', requestId: 0, pid: process.pid });
logger.debug({ workerId }, 'worker ready');
