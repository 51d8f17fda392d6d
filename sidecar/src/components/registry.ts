import { resolve } from 'node:path';
import { SecretStore as PlatformSecretStore, type Logger } from '@isola/core';
import { z } from 'zod';
import { MemoryConfigurationStore } from './configuration/memory.js';
import { RedisConfigurationStore } from './configuration/redis.js';
import type { ConfigurationStore } from './configuration/configuration-store.js';
import { MemoryLockStore } from './lock/memory.js';
import { RedisLockStore } from './lock/redis.js';
import type { LockStore } from './lock/lock-store.js';
import type { MemoryBackends } from './memory-backends.js';
import { MemoryPubSub } from './pubsub/memory.js';
import { RedisPubSub } from './pubsub/redis.js';
import type { PubSub } from './pubsub/pubsub.js';
import type { RedisConnections } from './redis-connections.js';
import { IsolaSecretStore } from './secrets/isola.js';
import { LocalFileSecretStore } from './secrets/local-file.js';
import type { SecretStoreComponent } from './secrets/secret-store.js';
import { MemoryStateStore } from './state/memory.js';
import { RedisStateStore } from './state/redis.js';
import type { StateStore } from './state/state-store.js';

/** The building blocks, and the interface a component of each implements. */
export interface BuildingBlocks {
  state: StateStore;
  pubsub: PubSub;
  secrets: SecretStoreComponent;
  configuration: ConfigurationStore;
  lock: LockStore;
}
export type BuildingBlock = keyof BuildingBlocks;

/** What components are built with. */
export interface ComponentDeps {
  connections: RedisConnections;
  logger: Logger;
  /** The platform's secret key (for secretstores.isola). */
  secretKey: Buffer;
  /** The data of the in-memory components (and topics), the sidecar's own or its host's. */
  memory: MemoryBackends;
  /**
   * Where secretstores.isola reads a function's secrets when not from the platform's secret store
   * in Redis: a host running functions without Redis (isola dev: their .dev.vars).
   */
  functionSecrets?: Pick<PlatformSecretStore, 'values'> | undefined;
}

/** What one component is built with: the shared deps, and where relative paths in its metadata (secretsFile) start. */
export interface ComponentContext extends ComponentDeps {
  /** The folder of the file that defines it (the working directory for default components). */
  baseDir: string;
}

const numeric = z.string().regex(/^\d+$/, 'must be a whole number');
const redisMetadata = {
  redisHost: z.string().regex(/^[^\s:/]+(:\d{1,5})?$/, 'must be host or host:port').optional(),
  redisUsername: z.string().optional(),
  redisPassword: z.string().optional(),
  redisDB: z.string().regex(/^\d{1,2}$/, 'must be a database number (0-15 on a default Redis)').optional(),
  enableTLS: z.enum(['true', 'false']).optional(),
};
/** Governance settings every component takes (see Governor). */
export const governanceMetadata = {
  timeoutMs: numeric.optional(),
  maxRetries: numeric.optional(),
  retryBaseMs: numeric.optional(),
  breakerFailures: numeric.refine((value) => Number(value) >= 1, 'must be at least 1').optional(),
  breakerCooldownMs: numeric.optional(),
};
/**
 * How keys of function callers are prefixed (Dapr's keyPrefix): `appid` (default) the function's
 * name, `none` no prefix (a store shared by every function binding it), `name` the component's
 * name, anything else that text.
 */
const keyPrefixMetadata = { keyPrefix: z.string().min(1).optional() };

interface ComponentKind<B extends BuildingBlock, M extends z.ZodRawShape> {
  block: B;
  summary: string;
  /** Metadata beyond the governance settings; other names are refused. */
  metadata: M;
  /** Dapr's capability names for GET /v1.0/metadata. */
  capabilities: string[];
  create(name: string, metadata: z.output<z.ZodObject<M>>, deps: ComponentContext): Promise<BuildingBlocks[B]>;
}

