// Where a worker process gets the functions it runs: their code for cold starts, their secrets
// for env, and word of changes that make loaded instances stale. On the platform that is Redis
// (the function store, the secret store, the event channel); in `isola dev` and the testing
// helper, which run without Redis, it is the supervisor, asked over IPC (see FunctionProvider).
import { Redis } from 'ioredis';
import {
  FunctionStore,
  SecretStore,
  type Logger,
  type SupervisorToWorker,
  type WorkerToSupervisor,
} from '@isola/core';
import { applyFunctionEvent } from './function-events.js';
import type { InstanceRegistry, SecretValues } from './instance-registry.js';
import { VersionSource, type VersionLookup } from './version-source.js';

export interface FunctionSource {
  versions: VersionLookup;
  secrets: SecretValues;
  /** Starts telling the registry of changes (deploys, changed secrets, deletes). */
  follow(registry: InstanceRegistry): Promise<void>;
  /** Handles a supervisor message meant for the source; false when it is not one. */
  onMessage(message: SupervisorToWorker, registry: InstanceRegistry): boolean;
  close(): void;
}

/** The platform's function and secret stores in Redis, and its event channel. */
export function redisFunctionSource(redisUrl: string, secretKey: Buffer, logger: Logger): FunctionSource {
  const redis = new Redis(redisUrl, { lazyConnect: false, enableOfflineQueue: true });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  const subscriber = new Redis(redisUrl, { lazyConnect: false, enableOfflineQueue: true });
  subscriber.on('error', (error: Error) => logger.warn({ err: error }, 'redis subscriber connection error'));
  const versions = new VersionSource(new FunctionStore(redis));
  return {
    versions,
    secrets: new SecretStore(redis, secretKey),
    async follow(registry) {
      await FunctionStore.subscribe(subscriber, (event) => applyFunctionEvent(event, versions, registry));
      // Events published while the subscriber was reconnecting are lost, a changed secret among them.
      subscriber.on('ready', () => registry.evictAll());
    },
    onMessage: () => false,
    close() {
      redis.disconnect();
      subscriber.disconnect();
    },
  };
}

type Reply = Extract<SupervisorToWorker, { type: 'version-found' | 'secrets-found' }>;

/** Functions as the supervisor provides them, one IPC request per cold start. */
export function supervisorFunctionSource(send: (message: WorkerToSupervisor) => void): FunctionSource {
  const pending = new Map<number, { resolve(reply: Reply): void; reject(error: unknown): void }>();
  let nextRequestId = 1;
  const ask = (request: { type: 'version-wanted'; name: string; version: number } | { type: 'secrets-wanted'; name: string }) =>
    new Promise<Reply>((resolve, reject) => {
      const requestId = nextRequestId++;
      pending.set(requestId, { resolve, reject });
      send({ ...request, requestId });
    });
  return {
    versions: {
      async get(name, version) {
        const reply = await ask({ type: 'version-wanted', name, version });
        if (reply.type !== 'version-found') throw new Error(`the supervisor answered ${reply.type} to version-wanted`);
        if (reply.error !== undefined) throw reply.error; // an ErrorShape: the invocation's outcome carries it as it is
        return reply.version;
      },
    },
    secrets: {
      async values(name) {
        const reply = await ask({ type: 'secrets-wanted', name });
        if (reply.type !== 'secrets-found') throw new Error(`the supervisor answered ${reply.type} to secrets-wanted`);
        if (reply.error !== undefined) throw reply.error; // an ErrorShape: the invocation's outcome carries it as it is
        return reply.secrets;
      },
    },
    follow: async () => undefined,
    onMessage(message, registry) {
      if (message.type === 'evict') {
        registry.evictFunction(message.function);
        return true;
      }
      if (message.type !== 'version-found' && message.type !== 'secrets-found') return false;
      const waiter = pending.get(message.requestId);
      pending.delete(message.requestId);
      waiter?.resolve(message);
      return true;
    },
    close() {
      for (const waiter of pending.values()) waiter.reject(new Error('the worker is stopping'));
      pending.clear();
    },
  };
}
