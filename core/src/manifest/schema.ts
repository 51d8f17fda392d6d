import { z } from 'zod';
import { cronExpressionProblem, cronId, normalizeCron, timeZoneProblem } from '../cron/cron-schedule.js';

/** Defaults applied to `limits` when the manifest leaves them out (documented in docs/functions.md). */
export const defaultLimits = { memoryMb: 128, timeoutMs: 10_000, concurrency: 32 } as const;

const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier: letters, digits and _, not starting with a digit');
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label: 1-63 of a-z, 0-9 and -, starting and ending with a letter or digit');
export const componentName = z.string().min(1).max(63).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a component name such as statestore');

/** The burst a `rateLimit` without one gets: one second's worth of requests, at least one. */
export function defaultBurst(qps: number): number {
  return Math.max(1, Math.ceil(qps));
}

// Filled in here, so a stored manifest shows the burst in force.
const rateLimitSchema = z
  .strictObject({
    qps: z.number().positive().max(100_000),
    burst: z.number().int().min(1).optional(),
  })
  .transform(({ qps, burst }) => ({ qps, burst: burst ?? defaultBurst(qps) }));

// memoryMb, timeoutMs and concurrency hold per instance; maxInFlight and rateLimit hold across the
// whole platform (every gateway and worker, sync and async together) and are unlimited when absent.
const limitsSchema = z.strictObject({
  memoryMb: z.number().int().min(16).max(4096).default(defaultLimits.memoryMb),
  timeoutMs: z.number().int().min(10).max(900_000).default(defaultLimits.timeoutMs),
  concurrency: z.number().int().min(1).max(1000).default(defaultLimits.concurrency),
  maxInFlight: z.number().int().min(1).max(100_000).optional(),
  rateLimit: rateLimitSchema.optional(),
});

/** Paths the gateway serves itself (the web console, the API, `/fn/*`, health, metrics): no route may take them. */
export function isReservedPath(path: string): boolean {
  return path === '/' || path === '/index.html' || /^\/(api\/v\d+|fn|console|healthz|readyz|metrics)(\/|$)/.test(path);
}

/**
 * A path as a URL parser leaves it (dot segments resolved, non-ASCII percent-encoded): what the
 * gateway matches routes against, since it is also what a function reads from `request.url`.
 */
export function normalizedUrlPath(path: string): string {
  return new URL(`http://h${path}`).pathname;
}

/** What is wrong with a route's path (one that starts with /), the first rule it breaks only, or null. */
function routePathProblem(path: string): string | null {
  if (path === '/*') return null;
  if (!/^\/[^*]*(\/\*)?$/.test(path)) return 'may hold * only as its last segment (/api/cart/* matches everything under /api/cart)';
  if (isReservedPath(path.endsWith('/*') ? path.slice(0, -2) || '/' : path)) {
    return 'must not be / or /index.html (the web console) nor use a reserved prefix (/api/v1, /fn, /console, /healthz, /readyz, /metrics)';
  }
  if (normalizedUrlPath(path) !== path) {
    return 'must be written as a URL parser reads it: no . or .. segments, no backslashes, characters outside ASCII and quotes percent-encoded';
  }
  return null;
}

const routeSchema = z.strictObject({
  path: z
    .string()
    // The pattern stays in the published JSON Schema for editors; `abort` stops the checks below.
    .regex(/^\/[^\s?#]*$/, { error: 'must start with / and hold no spaces, query or fragment', abort: true })
    .superRefine((path, ctx) => {
      const problem = routePathProblem(path);
      if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
    }),
  methods: z.array(z.enum(httpMethods)).min(1).optional(),
});

/** A `routes:` entry: the HTTP trigger also serves the function at this path. */
export type HttpRoute = z.output<typeof routeSchema>;
export type HttpMethod = (typeof httpMethods)[number];

/** A `crons:` entry; the expression and the zone are checked against node-cron and the runtime's zones (see cron-schedule.ts). */
const cronSchema = z
  .union([z.string(), z.strictObject({ schedule: z.string(), timezone: z.string().min(1).optional() })], {
    error: 'must be a cron expression ("*/5 * * * *") or {schedule, timezone}',
  })
  .superRefine((entry, ctx) => {
    const schedule = typeof entry === 'string' ? entry : entry.schedule;
    const problem = cronExpressionProblem(schedule);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: typeof entry === 'string' ? [] : ['schedule'], message: problem });
    const timezone = typeof entry === 'string' ? undefined : entry.timezone;
    const zoneProblem = timezone === undefined ? null : timeZoneProblem(timezone);
    if (zoneProblem !== null) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zoneProblem });
  });

