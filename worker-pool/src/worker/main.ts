/**
 * Entry point of one worker process, forked by the supervisor with --no-node-snapshot. It
 * hosts isolates and answers `invoke` messages over IPC; it ends with its parent. Functions
 * come from Redis, or from the supervisor when it was started with a FunctionProvider.
 */
import {
  createLogger,
  defaultLimits,
  instanceKey,
  loadConfig,
  MessageBatcher,
  resolveSecretKey,
  sidecarAuthToken,
  unbatch,
  type BatchMessage,
  type SupervisorToWorker,
  type WorkerToSupervisor,
} from '@isola/core';
import { RuntimeScript } from '../sandbox/runtime-script.js';
import { PreparedIsolatePool } from '../sandbox/prepared-isolate.js';
import { ModuleCodeCache } from '../sandbox/function-instance.js';
import { SidecarClient, sidecarUrlFrom } from '../sandbox/bridges/sidecar-client.js';
import { workerCodeSourceVariable } from '../supervisor/function-provider.js';
import { InstanceRegistry } from './instance-registry.js';
import { redisFunctionSource, supervisorFunctionSource, type FunctionSource } from './function-source.js';
import { runInvocation } from './run-invocation.js';

const preparedIsolates = 3;

const config = loadConfig();
const workerId = process.env.ISOLA_WORKER_ID ?? String(process.pid);
const logger = createLogger({ level: config.logLevel }).child({ component: 'worker', workerId });

const outbox = new MessageBatcher<WorkerToSupervisor>((message) => process.send?.(message));

function send(message: WorkerToSupervisor): void {
  outbox.push(message);
}

const key = secretKey();
const source = functionSource();

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
    outbox.flush(); // results already computed still reach their callers
    process.send?.({ type: 'fatal', requestId: 0, instanceKey: ownerKey, message } satisfies WorkerToSupervisor, () => process.abort());
  },
});
// Binding calls present a credential derived from the secret key; neither enters an isolate.
const sidecar = new SidecarClient(sidecarUrlFrom(config), sidecarAuthToken(key), config.maxBodyBytes);
const registry = new InstanceRegistry(
  source.versions,
  source.secrets,
  pool,
  {
    maxLogBytes: config.maxLogBytes,
    maxResponseBytes: config.maxBodyBytes,
    maxFetches: config.maxFetches,
    codeCache: new ModuleCodeCache(),
    sidecar: { client: sidecar, maxCalls: config.maxBindingCalls },
  },
  { idleTtlMs: config.instanceIdleTtlMs, memoryBudgetBytes: config.workerMemoryBudgetMb * 1024 * 1024, maxInstances: config.workerMaxInstances },
  (instanceKeys) => send({ type: 'evicted', requestId: 0, instanceKeys }),
);
await source.follow(registry);

function functionSource(): FunctionSource {
  if (process.env[workerCodeSourceVariable] === 'supervisor') return supervisorFunctionSource(send);
  if (config.redisUrl === undefined) {
    logger.fatal('REDIS_URL is not set; a worker needs the platform Redis');
    process.exit(78);
  }
  return redisFunctionSource(config.redisUrl, key, logger);
}

function secretKey(): Buffer {
  try {
    return resolveSecretKey(config);
  } catch (error) {
    logger.fatal({ err: error }, 'cannot get the secret key');
    process.exit(78);
  }
}

process.on('message', (received: SupervisorToWorker | BatchMessage<SupervisorToWorker>) => unbatch(received, onMessage));

function onMessage(message: SupervisorToWorker): void {
  if (source.onMessage(message, registry)) return;
  switch (message.type) {
    case 'invoke': {
      const key = instanceKey(message.request.function);
      void runInvocation(registry, message.request, workerId).then((outcome) =>
        send({
          type: 'result',
          requestId: message.requestId,
          outcome,
          instanceKey: key,
          warm: registry.holds(key),
          synchronous: registry.runsSynchronously(key),
        }),
      );
      break;
    }
    case 'shutdown':
      shutdown(0);
      break;
    case 'ping':
      send({ type: 'pong', requestId: message.requestId, rssBytes: process.memoryUsage.rss() });
      break;
  }
}
// The parent is gone (crashed or killed): never outlive it.
process.on('disconnect', () => shutdown(0));
process.on('SIGINT', () => undefined);

function shutdown(code: number): void {
  outbox.flush();
  registry.close();
  pool.close();
  void sidecar.close();
  source.close();
  process.exit(code);
}

await pool.fill();
process.send?.({ type: 'ready', requestId: 0, pid: process.pid } satisfies WorkerToSupervisor);
logger.debug({ workerId }, 'worker ready');
