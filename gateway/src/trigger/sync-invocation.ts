// What every synchronous invocation the gateway answers goes through (the HTTP trigger, the
// invoke route, the RPC route): the call to the invoker, then the function's output in the log,
// the metrics, the record, and the platform headers of SPEC §3 on the reply.
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  errorBody,
  logFunctionOutput,
  platformHeaders,
  statusOf,
  type ErrorShape,
  type InvocationOutcome,
  type InvocationRecorder,
  type InvocationRequest,
  type InvocationTrigger,
  type Invoker,
} from '@isola/core';
import type { InvocationMetrics } from '../metrics/invocation-metrics.js';

export interface SyncInvocationDeps {
  invoker: Invoker;
  metrics: InvocationMetrics;
  recorder: InvocationRecorder;
}

/**
 * Runs `invocation` and accounts for it; the reply gets X-Isola-Invocation-Id, X-Isola-Version,
 * X-Isola-Cold-Start and Server-Timing. `started` is when the gateway received the request
 * (performance.now()).
 */
export async function invokeSync(
  deps: SyncInvocationDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  invocation: InvocationRequest,
  trigger: InvocationTrigger,
  started: number,
): Promise<InvocationOutcome> {
  const outcome = await deps.invoker.invoke(invocation);
  const { invocationId, function: fn } = invocation;
  logFunctionOutput(request.log, outcome, { function: fn.name, version: fn.version, invocationId });
  const elapsedMs = performance.now() - started;
  const platformMs = elapsedMs - outcome.timings.runMs;
  const httpStatus = outcome.ok ? outcome.response.status : statusOf(outcome.error.code);
  deps.metrics.record(fn.name, httpStatus, outcome, elapsedMs / 1000);
  deps.recorder.record({ request: invocation, outcome, trigger, elapsedMs, httpStatus });
  reply.header(platformHeaders.invocationId, invocationId);
  reply.header(platformHeaders.version, String(fn.version));
  reply.header(platformHeaders.coldStart, String(outcome.coldStart));
  reply.header('server-timing', serverTiming(platformMs, outcome));
  return outcome;
}

/** Answers a failed invocation: its error as JSON with the code's status (and Retry-After when it has one). */
export function sendFailure(reply: FastifyReply, error: ErrorShape, invocationId: string): FastifyReply {
  if (error.retryAfterMs !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
  return reply.code(statusOf(error.code)).type('application/json').send(errorBody(error, invocationId));
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
