import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  dnsLabel,
  functionNotFound,
  inNamespace,
  invocationStatuses,
  isStreamId,
  IsolaError,
  logLevels,
  type FunctionMetricsReader,
  type FunctionStore,
  type LogStore,
  type RecordStore,
  type StoredLogLine,
} from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';

export interface ObservabilityApiDeps {
  store: FunctionStore;
  records: RecordStore;
  logs: LogStore;
  metrics: FunctionMetricsReader;
  /** How often a live tail sends a comment to keep proxies from closing an idle stream. */
  heartbeatMs?: number;
  /** Live tails one gateway serves at once (each holds a Redis connection). Default 200. */
  maxFollowers?: number;
}

const nameParams = z.strictObject({ name: dnsLabel });
const errors = {
  400: { description: 'invalid input; `problems` lists each one by path' },
  401: { description: 'no valid token' },
  403: { description: "the token's role or namespace does not allow this" },
};
const notFound = { 404: { description: 'no such function' } };
/** Query strings carry numbers as text. */
const integerText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,9}$/, 'must be a whole number')
    .transform(Number)
    .refine((value) => value >= min && value <= max, `must be from ${min} to ${max}`);
const bound = z
  .string()
  .max(64)
  .regex(/^(\d{1,15}(-\d{1,20})?|\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)$/, 'epoch milliseconds, an ISO 8601 time, or a log line id such as 1735689600000-0');

