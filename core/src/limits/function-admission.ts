import type { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import type { Logger } from '../logging/logger.js';
import type { RateLimit } from '../manifest/schema.js';
import { redisKeys } from '../store/keys.js';

/** One invocation asking to start, with the function's platform-wide limits (`limits.maxInFlight`, `limits.rateLimit`). */
export interface AdmissionRequest {
  function: string;
  /**
   * Names the invocation's lease. One lease per id: admitting an id that already holds one (the
   * retry of an attempt whose process died) renews it instead of taking a second slot.
   */
  invocationId: string;
  /** Invocations of the function running at once across every process; absent: unlimited. */
  maxInFlight?: number;
  /** Token bucket refilled at `qps` up to `burst`; absent: unlimited. */
  rateLimit?: RateLimit;
  /**
   * How long the slot stays taken when release() never comes (the process died): longer than the
   * invocation may run, e.g. `limits.timeoutMs` plus dispatch slack. Only used with `maxInFlight`.
   */
  leaseMs: number;
}

export interface AdmittedInvocation {
  admitted: true;
  /** Frees the slot. Idempotent, never rejects: if Redis cannot be told, the lease runs out on its own. */
  release(): Promise<void>;
}

export interface AdmissionDenial {
  admitted: false;
  /** Which limit refused; when both did, the one that clears later. */
  reason: 'concurrency' | 'rate';
  /** When trying again may succeed (the Retry-After header). */
  retryAfterMs: number;
  /** Says which limit of which function, for the 429 body. */
  message: string;
}

export type Admission = AdmittedInvocation | AdmissionDenial;

export interface FunctionAdmissionOptions {
  logger: Logger;
  /** How long admit() and release() wait for Redis before giving up on it (see the class doc). */
  timeoutMs?: number;
}

/**
 * A concurrency denial's Retry-After is the time until the oldest lease runs out, but no more
 * than this: leases are sized for the slowest invocation and most invocations end (and release)
 * long before theirs, so a slot usually frees sooner. One second is also the smallest Retry-After
 * the header can say.
 */
export const concurrencyRetryCapMs = 1_000;
const defaultTimeoutMs = 250;
// A bucket that has sat idle long enough to refill completely is the same as no bucket, so the
// key expires then. Past a week (qps far below burst per week) the bucket is allowed to forget.
const maxBucketTtlMs = 7 * 24 * 3_600_000;
const warningIntervalMs = 5_000;
const lostStatuses = new Set(['reconnecting', 'close', 'end']);

// One round trip, atomic: drop expired leases, check both limits, take a lease and a token only
// when both allow it. The clock is Redis's (TIME), one for every process whatever their clocks say;
// Redis ≥ 5 replicates scripts by their effects, so TIME before a write is allowed (7: the only mode).
// KEYS: in-flight sorted set, bucket hash.
// ARGV: invocation id, maxInFlight (0: none), leaseMs, qps (0: none), burst, bucket ttl ms.
// Returns {1, lease expiry µs (0: no lease)} or {0, ms until a lease runs out (-1: room),
// ms until a token is back (-1: one is there)}. Leases count in µs (exact in a double until 2255)
// so two leases of one invocation taken in the same millisecond still differ (see release).
// The bucket counts in ms.
const admitScript = `
local time = redis.call('TIME')
local nowUs = tonumber(time[1]) * 1000000 + tonumber(time[2])
local now = math.floor(nowUs / 1000)
local id, maxInFlight, leaseMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local qps, burst = tonumber(ARGV[4]), tonumber(ARGV[5])
local leaseWait, tokenWait, tokens = -1, -1, 0
if maxInFlight > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', nowUs)
  if not redis.call('ZSCORE', KEYS[1], id) and redis.call('ZCARD', KEYS[1]) >= maxInFlight then
    local earliest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
    leaseWait = math.ceil((earliest - nowUs) / 1000)
  end
end
if qps > 0 then
  local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'at')
  local at = tonumber(bucket[2])
  tokens = tonumber(bucket[1])
  if tokens == nil or at == nil then
    tokens = burst
  elseif now > at then
    tokens = tokens + (now - at) * qps / 1000
  end
  tokens = math.min(tokens, burst)
  if tokens < 1 then
    tokenWait = math.ceil((1 - tokens) * 1000 / qps)
  end
end
if leaseWait >= 0 or tokenWait >= 0 then
  return {0, leaseWait, tokenWait}
end
if qps > 0 then
  redis.call('HSET', KEYS[2], 'tokens', tokens - 1, 'at', now)
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
local expiry = 0
if maxInFlight > 0 then
  expiry = nowUs + leaseMs * 1000
  redis.call('ZADD', KEYS[1], expiry, id)
  if redis.call('PTTL', KEYS[1]) < leaseMs then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
  end
end
return {1, expiry}`;

// Removes the lease only if it is still the one this admission took (same expiry in µs; '0': any),
// so a late release cannot free the lease of a newer attempt of the same invocation. 1 removed, 0 not.
const releaseScript = `
local expiry = redis.call('ZSCORE', KEYS[1], ARGV[1])
if expiry and (ARGV[2] == '0' or tonumber(expiry) == tonumber(ARGV[2])) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0`;

type AdmitReply = [1, number] | [0, number, number];

interface AdmissionCommands {
  isolaAdmit(inFlightKey: string, bucketKey: string, ...args: string[]): Promise<AdmitReply>;
  isolaReleaseLease(inFlightKey: string, invocationId: string, expiry: string): Promise<number>;
}

const unlimited: AdmittedInvocation = Object.freeze({ admitted: true as const, release: () => Promise.resolve() });

class RedisTimeout extends Error {
  constructor(timeoutMs: number) {
    super(`Redis did not answer within ${timeoutMs} ms`);
  }
}

/**
 * Platform-wide admission control for functions: `limits.maxInFlight` (invocations running at
 * once, sync and async together, over every gateway and worker) and `limits.rateLimit` (a token
 * bucket), kept in Redis under `isola:fn:<name>:in-flight` and `isola:fn:<name>:rate`.
 *
 * Each admission is one script call (EVALSHA, EVAL when Redis does not know the script yet) that
 * checks both limits and takes a lease and a token only when both allow it. A lease is a sorted-set
 * entry scored by its expiry, so a process that dies mid-invocation holds its slot for `leaseMs`
 * at most. A function with neither limit costs nothing: admit() answers without calling Redis.
 *
 * When Redis cannot be asked (the connection is lost, the call fails, or no answer comes within
 * `timeoutMs`) the invocation is admitted and a warning logged: the limits fail open. They protect
 * a function and its backends from too much traffic; refusing everything because the place that
 * counts is down would turn a Redis outage into an outage of exactly the functions that asked for
 * protection, while functions without limits kept running. The platform is still bounded by each
 * instance's `concurrency`, the worker pool's capacity (OVERLOADED) and the async queues' depth.
 * An admission that times out but later succeeds is released as soon as its answer arrives.
 *
 * Leaves out: queueing (a denied caller retries or waits; async consumers keep the job), fairness
 * among waiting callers, renewing a lease for invocations longer than `leaseMs`, and Redis Cluster
 * (the two keys of one function would need a hash tag to share a slot).
 */
export class FunctionAdmission {
  private readonly commands: AdmissionCommands;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private lastWarningAt = 0;
  private warningsSkipped = 0;

  constructor(
    private readonly redis: Redis,
    options: FunctionAdmissionOptions,
  ) {
    redis.defineCommand('isolaAdmit', { numberOfKeys: 2, lua: admitScript });
    redis.defineCommand('isolaReleaseLease', { numberOfKeys: 1, lua: releaseScript });
    this.commands = redis as unknown as AdmissionCommands;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  }

  /** Admits the invocation or says which limit refuses it and when to try again. Never rejects for Redis trouble (see above). */
  async admit(request: AdmissionRequest): Promise<Admission> {
    const { maxInFlight, rateLimit } = request;
    if (maxInFlight === undefined && rateLimit === undefined) return unlimited;
    if (!(request.leaseMs >= 1)) throw new IsolaError('INTERNAL', `admission of ${request.function}: leaseMs must be at least 1, not ${request.leaseMs}`);
    // A lost connection would queue the call until it is back; a new one is worth the wait (timeoutMs).
    if (lostStatuses.has(this.redis.status)) return this.admitUnchecked(request, new Error(`the Redis connection is ${this.redis.status}`));
    const inFlightKey = redisKeys.functionInFlight(request.function);
    const reply = this.commands.isolaAdmit(
      inFlightKey,
      redisKeys.functionRateBucket(request.function),
      request.invocationId,
      String(maxInFlight ?? 0),
      String(Math.ceil(request.leaseMs)),
      String(rateLimit?.qps ?? 0),
      String(rateLimit?.burst ?? 0),
      String(rateLimit === undefined ? 0 : bucketTtlMs(rateLimit)),
    );
    let answer: AdmitReply;
    try {
      answer = await this.withinTimeout(reply);
    } catch (error) {
      if (error instanceof RedisTimeout) {
        // Too late to count, but it may still take a lease when it arrives: give that back.
        reply.then(
          (late) => (late[0] === 1 && late[1] > 0 ? this.releaseLease(inFlightKey, request.invocationId, late[1]) : undefined),
          () => undefined,
        );
      }
      return this.admitUnchecked(request, error);
    }
    if (answer[0] === 1) return this.admitted(inFlightKey, request.invocationId, answer[1]);
    return denial(request, answer[1], answer[2]);
  }

  private admitted(inFlightKey: string, invocationId: string, expiry: number): AdmittedInvocation {
    if (expiry === 0) return unlimited; // rate limit only: no lease to give back
    let releasing: Promise<void> | undefined;
    return { admitted: true, release: () => (releasing ??= this.releaseLease(inFlightKey, invocationId, expiry)) };
  }

  private async releaseLease(inFlightKey: string, invocationId: string, expiry: number): Promise<void> {
    try {
      await this.withinTimeout(this.commands.isolaReleaseLease(inFlightKey, invocationId, String(expiry)));
    } catch (error) {
      this.warn(error, { invocationId, inFlightKey }, 'could not release an admission lease; it runs out on its own');
    }
  }

  private admitUnchecked(request: AdmissionRequest, error: unknown): AdmittedInvocation {
    this.warn(error, { function: request.function, invocationId: request.invocationId }, 'admission limits not checked (Redis unavailable): admitted');
    return unlimited;
  }

  private withinTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(this.timeoutMs)), this.timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  // An outage makes every invocation fail the check: one line per few seconds is enough.
  private warn(error: unknown, fields: Record<string, string>, message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt < warningIntervalMs) {
      this.warningsSkipped += 1;
      return;
    }
    this.logger.warn({ component: 'admission', err: error, ...fields, skippedSinceLastWarning: this.warningsSkipped }, message);
    this.lastWarningAt = now;
    this.warningsSkipped = 0;
  }
}

