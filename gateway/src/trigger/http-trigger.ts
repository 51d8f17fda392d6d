import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  errorBody,
  platformHeaders,
  statusOf,
  type InvocationOutcome,
  type Invoker,
  type LatestVersionCache,
} from '@isola/core';
import type { BearerAuth } from '../auth/bearer.js';
import type { InvocationMetrics } from '../metrics/invocation-metrics.js';
import { functionNotFound } from '../routes/functions-api.js';

export interface HttpTriggerDeps {
  invoker: Invoker;
  functions: LatestVersionCache;
  auth: BearerAuth;
  maxBodyBytes: number;
  metrics: InvocationMetrics;
}

/** Headers that describe one hop, not the message: never passed between client and function. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization']);
/** Response headers the gateway sets itself from the body it sends. */
const setByGateway = new Set([...hopByHop, 'content-length']);

/**
 * The HTTP trigger (SPEC §5): `ANY /fn/{name}/{path...}` runs the function's `fetch` handler
 * through the scheduler, in a worker process. The function sees the original method, URL,
 * headers and body. Bodies are buffered up to `maxBodyBytes` (413 beyond).
 */
export function registerHttpTrigger(app: FastifyInstance, deps: HttpTriggerDeps): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) => done(null, body));
    const handler = (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) => invokeFunction(request, reply, deps);
    scope.all('/fn/:name', handler);
    scope.all('/fn/:name/*', handler);
  });
}

async function invokeFunction(
  request: FastifyRequest<{ Params: { name: string } }>,
  reply: FastifyReply,
  deps: HttpTriggerDeps,
): Promise<FastifyReply> {
  const started = performance.now();
  const name = request.params.name;
  const fn = await deps.functions.get(name);
  if (fn === null) throw functionNotFound(name);
  const authenticated = !fn.manifest.public;
  if (authenticated) deps.auth.require(request);

  const invocationId = randomUUID();
  const body = request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined;
  const outcome = await deps.invoker.invoke({
    invocationId,
    function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
    limits: fn.manifest.limits,
    trigger: 'http',
    request: {
      method: request.method,
      url: `${request.protocol}://${request.host}${request.url}`,
      headers: forwardedHeaders(request.raw.rawHeaders, authenticated),
      ...(body === undefined ? {} : { body }),
    },
  });

  logFunctionOutput(request, outcome, { function: fn.name, version: fn.version, invocationId });
  const elapsedMs = performance.now() - started;
  const platformMs = elapsedMs - outcome.timings.runMs;
  deps.metrics.record(fn.name, outcome.ok ? outcome.response.status : statusOf(outcome.error.code), outcome, elapsedMs / 1000);
  reply.header(platformHeaders.invocationId, invocationId);
  reply.header(platformHeaders.version, String(fn.version));
  reply.header(platformHeaders.coldStart, String(outcome.coldStart));
  reply.header('server-timing', serverTiming(platformMs, outcome));

  if (!outcome.ok) {
    return reply.code(statusOf(outcome.error.code)).type('application/json').send(errorBody(outcome.error, invocationId));
  }
  const { status, headers, body: responseBody } = outcome.response;
  const cookies: string[] = [];
  for (const [headerName, value] of headers) {
    const lower = headerName.toLowerCase();
    if (setByGateway.has(lower) || lower.startsWith('x-isola-')) continue;
    if (lower === 'set-cookie') cookies.push(value);
    else reply.header(headerName, value);
  }
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  reply.code(status);
  return reply.send(responseBody === undefined ? '' : Buffer.from(responseBody.buffer, responseBody.byteOffset, responseBody.byteLength));
}

/** Raw header pairs minus hop-by-hop headers, and minus the platform token when it was used. */
function forwardedHeaders(rawHeaders: string[], dropAuthorization: boolean): [string, string][] {
  const headers: [string, string][] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const headerName = (rawHeaders[index] as string).toLowerCase();
    if (hopByHop.has(headerName) || (dropAuthorization && headerName === 'authorization')) continue;
    headers.push([headerName, rawHeaders[index + 1] as string]);
  }
  return headers;
}

function serverTiming(platformMs: number, outcome: InvocationOutcome): string {
  const parts = [`isola;dur=${platformMs.toFixed(2)};desc="platform"`];
  if (outcome.timings.loadMs > 0) parts.push(`load;dur=${outcome.timings.loadMs.toFixed(2)};desc="cold start"`);
  parts.push(`fn;dur=${outcome.timings.runMs.toFixed(2)};desc="function"`);
  const { cpuMs, heapBytes } = outcome.timings;
  if (cpuMs !== undefined) parts.push(`cpu;dur=${cpuMs.toFixed(3)};desc="function CPU"`);
  if (heapBytes !== undefined) parts.push(`heap;desc="${heapBytes} bytes used"`);
  return parts.join(', ');
}

/** Whether a pino level (the logger's threshold) lets `info` lines through. */
function infoEnabled(level: string): boolean {
  return level === 'info' || level === 'debug' || level === 'trace';
}

function logFunctionOutput(
  request: FastifyRequest,
  outcome: InvocationOutcome,
  keys: { function: string; version: number; invocationId: string },
): void {
  if ((outcome.logs.length === 0 && outcome.ok) || !infoEnabled(request.log.level)) return;
  for (const line of outcome.logs) request.log.info({ ...keys, source: 'function', fnLevel: line.level, fnTime: line.time }, line.message);
  if (!outcome.ok) request.log.info({ ...keys, error: outcome.error }, 'invocation failed');
}
