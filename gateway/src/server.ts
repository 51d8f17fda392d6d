import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  deployArchiveContentTypes,
  manifestJsonSchema,
  type AliasCache,
  type Config,
  type FunctionEvent,
  type FunctionMetricsReader,
  type FunctionStore,
  type InvocationRecorder,
  type Invoker,
  type Logger,
  type LogStore,
  type QueueClient,
  type RecordStore,
  type SecretStore,
  type TokenStore,
  type TokenVerifier,
} from '@isola/core';
import { openApiDocument, registerApiRoutes, defineRoute, type AnyRoute } from './api/route-table.js';
import { BearerAuth } from './auth/bearer.js';
import { clientErrorHandler, frameworkErrors, installErrorHandling, maxPathSegmentLength } from './errors/error-handler.js';
import type { Redis } from 'ioredis';
import { defaultConsoleDir, registerConsole } from './console/console-files.js';
import { functionsApiRoutes } from './routes/functions-api.js';
import { tokensApiRoutes } from './routes/tokens-api.js';
import { clusterApiRoutes } from './routes/cluster-api.js';
import { publishRoute, queuesApiRoutes } from './routes/queues-api.js';
import { cronApiRoutes } from './routes/cron-api.js';
import { observabilityApi } from './routes/observability-api.js';
import { InvocationMetrics } from './metrics/invocation-metrics.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerHealthRoutes, type HealthChecks } from './routes/health.js';
import { invokeRoute, registerHttpTrigger } from './trigger/http-trigger.js';
import { HttpRouteTable } from './trigger/http-route-table.js';
import { rpcRoute } from './trigger/rpc-route.js';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  invoker: Invoker;
  store: FunctionStore;
  tokens: TokenStore;
  secrets: SecretStore;
  functions: AliasCache;
  /** Takes every finished invocation (record, log lines, metrics) off the hot path. */
  recorder: InvocationRecorder;
  records: RecordStore;
  logs: LogStore;
  functionMetrics: FunctionMetricsReader;
  adminToken: string;
  /**
   * The platform's internal credential (sidecarAuthToken of the secret key): platform processes
   * (the sidecar) present it to call RPC methods without an API token. Unset: API tokens only.
   */
  internalToken?: string;
  /** Says where the token can be found, for 401 messages (never the token itself). */
  tokenHint: string;
  redisHealthy: HealthChecks['redis'];
  /** BullMQ producer: async invocations, published messages, queue depths. */
  queues: QueueClient;
  /** A command connection (idempotency keys). */
  redis: Redis;
}

/** Builds the gateway's HTTP server: control-plane API, HTTP trigger, health, web console. Not yet listening. */
export interface Gateway {
  app: FastifyInstance;
  /** Whether `/` serves a built console (else it answers 503 saying how to build one). */
  consoleServed: boolean;
  /** Verifies API tokens (cached; revocations arrive through onEvent): for other entry points such as the gRPC trigger. */
  verifier: TokenVerifier;
  /** The invocation metrics of GET /metrics, for invocations other entry points run. */
  metrics: InvocationMetrics;
  /** Feed every platform event here (token revocations, alias changes...). */
  onEvent(event: FunctionEvent): void;
  /** After the event subscription reconnected: forget what events would have invalidated. */
  forgetCached(): void;
}