const queueSchema = z.strictObject({
  topic: componentName,
  batchSize: z.number().int().min(1).max(1000).default(10),
  maxBatchWaitMs: z.number().int().min(0).max(60_000).default(1000),
  maxRetries: z.number().int().min(0).max(100).default(3),
  deadLetter: componentName.optional(),
});

/** Defaults of `async` (documented in docs/async.md). */
export const defaultAsync = { retries: 2, backoff: { baseMs: 1_000, maxMs: 60_000 }, maxQueueDepth: 10_000 } as const;

const backoffSchema = z
  .strictObject({
    baseMs: z.number().int().min(10).max(3_600_000).default(defaultAsync.backoff.baseMs),
    maxMs: z.number().int().min(10).max(24 * 3_600_000).default(defaultAsync.backoff.maxMs),
  })
  .refine((backoff) => backoff.maxMs >= backoff.baseMs, { message: 'maxMs must be at least baseMs', path: ['maxMs'] });

/** Async invocations of the function (SPEC §3): tries after a failure, their spacing, the backlog it may have. */
const asyncSchema = z.strictObject({
  retries: z.number().int().min(0).max(100).default(defaultAsync.retries),
  backoff: backoffSchema.default({ ...defaultAsync.backoff }),
  maxQueueDepth: z.number().int().min(1).max(10_000_000).default(defaultAsync.maxQueueDepth),
});

/** `bindings:` entries: what env.<NAME> holds (docs/bindings.md). Each names a sidecar component, or a function for `service`. */
const bindingSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('state'), store: componentName }),
  z.strictObject({ type: z.literal('pubsub'), pubsub: componentName, topic: componentName }),
  z.strictObject({ type: z.literal('config'), store: componentName }),
  z.strictObject({ type: z.literal('lock'), store: componentName }),
  z.strictObject({ type: z.literal('secret'), store: componentName }),
  z.strictObject({ type: z.literal('service'), function: dnsLabel }),
  // A queue producer: messages published to `topic` on the pub/sub component (by default the one
  // `isola up` starts, defaultComponentNames.pubsub), where queue() consumers receive them.
  z.strictObject({ type: z.literal('queue'), topic: componentName, pubsub: componentName.default('pubsub') }),
]);

const egressHost = z
  .string()
  .regex(/^(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-fA-F:]+\](:\d{1,5})?$/, 'must be a host or host:port, optionally *.domain');

/** The manifest (`isola.yaml`), SPEC §2. One source of truth: JSON Schema is derived from it. */
export const manifestSchema = z
  .strictObject({
    name: dnsLabel,
    main: z.string().min(1).regex(/^(?!\/)(?!.*\.\.)/, 'must be a relative path inside the function folder'),
    limits: limitsSchema.default(limitsSchema.parse({})),
    vars: z.record(identifier, z.string()).default({}),
    secrets: z.array(identifier).default([]),
    routes: z.array(routeSchema).default([]),
    crons: z.array(cronSchema).default([]),
    queues: z.array(queueSchema).default([]),
    async: asyncSchema.default(asyncSchema.parse({})),
    bindings: z.record(identifier, bindingSchema).default({}),
    egress: z.array(egressHost).default([]),
    public: z.boolean().default(false),
  })
  .superRefine((manifest, ctx) => {
    // vars, secrets and bindings share one namespace: env.*
    const seen = new Map<string, string>();
    const claim = (key: string, where: (string | number)[]) => {
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: where, message: `env.${key} is already defined by ${first}` });
      } else {
        seen.set(key, where.join('.'));
      }
    };
    for (const key of Object.keys(manifest.vars)) claim(key, ['vars', key]);
    manifest.secrets.forEach((key, index) => claim(key, ['secrets', index]));
    for (const key of Object.keys(manifest.bindings)) claim(key, ['bindings', key]);
    // One schedule twice would fire once per tick (its ticks share job ids): say so instead.
    const schedules = new Map<string, number>();
    manifest.crons.forEach((entry, index) => {
      const id = cronId(normalizeCron(entry));
      const first = schedules.get(id);
      if (first === undefined) schedules.set(id, index);
      else ctx.addIssue({ code: 'custom', path: ['crons', index], message: `is the same schedule as crons.${first}` });
    });
  });

/** A manifest as written by the author (defaults not yet applied). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A manifest with every default applied: what the platform stores and uses. */
export type Manifest = z.output<typeof manifestSchema>;
export type Limits = Manifest['limits'];
/** `limits.rateLimit` with its burst filled in. */
export type RateLimit = NonNullable<Limits['rateLimit']>;
export type Binding = Manifest['bindings'][string];
/** The kinds of binding, by `type`. */
export type BindingType = Binding['type'];
/** One `queues:` entry: the function consumes that topic. */
export type QueueConsumerConfig = Manifest['queues'][number];
