import { randomBytes } from 'node:crypto';
import {
  callerHeaderValue,
  createLogger,
  FunctionStore,
  loadConfig,
  manifestSchema,
  sidecarAuthToken,
  sidecarHeaders,
  type ConfigOverrides,
} from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { startSidecar, type Sidecar, type SidecarOptions } from '../sidecar.js';
import type { ComponentDefinition } from '../components/component-files.js';

/** A sidecar on a free port over its own test Redis, and what tests need to call it. */
export interface TestSidecar {
  sidecar: Sidecar;
  redis: TestRedis;
  adminToken: string;
  secretKey: Buffer;
  store: FunctionStore;
  /** The headers a worker sends for a function version. */
  functionHeaders(name: string, version: number, extra?: Record<string, string>): Record<string, string>;
  /** Deploys a version (no code) whose manifest binds `bindings`; returns its version number. */
  deploy(name: string, bindings: Record<string, unknown>): Promise<number>;
  /** fetch against the sidecar. */
  call(path: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export interface TestSidecarOptions {
  components?: (redis: TestRedis) => ComponentDefinition[];
  gatewayUrl?: string;
  appUrl?: string;
  config?: ConfigOverrides;
  /** A Redis already started (restarted by the test); default: a new one. */
  redis?: TestRedis;
}

export async function startTestSidecar(options: TestSidecarOptions = {}): Promise<TestSidecar> {
  const redis = options.redis ?? (await startTestRedis());
  const secretKey = randomBytes(32);
  const adminToken = `admin-${randomBytes(12).toString('hex')}`;
  const sidecarOptions: SidecarOptions = {
    config: loadConfig({ env: {}, overrides: { sidecarPort: 0, ...options.config } }),
    logger: createLogger({ level: 'silent' }),
    redisUrl: redis.url,
    secretKey,
    adminToken,
    ...(options.gatewayUrl === undefined ? {} : { gatewayUrl: options.gatewayUrl }),
    appUrl: options.appUrl,
  };
  if (options.components !== undefined) sidecarOptions.components = options.components(redis);
  const sidecar = await startSidecar(sidecarOptions);
  const store = new FunctionStore(redis.redis);
  const token = sidecarAuthToken(secretKey);
  return {
    sidecar,
    redis,
    adminToken,
    secretKey,
    store,
    functionHeaders: (name, version, extra = {}) => ({ [sidecarHeaders.token]: token, [sidecarHeaders.caller]: callerHeaderValue(name, version), ...extra }),
    async deploy(name, bindings) {
      const manifest = manifestSchema.parse({ name, main: 'index.js' });
      // Bindings are read structurally: types the schema learns later (queue) work already.
      (manifest as { bindings: Record<string, unknown> }).bindings = bindings;
      const version = await store.deploy({ manifest, code: '', codeHash: 'test', files: {}, author: 'test' });
      return version.version;
    },
    call: (path, init) => fetch(`${sidecar.url}${path}`, init),
    async stop() {
      await sidecar.close();
      if (options.redis === undefined) await redis.stop();
    },
  };
}
