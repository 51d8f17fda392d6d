import { readFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { IsolaError } from '../errors/isola-error.js';

const port = z.coerce.number().int().min(0).max(65_535);

/**
 * Every platform setting, its environment variable and its default. `isola.config.yaml` may
 * set the same keys (camelCase); environment variables win over the file.
 */
const settings = {
  host: { env: 'ISOLA_HOST', schema: z.string().min(1).default('127.0.0.1') },
  port: { env: 'ISOLA_PORT', schema: port.default(8080) },
  grpcPort: { env: 'ISOLA_GRPC_PORT', schema: port.default(50051) },
  sidecarPort: { env: 'ISOLA_SIDECAR_PORT', schema: port.default(3500) },
  /** The interface the sidecar listens on: loopback, so only processes of this machine reach it (callers outside need a dapr-api-token). */
  sidecarHost: { env: 'ISOLA_SIDECAR_HOST', schema: z.string().min(1).default('127.0.0.1') },
  /** Where worker processes reach the sidecar, when not http://127.0.0.1:<ISOLA_SIDECAR_PORT> (e.g. another container of the pod). */
  sidecarUrl: { env: 'ISOLA_SIDECAR_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http:// URL' }).optional() },
  /** A folder of Dapr component YAML files; unset: <ISOLA_DATA_DIR>/components when it exists, else the default components on REDIS_URL. */
  sidecarComponents: { env: 'ISOLA_SIDECAR_COMPONENTS', schema: z.string().min(1).optional() },
  /** Where the sidecar reaches a gateway for service invocation, when not http://127.0.0.1:<ISOLA_PORT>. */
  gatewayUrl: { env: 'ISOLA_GATEWAY_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http:// URL' }).optional() },
  dataDir: { env: 'ISOLA_DATA_DIR', schema: z.string().min(1).default('.isola') },
  /** The built web console (index.html and console/assets/) the gateway serves at /; unset: the dist folder of the @isola/console package. */
  consoleDir: { env: 'ISOLA_CONSOLE_DIR', schema: z.string().min(1).optional() },
  adminToken: { env: 'ISOLA_ADMIN_TOKEN', schema: z.string().min(16, 'must be at least 16 characters').optional() },
  workers: { env: 'ISOLA_WORKERS', schema: z.coerce.number().int().min(1).max(256).default(availableParallelism()) },
  redisUrl: { env: 'REDIS_URL', schema: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional() },
  maxBodyBytes: { env: 'ISOLA_MAX_BODY_BYTES', schema: z.coerce.number().int().min(1024).default(6 * 1024 * 1024) },
  maxDeployBytes: { env: 'ISOLA_MAX_DEPLOY_BYTES', schema: z.coerce.number().int().min(1024).default(25 * 1024 * 1024) },
  maxLogBytes: { env: 'ISOLA_MAX_LOG_BYTES', schema: z.coerce.number().int().min(256).default(64 * 1024) },
  instanceIdleTtlMs: { env: 'ISOLA_INSTANCE_IDLE_TTL_MS', schema: z.coerce.number().int().min(100).default(600_000) },
  workerMemoryBudgetMb: { env: 'ISOLA_WORKER_MEMORY_BUDGET_MB', schema: z.coerce.number().int().min(16).default(2_048) },
  workerMaxInstances: { env: 'ISOLA_WORKER_MAX_INSTANCES', schema: z.coerce.number().int().min(1).max(8_000).default(4_000) },
  workerMaxInvocations: { env: 'ISOLA_WORKER_MAX_INVOCATIONS', schema: z.coerce.number().int().min(0).default(0) },
  workerMaxRssMb: { env: 'ISOLA_WORKER_MAX_RSS_MB', schema: z.coerce.number().int().min(0).default(3_072) },
  maxFetches: { env: 'ISOLA_MAX_FETCHES', schema: z.coerce.number().int().min(0).max(10_000).default(50) },
  /** Binding calls (sidecar requests) one invocation may make. */
  maxBindingCalls: { env: 'ISOLA_MAX_BINDING_CALLS', schema: z.coerce.number().int().min(0).max(100_000).default(1_000) },
  heartbeatTimeoutMs: { env: 'ISOLA_HEARTBEAT_TIMEOUT_MS', schema: z.coerce.number().int().min(100).max(600_000).default(5_000) },
  /** AES-256-GCM key for secrets at rest: 32 bytes as base64 or hex; generated into the data dir when unset. */
  secretKey: { env: 'ISOLA_SECRET_KEY', schema: z.string().min(1).optional() },
  /** How long invocation records and log lines are kept, in seconds (default 3 days). */
  recordTtlSeconds: { env: 'ISOLA_RECORD_TTL', schema: z.coerce.number().int().min(60).max(90 * 86_400).default(3 * 86_400) },
  /** Records and log lines kept per function at most (the oldest go first). */
  recordMaxPerFunction: { env: 'ISOLA_RECORD_MAX_PER_FUNCTION', schema: z.coerce.number().int().min(100).max(1_000_000).default(10_000) },
  /** Largest request body an async invocation takes (it is stored in Redis until it runs). */
  asyncMaxBodyBytes: { env: 'ISOLA_ASYNC_MAX_BODY_BYTES', schema: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(256 * 1024) },
  /** How long an Idempotency-Key maps to its first invocation, in seconds (default 24 h). */
  idempotencyWindowSeconds: { env: 'ISOLA_IDEMPOTENCY_WINDOW', schema: z.coerce.number().int().min(1).max(30 * 86_400).default(86_400) },
  /** Hosts (host or host:port, `*.domain` allowed) that X-Isola-Callback-Url may name; none by default. */
  callbackAllowedHosts: {
    env: 'ISOLA_CALLBACK_ALLOWED_HOSTS',
    schema: z
      .union([z.array(z.string()), z.string()])
      .transform((value) => (Array.isArray(value) ? value : value.split(',')).map((host) => host.trim().toLowerCase()).filter((host) => host !== ''))
      .default([]),
  },
  /** Async invocations one worker host runs at once (the rest of its capacity stays for sync traffic). */
  asyncSlots: { env: 'ISOLA_ASYNC_SLOTS', schema: z.coerce.number().int().min(1).max(10_000).default(32) },
  /** How long a worker host holds a queued job without renewing its lock (a dead host's jobs rerun after this). */
  queueLockMs: { env: 'ISOLA_QUEUE_LOCK_MS', schema: z.coerce.number().int().min(500).max(600_000).default(10_000) },
  /** How often worker hosts look for jobs whose host died. */
  queueStalledIntervalMs: { env: 'ISOLA_QUEUE_STALLED_INTERVAL_MS', schema: z.coerce.number().int().min(250).max(600_000).default(5_000) },
  /** Address a worker node's server listens on for invocations from gateways (use 0.0.0.0 across machines). */
  nodeHost: { env: 'ISOLA_NODE_HOST', schema: z.string().min(1).default('127.0.0.1') },
  /** Its port; 0 picks a free one (the node announces the one it got). */
  nodePort: { env: 'ISOLA_NODE_PORT', schema: port.default(0) },
  /** The URL gateways reach the node at, when not http://<ISOLA_NODE_HOST>:<port> (e.g. behind NAT, or a pod IP). */
  nodeAdvertiseUrl: { env: 'ISOLA_NODE_ADVERTISE_URL', schema: z.url({ protocol: /^https?$/, error: 'must be an http:// URL' }).optional() },
  /** Invocations one worker process runs at once; a node with every worker this busy answers 503 OVERLOADED. */
  workerMaxInFlight: { env: 'ISOLA_WORKER_MAX_INFLIGHT', schema: z.coerce.number().int().min(1).max(100_000).default(128) },
  /** How long a stopping worker node waits for running invocations before it hands their jobs back. */
  drainTimeoutMs: { env: 'ISOLA_DRAIN_TIMEOUT_MS', schema: z.coerce.number().int().min(0).max(3_600_000).default(20_000) },
  logLevel: { env: 'ISOLA_LOG_LEVEL', schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') },
} as const;