/** The RATE_LIMITED (429) error for a denial, with Retry-After set. */
export function admissionError(denial: AdmissionDenial): IsolaError {
  return new IsolaError('RATE_LIMITED', denial.message, { reason: denial.reason, retryAfterMs: denial.retryAfterMs }).retryAfter(denial.retryAfterMs);
}

function denial(request: AdmissionRequest, leaseWaitMs: number, tokenWaitMs: number): AdmissionDenial {
  const concurrencyWaitMs = leaseWaitMs < 0 ? -1 : Math.max(1, Math.min(leaseWaitMs, concurrencyRetryCapMs));
  if (tokenWaitMs > concurrencyWaitMs) {
    const { qps, burst } = request.rateLimit as RateLimit;
    return {
      admitted: false,
      reason: 'rate',
      retryAfterMs: tokenWaitMs,
      message: `function "${request.function}" is over its rate limit of ${qps} per second (burst ${burst}, limits.rateLimit); retry in ${tokenWaitMs} ms`,
    };
  }
  return {
    admitted: false,
    reason: 'concurrency',
    retryAfterMs: concurrencyWaitMs,
    message: `function "${request.function}" already runs ${request.maxInFlight} invocations, its limits.maxInFlight; retry in ${concurrencyWaitMs} ms`,
  };
}

function bucketTtlMs({ qps, burst }: RateLimit): number {
  return Math.min(Math.ceil((burst * 1000) / qps) + 1000, maxBucketTtlMs);
}
