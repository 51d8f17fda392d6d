import type { FastifyInstance } from 'fastify';
import type { InvocationMetrics } from '../metrics/invocation-metrics.js';

/** `GET /metrics`: Prometheus text format, unauthenticated like /healthz (SPEC §4). */
export function registerMetricsRoute(app: FastifyInstance, metrics: InvocationMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