type Settings = typeof settings;
export type Config = Readonly<{ [K in keyof Settings]: z.output<Settings[K]['schema']> }>;
export type ConfigOverrides = Partial<{ -readonly [K in keyof Settings]: z.input<Settings[K]['schema']> }>;

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of the config file; defaults to $ISOLA_CONFIG or ./isola.config.yaml when present. */
  file?: string;
  /** Highest precedence: values set by the program itself (tests, `isola up` flags). */
  overrides?: ConfigOverrides;
}

/**
 * Loads the configuration once, at an entry point: overrides > environment > file > defaults.
 * Every invalid setting is reported at once, by the variable that set it.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const env = options.env ?? process.env;
  const file = readConfigFile(options.file ?? env.ISOLA_CONFIG);
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, setting] of Object.entries(settings)) {
    const fromOverride = options.overrides?.[key as keyof Settings];
    const fromEnv = env[setting.env] === '' ? undefined : env[setting.env];
    const raw = fromOverride ?? fromEnv ?? file[key];
    const source = fromOverride !== undefined ? key : fromEnv !== undefined ? setting.env : `isola.config.yaml ${key}`;
    const parsed = (setting.schema as z.ZodType).safeParse(raw);
    if (parsed.success) values[key] = parsed.data;
    else problems.push(`${source}=${JSON.stringify(raw)}: ${parsed.error.issues.map((issue) => issue.message).join(', ')}`);
  }
  for (const key of Object.keys(file)) {
    if (!(key in settings)) problems.push(`isola.config.yaml: unknown setting "${key}"`);
  }
  if (problems.length > 0) {
    throw new IsolaError('BAD_REQUEST', `invalid configuration: ${problems.join('; ')}`, { problems });
  }
  values.dataDir = resolve(values.dataDir as string);
  if (values.consoleDir !== undefined) values.consoleDir = resolve(values.consoleDir as string);
  return Object.freeze(values) as Config;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  const file = path ?? 'isola.config.yaml';
  if (!existsSync(file)) {
    if (path !== undefined) throw new IsolaError('BAD_REQUEST', `config file ${path} does not exist (ISOLA_CONFIG)`);
    return {};
  }
  const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new IsolaError('BAD_REQUEST', `config file ${file} must hold a mapping of settings`);
  }
  return parsed as Record<string, unknown>;
}
