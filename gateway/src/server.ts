import fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config, FunctionStore, Invoker, LatestVersionCache, Logger } from '@isola/core';
import { BearerAuth } from './auth/bearer.js';
import { installErrorHandling } from './errors/error-handler.js';
import { registerFunctionsApi } from './routes/functions-api.js';
import { InvocationMetrics } from './metrics/invocation-metrics.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerHealthRoutes, type HealthChecks } from './routes/health.js';
import { registerHttpTrigger } from './trigger/http-trigger.js';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  invoker: Invoker;
  store: FunctionStore;
  functions: LatestVersionCache;
  adminToken: string;
  /** Says where the token can be found, for 401 messages (never the token itself). */
  tokenHint: string;
  redisHealthy: HealthChecks['redis'];
}

/** Builds the gateway's HTTP server: control-plane API, HTTP trigger, health. Not yet listening. */
export async function createGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = fastify({
    loggerInstance: deps.logger.child({ component: 'gateway' }) as FastifyBaseLogger,
    // One log line per request would cost the hot path; errors are logged where they are mapped.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.maxBodyBytes,
    // Function paths may be long and carry any characters their authors choose.
    routerOptions: { maxParamLength: 2048, ignoreTrailingSlash: false },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  installErrorHandling(app);
  const auth = new BearerAuth(deps.adminToken, deps.tokenHint);
  registerHealthRoutes(app, { redis: deps.redisHealthy, readyWorkers: () => deps.invoker.readyWorkers() });
  registerFunctionsApi(app, { store: deps.store, functions: deps.functions, auth, maxDeployBytes: deps.config.maxDeployBytes });
  const metrics = new InvocationMetrics(() => deps.invoker.readyWorkers());
  registerMetricsRoute(app, metrics);
  registerHttpTrigger(app, { invoker: deps.invoker, functions: deps.functions, auth, maxBodyBytes: deps.config.maxBodyBytes, metrics });
  await app.ready();
  return app;
}