/** A time in a query: epoch milliseconds or ISO 8601, as epoch milliseconds. */
const timeText = z
  .string()
  .max(64)
  .regex(/^(\d{1,15}|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/, 'epoch milliseconds or an ISO 8601 time such as 2025-03-01T12:00:00Z')
  .transform((text) => (/^\d+$/.test(text) ? Number(text) : Date.parse(text)))
  .refine((time) => Number.isFinite(time), 'not a valid time');

const logsQuery = z.strictObject({
  since: bound.optional().describe('from this time (inclusive) or after this line id'),
  until: bound.optional().describe('up to this time (inclusive) or before this line id'),
  level: z.enum(logLevels).optional().describe('minimum level'),
  search: z.string().max(200).optional().describe('case-insensitive text the message contains'),
  invocationId: z.string().max(64).optional(),
  limit: integerText(1, 1_000).optional().describe('default 200'),
  follow: z.enum(['true', 'false']).default('false').describe('true: stream new lines as Server-Sent Events'),
});

const storedLogLineSchema = z.object({
  id: z.string(),
  function: z.string(),
  invocationId: z.string(),
  version: z.number(),
  level: z.enum(logLevels),
  time: z.number(),
  message: z.string(),
  truncated: z.literal(true).optional(),
});

export interface ObservabilityApi {
  routes: AnyRoute[];
  /** Ends every live tail (they never end by themselves): call before the server closes. */
  endLiveTails(): void;
}

/** Invocation records, logs (with a live tail over SSE) and per-function metrics (SPEC §4). */
export function observabilityApi(deps: ObservabilityApiDeps): ObservabilityApi {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxFollowers = deps.maxFollowers ?? 200;
  const tails = new Set<AbortController>();
  const mustExist = async (name: string) => {
    if (!(await deps.store.exists(name))) throw functionNotFound(name);
  };

  const routes = [
    defineRoute({
      method: 'GET',
      path: '/api/v1/invocations/{id}',
      summary: 'One invocation: status, version, cold or warm, timings, attempts, result or error, and its first log lines',
      tag: 'invocations',
      role: 'deployer',
      params: z.strictObject({ id: z.string().regex(/^[0-9a-zA-Z-]{1,64}$/, 'an invocation id (X-Isola-Invocation-Id)') }),
      responses: { 200: { description: 'the record' }, ...errors, 404: { description: 'no record of that invocation (never made, or older than ISOLA_RECORD_TTL)' } },
      handler: async ({ params, caller }) => {
        const record = await deps.records.get(params.id);
        // A record outside the caller's namespace is as absent as one never made.
        if (record === null || !inNamespace(record.function, caller.namespace)) {
          throw new IsolaError('NOT_FOUND', `no record of invocation ${params.id}: records are kept for ISOLA_RECORD_TTL after the invocation ends`);
        }
        return record;
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/invocations',
      summary: "A function's invocation records, newest first, by status and start time, a page at a time",
      tag: 'invocations',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      query: z.strictObject({
        status: z.enum(invocationStatuses).optional(),
        since: timeText.optional().describe('only those that started at or after this time (epoch ms or ISO 8601)'),
        until: timeText.optional().describe('only those that started at or before this time (epoch ms or ISO 8601)'),
        limit: integerText(1, 200).optional().describe('default 50'),
        cursor: z.string().max(512).optional().describe('nextCursor of the previous page (with the same status, since and until)'),
      }),
      responses: { 200: { description: 'a page of records and the cursor of the next one (null on the last)' }, ...errors, ...notFound },
      handler: async ({ params, query }) => {
        await mustExist(params.name);
        return deps.records.list(params.name, query);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/logs',
      summary: "A function's console lines by time range, level and text; follow=true streams new ones as Server-Sent Events",
      tag: 'logs',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      query: logsQuery,
      responses: {
        200: {
          description: 'the lines, oldest first, and whether more match beyond them; with follow=true an event stream, one `data:` JSON line per log line, its `id` usable as Last-Event-ID',
          schema: z.object({ lines: z.array(storedLogLineSchema), more: z.boolean() }),
        },
        ...errors,
        ...notFound,
      },
      handler: async ({ params, query, request, reply }) => {
        await mustExist(params.name);
        const filter = {
          ...(query.level === undefined ? {} : { level: query.level }),
          ...(query.search === undefined ? {} : { search: query.search }),
          ...(query.invocationId === undefined ? {} : { invocationId: query.invocationId }),
        };
        if (query.follow === 'true') {
          if (tails.size >= maxFollowers) {
            throw new IsolaError('OVERLOADED', `this gateway already serves ${maxFollowers} live log tails, the most it allows; close one or query without follow=true`);
          }
          const abort = new AbortController();
          tails.add(abort);
          try {
            return await followLogs(request, reply, deps.logs, params.name, filter, heartbeatMs, abort);
          } finally {
            tails.delete(abort);
          }
        }
        return deps.logs.query(params.name, {
          ...filter,
          ...(query.since === undefined ? {} : { since: query.since }),
          ...(query.until === undefined ? {} : { until: query.until }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
        });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/v1/functions/{name}/metrics',
      summary: 'Invocations, errors, cold starts and p50/p95/p99 latency over the last hour, in one-minute buckets',
      tag: 'metrics',
      role: 'deployer',
      scopedToFunction: true,
      params: nameParams,
      responses: { 200: { description: 'the buckets (oldest first) and their totals' }, ...errors, ...notFound },
      handler: async ({ params }) => {
        await mustExist(params.name);
        return { name: params.name, ...(await deps.metrics.lastHour(params.name)) };
      },
    }),
  ];
  return { routes, endLiveTails: () => tails.forEach((tail) => tail.abort()) };
}

/**
 * Streams a function's new log lines as Server-Sent Events until the client goes away. Each
 * line is one event (`id` = the stream id, `data` = the line as JSON); a client that reconnects
 * with Last-Event-ID gets what it missed. A comment every `heartbeatMs` keeps idle proxies open.
 */
async function followLogs(
  request: FastifyRequest,
  reply: FastifyReply,
  logs: LogStore,
  name: string,
  filter: { level?: StoredLogLine['level']; search?: string; invocationId?: string },
  heartbeatMs: number,
  abort: AbortController,
): Promise<FastifyReply> {
  const lastEventId = request.headers['last-event-id'];
  // An id Redis would refuse is ignored like any other junk: the stream starts from now.
  const after = typeof lastEventId === 'string' && isStreamId(lastEventId) ? lastEventId : undefined;
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    // The stream owns its connection: once it ends, the socket closes instead of idling in
    // keep-alive (which held a closing gateway until the client's idle timeout).
    connection: 'close',
  });
  // HEAD has no body: Node would send the headers only with the end, which never came.
  if (request.method === 'HEAD') {
    raw.end();
    return reply;
  }
  const lines = logs.follow(name, { ...filter, signal: abort.signal, ...(after === undefined ? {} : { after }) });
  // Sent at once so clients see the stream open before the first line.
  raw.write(`: following the logs of ${name}\nretry: 1000\n\n`);
  const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), heartbeatMs);
  // The response's close, not the request's: that one fires once the request body is read.
  raw.on('close', () => abort.abort());
  try {
    for await (const line of lines) {
      if (raw.destroyed) break;
      raw.write(`id: ${line.id}\ndata: ${JSON.stringify(line)}\n\n`);
    }
  } catch (error) {
    if (!abort.signal.aborted) {
      request.log.warn({ err: error, function: name }, 'live log stream ended by an error');
      raw.write(`event: error\ndata: ${JSON.stringify({ error: { code: 'INTERNAL', message: `the live log stream stopped: ${(error as Error).message}; reconnect to resume` } })}\n\n`);
    }
  } finally {
    clearInterval(heartbeat);
    raw.end();
  }
  return reply;
}