function kind<B extends BuildingBlock, M extends z.ZodRawShape>(definition: ComponentKind<B, M>): ComponentKind<B, M> {
  return definition;
}

/** Every component type the sidecar implements, by Dapr type name. */
export const componentKinds = {
  'state.redis': kind({
    block: 'state',
    summary: 'state in Redis hashes (data + version), as Dapr stores them; ETags, TTL, transactions',
    metadata: { ...redisMetadata, ...keyPrefixMetadata },
    capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL'],
    create: async (_name, metadata, deps) => new RedisStateStore(deps.connections.connect(metadata)),
  }),
  'state.in-memory': kind({
    block: 'state',
    summary: 'state in the sidecar process (lost on restart, not shared between nodes): tests and local runs',
    metadata: { ...keyPrefixMetadata },
    capabilities: ['ETAG', 'TRANSACTIONAL', 'TTL'],
    create: async (name, _metadata, deps) => new MemoryStateStore(deps.memory.state(name)),
  }),
  'pubsub.redis': kind({
    block: 'pubsub',
    summary: "publishes into the platform's topic queues: functions consume them with `queues:`",
    metadata: { ...redisMetadata },
    capabilities: [],
    create: async (_name, metadata, deps) => new RedisPubSub(deps.connections.connect(metadata), 2_000),
  }),
  'pubsub.in-memory': kind({
    block: 'pubsub',
    summary: "publishes into topics in the sidecar process, delivered to local consumers' queue() (isola dev, the testing helper)",
    metadata: {},
    capabilities: [],
    create: async (_name, _metadata, deps) => new MemoryPubSub(deps.memory.topics),
  }),
  'secretstores.local.file': kind({
    block: 'secrets',
    summary: 'secrets from a JSON file (nested keys joined with nestedSeparator); for development',
    metadata: { secretsFile: z.string().min(1), nestedSeparator: z.string().min(1).optional() },
    capabilities: [],
    create: async (name, metadata, deps) => new LocalFileSecretStore(name, resolve(deps.baseDir, metadata.secretsFile), metadata.nestedSeparator ?? ':'),
  }),
  'secretstores.isola': kind({
    block: 'secrets',
    summary: "the platform's function secrets (isola secret put): a function reads its own",
    metadata: { ...redisMetadata },
    capabilities: [],
    create: async (name, metadata, deps) => new IsolaSecretStore(name, deps.functionSecrets ?? new PlatformSecretStore(deps.connections.connect(metadata), deps.secretKey)),
  }),
  'configuration.redis': kind({
    block: 'configuration',
    summary: 'configuration items as Redis strings value||version; subscriptions via keyspace notifications',
    metadata: { ...redisMetadata },
    capabilities: [],
    create: async (name, metadata, deps) => {
      const redis = deps.connections.connect(metadata);
      return RedisConfigurationStore.start(name, redis, deps.connections.connect(metadata, 'subscriber'), Number(redis.options.db ?? 0), deps.logger);
    },
  }),
  'configuration.in-memory': kind({
    block: 'configuration',
    summary: 'configuration items in the sidecar process, with subscriptions: tests and local runs',
    metadata: {},
    capabilities: [],
    create: async (name, _metadata, deps) => new MemoryConfigurationStore(deps.memory.configuration(name)),
  }),
  'lock.redis': kind({
    block: 'lock',
    summary: 'locks as Redis keys (SET NX EX), released only by their owner',
    metadata: { ...redisMetadata, ...keyPrefixMetadata },
    capabilities: [],
    create: async (_name, metadata, deps) => new RedisLockStore(deps.connections.connect(metadata)),
  }),
  'lock.in-memory': kind({
    block: 'lock',
    summary: 'locks in the sidecar process (not shared between nodes): tests and local runs',
    metadata: { ...keyPrefixMetadata },
    capabilities: [],
    create: async () => new MemoryLockStore(),
  }),
} as const;

export type ComponentType = keyof typeof componentKinds;

export function isComponentType(type: string): type is ComponentType {
  return Object.hasOwn(componentKinds, type);
}
