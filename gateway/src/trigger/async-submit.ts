import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import {
  bodyDigest,
  claimIdempotencyKey,
  functionQueueName,
  IsolaError,
  platformHeaders,
  redisKeys,
  type FunctionVersion,
  type HttpRequestPayload,
  type InvocationJobData,
  type InvocationRecorder,
  type QueueClient,
} from '@isola/core';

export interface AsyncSubmitDeps {
  queues: QueueClient;
  /** Commands (idempotency keys, record lookups). */
  redis: Redis;
  recorder: InvocationRecorder;
  asyncMaxBodyBytes: number;
  idempotencyWindowSeconds: number;
  callbackAllowedHosts: readonly string[];
}

/**
 * Whether the caller asked for an async invocation: `X-Isola-Invoke: async` or `?async=true`.
 * Any other value of either is refused, so a typo never silently runs the function in sync.
 */
export function wantsAsync(request: FastifyRequest): boolean {
  const header = request.headers[platformHeaders.invoke];
  const query = (request.query as Record<string, unknown> | undefined)?.async;
  let wanted = false;
  if (header !== undefined) {
    const value = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
    if (value !== 'async' && value !== 'sync') throw new IsolaError('BAD_REQUEST', `X-Isola-Invoke must be "async" or "sync", got ${JSON.stringify(value)}`);
    wanted = value === 'async';
  }
  if (query !== undefined) {
    if (query !== 'true' && query !== 'false') throw new IsolaError('BAD_REQUEST', `the async query parameter must be true or false, got ${JSON.stringify(query)}`);
    wanted ||= query === 'true';
  }
  return wanted;
}

/**
 * Accepts an async invocation (SPEC §3): checks the body size, the callback URL and the
 * function's backlog, deduplicates by Idempotency-Key, stores the job (durable from here on:
 * BullMQ on Redis), records it as `queued` and answers 202 with its id.
 */
export async function submitAsync(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: AsyncSubmitDeps,
  job: { fn: FunctionVersion; invocationId: string; trigger: 'http' | 'invoke'; payload: HttpRequestPayload },
): Promise<FastifyReply> {
  const { fn, payload } = job;
  const body = payload.body;
  if (body !== undefined && body.byteLength > deps.asyncMaxBodyBytes) {
    throw new IsolaError('PAYLOAD_TOO_LARGE', `an async invocation takes a body of at most ${deps.asyncMaxBodyBytes} bytes (ISOLA_ASYNC_MAX_BODY_BYTES); this one has ${body.byteLength}. Invoke it synchronously, or pass a reference to the data instead`);
  }
  const callbackUrl = callbackUrlOf(request, deps.callbackAllowedHosts);
  const queueName = functionQueueName(fn.name);
  if ((await deps.queues.depth(queueName)) >= fn.manifest.async.maxQueueDepth) {
    throw new IsolaError('RATE_LIMITED', `function "${fn.name}" already has ${fn.manifest.async.maxQueueDepth} async invocations waiting (async.maxQueueDepth); retry later`).retryAfter(5_000);
  }

  let invocationId = job.invocationId;
  const idempotencyKey = request.headers['idempotency-key'];
  let resubmit = true;
  if (typeof idempotencyKey === 'string') {
    const claim = await claimIdempotencyKey(deps.redis, {
      function: fn.name,
      key: idempotencyKey,
      bodyDigest: bodyDigest(body),
      invocationId,
      windowSeconds: deps.idempotencyWindowSeconds,
    });
    if (!claim.owner) {
      invocationId = claim.invocationId;
      // The first submission may have claimed the key and died before storing its job: then
      // store it now, under the same id (BullMQ takes a job id once, so this cannot run twice).
      resubmit = !(await alreadyStored(deps, queueName, invocationId));
    }
  }
  if (resubmit) {
    const submittedAt = Date.now();
    const data: InvocationJobData = {
      invocationId,
      function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
      limits: fn.manifest.limits,
      trigger: job.trigger,
      backoff: fn.manifest.async.backoff,
      submittedAt,
      request: {
        method: payload.method,
        url: payload.url,
        headers: payload.headers.filter(([name]) => name !== platformHeaders.invoke && name !== platformHeaders.callbackUrl && name !== 'idempotency-key'),
        ...(body === undefined ? {} : { bodyBase64: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64') }),
      },
      ...(callbackUrl === undefined ? {} : { callbackUrl }),
    };
    const maxAttempts = fn.manifest.async.retries + 1;
    // In parallel: a record written before its job cannot replace a later one (it is set only if absent).
    await Promise.all([
      deps.queues.submitInvocation(data, maxAttempts),
      deps.recorder.recordQueued({ invocationId, function: fn.name, version: fn.version, trigger: job.trigger, submittedAt, maxAttempts }),
    ]);
  }
  reply.header(platformHeaders.invocationId, invocationId);
  reply.header(platformHeaders.version, String(fn.version));
  return reply.code(202).send({ invocationId });
}

async function alreadyStored(deps: AsyncSubmitDeps, queueName: string, invocationId: string): Promise<boolean> {
  const [state, record] = await Promise.all([deps.queues.queue(queueName).getJobState(invocationId), deps.redis.exists(redisKeys.invocationRecord(invocationId))]);
  return state !== 'unknown' || record === 1;
}

/** X-Isola-Callback-Url, checked: an absolute http(s) URL to a host in ISOLA_CALLBACK_ALLOWED_HOSTS. */
function callbackUrlOf(request: FastifyRequest, allowed: readonly string[]): string | undefined {
  const header = request.headers[platformHeaders.callbackUrl];
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new IsolaError('BAD_REQUEST', `X-Isola-Callback-Url must be an absolute http or https URL, got ${JSON.stringify(value.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IsolaError('BAD_REQUEST', 'X-Isola-Callback-Url must be an http or https URL');
  if (url.username !== '' || url.password !== '') throw new IsolaError('BAD_REQUEST', 'X-Isola-Callback-Url must not hold credentials');
  if (!hostAllowed(url, allowed)) {
    throw new IsolaError(
      'BAD_REQUEST',
      allowed.length === 0
        ? 'completion callbacks are off: the platform allows no callback hosts (ISOLA_CALLBACK_ALLOWED_HOSTS)'
        : `X-Isola-Callback-Url names ${url.host}, which is not among the allowed callback hosts (ISOLA_CALLBACK_ALLOWED_HOSTS: ${allowed.join(', ')})`,
    );
  }
  return url.href;
}

/** Whether the URL's host (or host:port) matches an entry: exact, or `*.domain` for its subdomains. */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const hostPort = `${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
  return allowed.some((entry) => {
    if (entry.startsWith('*.')) {
      const [domain, port] = entry.slice(2).split(/:(?=\d+$)/);
      return host.endsWith(`.${domain}`) && (port === undefined || hostPort.endsWith(`:${port}`));
    }
    return entry === host || entry === hostPort;
  });
}
