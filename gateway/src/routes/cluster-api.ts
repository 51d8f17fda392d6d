import { z } from 'zod';
import { readNodeDirectory, type ClusterLoad, type QueueClient } from '@isola/core';
import type { Redis } from 'ioredis';
import { defineRoute, type AnyRoute } from '../api/route-table.js';

export interface ClusterApiDeps {
  redis: Redis;
  queues: QueueClient;
}

const nodeSchema = z.object({
  id: z.string(),
  url: z.string(),
  workers: z.number(),
  capacity: z.number(),
  inFlight: z.number(),
  startedAt: z.number(),
});

const clusterSchema = z.object({
  nodes: z.array(nodeSchema),
  totals: z.object({ nodes: z.number(), workers: z.number(), capacity: z.number(), inFlight: z.number() }),
  queues: z.object({ waiting: z.number(), active: z.number(), delayed: z.number() }),
});

/**
 * The platform's load, for whoever scales the worker nodes (the Kubernetes operator, or a script
 * behind an HPA/KEDA metric): every live node with its capacity and running invocations (as it
 * last announced them, at most a second old), and the async work waiting in every queue.
 */
export function clusterApiRoutes(deps: ClusterApiDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/cluster',
      summary: 'Worker nodes with capacity and invocations running, and the async backlog of every queue: the scaling signal',
      tag: 'cluster',
      role: 'admin',
      responses: { 200: { description: 'the load now', schema: clusterSchema } },
      handler: async () => {
        const [nodes, names] = await Promise.all([readNodeDirectory(deps.redis), deps.queues.knownQueueNames()]);
        const counts = await Promise.all(names.map((name) => deps.queues.counts(name)));
        const sum = <T>(items: T[], of: (item: T) => number) => items.reduce((total, item) => total + of(item), 0);
        return {
          nodes: nodes.map(({ id, url, workers, capacity, inFlight, startedAt }) => ({ id, url, workers, capacity, inFlight, startedAt })),
          totals: {
            nodes: nodes.length,
            workers: sum(nodes, (node) => node.workers),
            capacity: sum(nodes, (node) => node.capacity),
            inFlight: sum(nodes, (node) => node.inFlight),
          },
          queues: { waiting: sum(counts, (c) => c.waiting), active: sum(counts, (c) => c.active), delayed: sum(counts, (c) => c.delayed) },
        } satisfies ClusterLoad;
      },
    }),
  ];
}
