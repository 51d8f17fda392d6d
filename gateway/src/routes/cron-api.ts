import type { Redis } from 'ioredis';
import { z } from 'zod';
import {
  cronId,
  CronStateStore,
  cronTimeZone,
  dnsLabel,
  enqueueScheduled,
  functionNotFound,
  functionQueueName,
  IsolaError,
  nextCronTicks,
  normalizeCron,
  platformHeaders,
  type CronSpec,
  type FunctionStore,
  type InvocationRecorder,
  type QueueClient,
} from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';

export interface CronApiDeps {
  store: FunctionStore;
  /** Producer of the function queues (manual runs). */
  queues: QueueClient;
  /** Writes a manual run's `queued` record. */
  recorder: InvocationRecorder;
  /** Commands: the cron state the triggers keep. */
  redis: Redis;
}

const nameParams = z.strictObject({ name: dnsLabel });

const scheduleSchema = z.object({
  id: z.string().describe('stable id of the schedule (expression and zone); names it in run requests and logs'),
  schedule: z.string().describe('the expression as written in the manifest'),
  timezone: z.string().describe('the zone the expression is read in (UTC unless the manifest names one)'),
  nextTicks: z.array(z.string()).describe('the coming ticks, ISO 8601'),
  lastTick: z.string().nullable().describe('the newest tick enqueued, ISO 8601; null before the first'),
  missed: z.object({
    count: z.number().describe('ticks no scheduler enqueued (while none ran), since the schedule first ran'),
    capped: z.boolean().describe('a scan found more than it lists: count is a lower bound'),
    recent: z.array(z.string()).describe('the newest missed ticks, ISO 8601, newest first'),
  }),
});

const errors = {
  400: { description: 'invalid input; `problems` lists each one by path' },
  401: { description: 'no valid token' },
  403: { description: "the token's role or namespace does not allow this" },
  404: { description: 'no such function' },
};

/** A manifest's schedules with their ids, in manifest order. */
function schedulesOf(crons: readonly (string | { schedule: string; timezone?: string | undefined })[]): { spec: CronSpec; id: string }[] {
  return crons.map((entry) => {
    const spec = normalizeCron(entry);
    return { spec, id: cronId(spec) };
  });
}

/**
 * The cron trigger's control plane (SPEC §5): what a function's schedules are, when they fire
 * next, what they last enqueued and what they missed; and running a schedule now.
 */
export function cronApiRoutes(deps: CronApiDeps): AnyRoute[] {
  const state = new CronStateStore(deps.redis);
  const iso = (ms: number) => new Date(ms).toISOString();

  return [
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/crons',
      summary: 'The schedules of the version `latest` serves: next ticks, the last tick enqueued, missed ticks',
      tag: 'cron',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      query: z.strictObject({ next: z.coerce.number().int().min(1).max(100).default(5), missed: z.coerce.number().int().min(0).max(1_000).default(20) }),
      responses: {
        200: { description: 'the schedules, in manifest order', schema: z.object({ function: z.string(), version: z.number(), crons: z.array(scheduleSchema) }) },
        ...errors,
      },
      handler: async ({ params, query }) => {
        const fn = await deps.store.getLatest(params.name);
        if (fn === null) throw functionNotFound(params.name);
        const schedules = schedulesOf(fn.manifest.crons);
        const states = await state.read(params.name, schedules.map((entry) => entry.id), query.missed);
        const now = Date.now();
        return {
          function: fn.name,
          version: fn.version,
          crons: schedules.map(({ spec, id }) => {
            const known = states.get(id);
            return {
              id,
              schedule: spec.schedule,
              timezone: cronTimeZone(spec),
              nextTicks: nextCronTicks(spec, now, query.next).map(iso),
              lastTick: known?.lastTick == null ? null : iso(known.lastTick),
              missed: { count: known?.missedCount ?? 0, capped: known?.missedCapped ?? false, recent: (known?.recentMissed ?? []).map(iso) },
            };
          }),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/v1/functions/{name}/crons/run',
      summary: 'Run a schedule now: enqueue the function\'s `scheduled` invocation with scheduledTime = now (async, like a tick)',
      tag: 'cron',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      body: z.strictObject({ cron: z.string().min(1).max(200).optional().describe('the schedule\'s id or expression; default the first') }),
      responses: {
        202: {
          description: 'enqueued; GET /api/v1/invocations/{invocationId} follows it',
          schema: z.object({ invocationId: z.string(), id: z.string(), cron: z.string(), scheduledTime: z.string() }),
        },
        ...errors,
        400: { description: 'the function has no such schedule, or none' },
        429: { description: 'the function already has async.maxQueueDepth invocations waiting' },
      },
      handler: async ({ params, body, reply }) => {
        const fn = await deps.store.getLatest(params.name);
        if (fn === null) throw functionNotFound(params.name);
        const { spec, id } = chooseSchedule(params.name, schedulesOf(fn.manifest.crons), body.cron);
        if ((await deps.queues.depth(functionQueueName(fn.name))) >= fn.manifest.async.maxQueueDepth) {
          throw new IsolaError('RATE_LIMITED', `function "${fn.name}" already has ${fn.manifest.async.maxQueueDepth} async invocations waiting (async.maxQueueDepth); retry later`).retryAfter(5_000);
        }
        const scheduledTime = Date.now();
        const invocationId = await enqueueScheduled(deps, fn, spec, { scheduledTime });
        reply.header(platformHeaders.invocationId, invocationId);
        reply.header(platformHeaders.version, String(fn.version));
        reply.code(202);
        return { invocationId, id, cron: spec.schedule, scheduledTime: iso(scheduledTime) };
      },
    }),
  ];
}

/** The schedule a run names by id or expression (spaces collapsed), else the first. */
function chooseSchedule(name: string, schedules: { spec: CronSpec; id: string }[], wanted: string | undefined): { spec: CronSpec; id: string } {
  const listed = () => schedules.map(({ spec, id }) => `${id} (${JSON.stringify(spec.schedule)}${spec.timezone === undefined ? '' : ` ${cronTimeZone(spec)}`})`).join(', ');
  if (schedules.length === 0) throw new IsolaError('BAD_REQUEST', `function "${name}" has no schedules; add crons: to its manifest and deploy it`);
  if (wanted === undefined) return schedules[0] as { spec: CronSpec; id: string };
  const expression = wanted.trim().split(/\s+/).join(' ');
  const byId = schedules.find((entry) => entry.id === wanted);
  if (byId !== undefined) return byId;
  const byExpression = schedules.filter((entry) => entry.spec.schedule.split(/\s+/).join(' ') === expression);
  if (byExpression.length === 1) return byExpression[0] as { spec: CronSpec; id: string };
  if (byExpression.length > 1) throw new IsolaError('BAD_REQUEST', `function "${name}" has "${expression}" in several time zones; name one by its id: ${listed()}`);
  throw new IsolaError('BAD_REQUEST', `function "${name}" has no schedule "${wanted}"; its schedules (id and expression): ${listed()}`);
}
