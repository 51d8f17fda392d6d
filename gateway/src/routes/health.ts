import type { FastifyInstance } from 'fastify';

export interface HealthChecks {
  redis: () => Promise<boolean>;
  readyWorkers: () => number;
}

/** Liveness answers whenever the process serves HTTP; readiness needs Redis and a worker. */
export function registerHealthRoutes(app: FastifyInstance, checks: HealthChecks): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const redis = await checks.redis().catch(() => false);
    const workers = checks.readyWorkers();
    const ready = redis && workers > 0;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: { redis, workers } });
  });
}