export async function createGateway(deps: GatewayDeps): Promise<Gateway> {
  const app = fastify({
    loggerInstance: deps.logger.child({ component: 'gateway' }) as FastifyBaseLogger,
    // One log line per request would cost the hot path; errors are logged where they are mapped.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    routerOptions: { maxParamLength: maxPathSegmentLength, ignoreTrailingSlash: false },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors raised before any route runs, by the router and by Node's HTTP parser, get the same
    // JSON error format as the rest (Node's own answer to a Host-less HTTP/1.1 request has no body).
    frameworkErrors,
    clientErrorHandler,
    http: { requireHostHeader: false },
  });
  installErrorHandling(app);
  const auth = new BearerAuth(deps.adminToken, deps.tokens, deps.tokenHint);
  registerHealthRoutes(app, { redis: deps.redisHealthy, readyWorkers: () => deps.invoker.readyWorkers() });
  const metrics = new InvocationMetrics(() => deps.invoker.readyWorkers());
  registerMetricsRoute(app, metrics);
  const httpRoutes = new HttpRouteTable(deps.store, deps.logger.child({ component: 'http-routes' }));
  await httpRoutes.refresh();
  app.addHook('onClose', async () => httpRoutes.close());
  const trigger = {
    routes: httpRoutes,
    invoker: deps.invoker,
    functions: deps.functions,
    auth,
    maxBodyBytes: deps.config.maxBodyBytes,
    metrics,
    recorder: deps.recorder,
    async: {
      queues: deps.queues,
      redis: deps.redis,
      recorder: deps.recorder,
      asyncMaxBodyBytes: deps.config.asyncMaxBodyBytes,
      idempotencyWindowSeconds: deps.config.idempotencyWindowSeconds,
      callbackAllowedHosts: deps.config.callbackAllowedHosts,
    },
  };
  const queuesDeps = { queues: deps.queues, store: deps.store, maxMessageBytes: deps.config.asyncMaxBodyBytes };
  // Routes that take any body: registered with the trigger, which reads bodies raw.
  const rawBodyRoutes = [invokeRoute(trigger), publishRoute(queuesDeps)];
  const observability = observabilityApi({ store: deps.store, records: deps.records, logs: deps.logs, metrics: deps.functionMetrics });
  // Live tails never finish on their own; closing waits for open requests, so end them first.
  app.addHook('preClose', (done) => {
    observability.endLiveTails();
    done();
  });
  const routes: AnyRoute[] = [
    ...functionsApiRoutes({
      store: deps.store,
      secrets: deps.secrets,
      metrics: deps.functionMetrics,
      functions: deps.functions,
      maxDeployBytes: deps.config.maxDeployBytes,
      queues: deps.queues,
      routes: httpRoutes,
    }),
    ...tokensApiRoutes({ tokens: deps.tokens }),
    ...observability.routes,
    ...queuesApiRoutes(queuesDeps),
    ...clusterApiRoutes({ redis: deps.redis, queues: deps.queues }),
    ...cronApiRoutes({ store: deps.store, queues: deps.queues, recorder: deps.recorder, redis: deps.redis }),
    ...rawBodyRoutes,
    rpcRoute({ invoker: deps.invoker, metrics, recorder: deps.recorder, functions: deps.functions, internalToken: deps.internalToken }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/schemas/manifest.json',
      summary: 'JSON Schema of isola.yaml',
      tag: 'schemas',
      role: null,
      responses: { 200: { description: 'the schema' } },
      handler: async () => manifestJsonSchema(),
    }),
  ];
  let document: Record<string, unknown> = {};
  routes.push(
    defineRoute({
      method: 'GET',
      path: '/api/v1/openapi.json',
      summary: 'This document',
      tag: 'schemas',
      role: null,
      responses: { 200: { description: 'OpenAPI 3.1' } },
      handler: async () => document,
    }),
  );
  // Made after the table is complete, so it lists itself too.
  document = openApiDocument(routes);
  // The API takes JSON (Fastify would also hand it text/plain bodies as strings: 415 instead).
  app.removeContentTypeParser('text/plain');
  // tar.gz deploys arrive raw; the deploy route decodes them (the trigger scope has its own parsers).
  app.addContentTypeParser([...deployArchiveContentTypes], { parseAs: 'buffer', bodyLimit: deps.config.maxDeployBytes }, (_request, body, done) => done(null, body));
  registerApiRoutes(app, routes.filter((route) => !rawBodyRoutes.includes(route)), auth);
  registerHttpTrigger(app, trigger, rawBodyRoutes);
  // Outside the API's route table: no token, and not in the OpenAPI document.
  const consoleServed = await registerConsole(app, deps.config.consoleDir ?? defaultConsoleDir());
  await app.ready();
  return {
    app,
    consoleServed,
    verifier: auth.verifier,
    metrics,
    onEvent: (event) => {
      auth.onEvent(event);
      httpRoutes.onEvent(event);
    },
    forgetCached: () => {
      auth.clear();
      httpRoutes.refreshInBackground();
    },
  };
}
