import type { AddressInfo } from 'node:net';
import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { FunctionStore, TokenStore, TokenVerifier, type Config, type Logger, type SecretStore } from '@isola/core';
import { registerConfigurationApi } from './api/configuration-api.js';
import { installErrorHandling } from './api/error-handling.js';
import { registerInvokeApi } from './api/invoke-api.js';
import { registerLockApi } from './api/lock-api.js';
import { registerMetadataApi } from './api/metadata-api.js';
import { registerPubSubApi } from './api/pubsub-api.js';
import { registerSecretsApi } from './api/secrets-api.js';
import { registerStateApi } from './api/state-api.js';
import { CallerAuth } from './auth/caller-auth.js';
import { defaultComponents, loadComponentsDir, type ComponentDefinition } from './components/component-files.js';
import { Components } from './components/components.js';
import { MemoryBackends } from './components/memory-backends.js';
import { RedisConnections } from './components/redis-connections.js';
import { SidecarMetrics } from './governance/sidecar-metrics.js';
import { GatewayClient } from './invoke/gateway-client.js';

export interface SidecarOptions {
  /** sidecarHost, sidecarPort (0: any free port), maxBodyBytes, asyncMaxBodyBytes. */
  config: Config;
  logger: Logger;
  /**
   * The platform's Redis (function manifests, tokens, topics; the default components' server).
   * Undefined: the sidecar runs without Redis (isola dev, the testing helper): `functions` says
   * what each calling version binds, only the admin token is taken from outside callers, and
   * the components must need no Redis (in-memory ones, files).
   */
  redisUrl?: string | undefined;
  /** The platform's secret key: the internal credential, and the platform's secret store. */
  secretKey: Buffer;
  adminToken: string;
  /** A folder of Dapr component YAML files; undefined: the default components. */
  componentsDir?: string | undefined;
  /** Components given directly (tests, embedding); beats componentsDir. */
  components?: readonly ComponentDefinition[];
  /** Where function calls go: a gateway's base URL (or later, with setGatewayUrl). */
  gatewayUrl?: string | undefined;
  /** Dapr's app channel, for configuration subscriptions in Dapr's form; optional. */
  appUrl?: string | undefined;
  /** The id `GET /v1.0/metadata` answers. Default "isola". */
  appId?: string;
  /** Where calling function versions' manifests are read; default the platform's function store (Redis). */
  functions?: Pick<FunctionStore, 'getVersion'>;
  /** The data of the in-memory components, kept by the host (see MemoryBackends); default the sidecar's own. */
  memory?: MemoryBackends;
  /** Where secretstores.isola reads functions' secrets; default the platform's secret store (Redis). */
  functionSecrets?: Pick<SecretStore, 'values'>;
}

export interface Sidecar {
  /** Where it listens, e.g. http://127.0.0.1:3500. */
  url: string;
  app: FastifyInstance;
  /** Where function calls go from now on. */
  setGatewayUrl(url: string): void;
  close(): Promise<void>;
}

/**
 * Starts the sidecar (SPEC §6): reads and starts the components (a broken component file or an
 * unreachable backend stops the start with every problem listed), then serves the Dapr HTTP API.
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const logger = options.logger.child({ component: 'sidecar' });
  const definitions = options.components ?? (options.componentsDir === undefined ? defaultComponents() : loadComponentsDir(options.componentsDir));
  const metrics = new SidecarMetrics();
  const connections = new RedisConnections(options.redisUrl, logger);
  const cleanup: (() => Promise<unknown>)[] = [() => connections.close()];
  try {
    const platform = platformLinks(options, cleanup);
    const components = await Components.start(definitions, {
      connections,
      logger,
      secretKey: options.secretKey,
      metrics,
      memory: options.memory ?? new MemoryBackends(),
      functionSecrets: options.functionSecrets,
    });
    cleanup.unshift(() => components.close());
    const auth = new CallerAuth(options.secretKey, new TokenVerifier(options.adminToken, platform.tokens, 'use an admin token: ISOLA_ADMIN_TOKEN or one from POST /api/v1/tokens'), platform.functions);
    cleanup.unshift(await platform.follow(auth));
    const gateway = new GatewayClient(options.gatewayUrl, options.secretKey);
    cleanup.unshift(() => gateway.close());

    const app = fastify({
      loggerInstance: logger as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: options.config.maxBodyBytes,
      routerOptions: { maxParamLength: 2048 },
      forceCloseConnections: true,
    });
    installErrorHandling(app);
    // Every body is read as bytes and parsed by the route that takes it: Dapr accepts any
    // content type, publish and invoke pass bodies on.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    app.decorateRequest('sidecarCaller', null);

    // Unauthenticated, like Dapr's health endpoints and the platform's /metrics.
    app.get('/v1.0/healthz', async (_request, reply) => reply.code(204).send());
    app.get('/v1.0/healthz/outbound', async (_request, reply) => reply.code(204).send());
    app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

    let configuration: { close(): Promise<void> } | undefined;
    await app.register(async (api) => {
      api.addHook('onRequest', async (request) => {
        request.sidecarCaller = await auth.resolve(request.headers);
      });
      registerMetadataApi(api, components, options.appId ?? 'isola');
      registerStateApi(api, components);
      registerPubSubApi(api, components, options.config.asyncMaxBodyBytes);
      registerSecretsApi(api, components);
      registerLockApi(api, components);
      registerInvokeApi(api, gateway);
      configuration = registerConfigurationApi(api, { components, appUrl: options.appUrl, logger });
    });
    app.addHook('preClose', async () => {
      await configuration?.close();
    });
    await app.listen({ host: options.config.sidecarHost, port: options.config.sidecarPort });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;
    logger.info({ url, components: definitions.map((definition) => `${definition.name} (${definition.type})`) }, 'sidecar listening');
    return {
      url,
      app,
      setGatewayUrl: (gatewayUrl) => gateway.setUrl(gatewayUrl),
      async close() {
        await app.close();
        for (const step of cleanup) await step().catch(() => undefined);
      },
    };
  } catch (error) {
    for (const step of cleanup) await step().catch(() => undefined);
    throw error;
  }
}

/**
 * What the sidecar reads from the platform: API tokens and function manifests, kept fresh by
 * the platform's events (Redis). Without Redis, manifests come from `options.functions` and only
 * the admin token is known. Pushes its own closing onto `cleanup`.
 */
function platformLinks(
  options: SidecarOptions,
  cleanup: (() => Promise<unknown>)[],
): { tokens: Pick<TokenStore, 'verify'>; functions: Pick<FunctionStore, 'getVersion'>; follow(auth: CallerAuth): Promise<() => Promise<unknown>> } {
  if (options.redisUrl === undefined) {
    if (options.functions === undefined) throw new Error('a sidecar without Redis (no redisUrl) needs `functions` to read the manifests of the functions calling it');
    return { tokens: { verify: async () => null }, functions: options.functions, follow: async () => async () => undefined };
  }
  const platform = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  for (const redis of [platform, subscriber]) redis.on('error', () => undefined); // reported by the component connections
  cleanup.push(
    async () => platform.quit().catch(() => platform.disconnect()),
    async () => subscriber.quit().catch(() => subscriber.disconnect()),
  );
  return {
    tokens: new TokenStore(platform),
    functions: options.functions ?? new FunctionStore(platform),
    async follow(auth) {
      const unsubscribe = await FunctionStore.subscribe(subscriber, (event) => auth.onEvent(event));
      subscriber.on('ready', () => auth.clear());
      return unsubscribe;
    },
  };
}
