// FunctionAdmission against the real Redis (a throwaway redis-server).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createLogger } from '../logging/logger.js';
import { redisKeys } from '../store/keys.js';
import { startTestRedis, type TestRedis } from '../testing/index.js';
import { admissionError, concurrencyRetryCapMs, FunctionAdmission, type Admission, type AdmissionDenial, type AdmittedInvocation } from './function-admission.js';

const silent = createLogger({ level: 'silent' });
const minute = 60_000;
let server: TestRedis;
let admission: FunctionAdmission;

before(async () => {
  server = await startTestRedis();
  admission = new FunctionAdmission(server.redis, { logger: silent });
});
after(() => server.stop());

function admitted(result: Admission): AdmittedInvocation {
  assert.equal(result.admitted, true, result.admitted ? '' : result.message);
  return result as AdmittedInvocation;
}

function denied(result: Admission): AdmissionDenial {
  assert.equal(result.admitted, false, 'expected a denial');
  return result as AdmissionDenial;
}

/** Calls per command since the server started, INFO itself left out. */
async function commandCalls(): Promise<Record<string, number>> {
  const info = await server.redis.info('commandstats');
  const calls: Record<string, number> = {};
  for (const [, name, count] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name !== 'info') calls[name as string] = Number(count);
  }
  return calls;
}

test('a function without limits costs no Redis command', async () => {
  const before = await commandCalls();
  for (let index = 0; index < 1000; index += 1) {
    const result = admitted(await admission.admit({ function: 'free', invocationId: `free-${index}`, leaseMs: minute }));
    await result.release();
  }
  assert.deepEqual(await commandCalls(), before);
  // The count does see an admission that has a limit.
  await admission.admit({ function: 'free', invocationId: 'limited', maxInFlight: 1, leaseMs: minute });
  assert.notDeepEqual(await commandCalls(), before);
});

test('maxInFlight holds across two gateways racing 200 admissions', async () => {
  const gateways = [new FunctionAdmission(server.connect(), { logger: silent }), new FunctionAdmission(server.connect(), { logger: silent })];
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, index) =>
      gateways[index % 2]!.admit({ function: 'raced', invocationId: `raced-${index}`, maxInFlight: 7, leaseMs: minute }),
    ),
  );
  const winners = results.filter((result): result is AdmittedInvocation => result.admitted);
  assert.equal(winners.length, 7);
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('raced')), 7);
  for (const result of results.filter((result): result is AdmissionDenial => !result.admitted)) {
    assert.equal(result.reason, 'concurrency');
    assert.match(result.message, /"raced" already runs 7 invocations, its limits\.maxInFlight/);
  }

  await Promise.all(winners.map((winner) => winner.release()));
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('raced')), 0);
  const again = await Promise.all(
    Array.from({ length: 20 }, (_, index) => gateways[index % 2]!.admit({ function: 'raced', invocationId: `again-${index}`, maxInFlight: 7, leaseMs: minute })),
  );
  assert.equal(again.filter((result) => result.admitted).length, 7);
});

test('release frees the slot, and only once', async () => {
  const request = { function: 'released', maxInFlight: 1, leaseMs: minute };
  const first = admitted(await admission.admit({ ...request, invocationId: 'first' }));
  denied(await admission.admit({ ...request, invocationId: 'second' }));
  await first.release();
  await first.release();
  const second = admitted(await admission.admit({ ...request, invocationId: 'second' }));
  await first.release();
  denied(await admission.admit({ ...request, invocationId: 'third' }));
  await second.release();
  admitted(await admission.admit({ ...request, invocationId: 'third' }));
});

test('admission keeps working after Redis forgets its scripts (a restart, SCRIPT FLUSH)', async () => {
  const request = { function: 'flushed', maxInFlight: 1, leaseMs: minute };
  const first = admitted(await admission.admit({ ...request, invocationId: 'before' }));
  await server.redis.script('FLUSH');
  denied(await admission.admit({ ...request, invocationId: 'after' }));
  await server.redis.script('FLUSH');
  await first.release();
  admitted(await admission.admit({ ...request, invocationId: 'after' }));
});

test('an invocation admitted again renews its lease instead of taking a second slot', async () => {
  const request = { function: 'retried', invocationId: 'attempt', maxInFlight: 2, leaseMs: minute };
  const firstAttempt = admitted(await admission.admit(request));
  const secondAttempt = admitted(await admission.admit(request));
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('retried')), 1);
  // The first attempt's late release leaves the second attempt's lease alone.
  await firstAttempt.release();
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('retried')), 1);
  await secondAttempt.release();
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('retried')), 0);
});

test('leases of invocations never released (their process died) stop counting after leaseMs', async () => {
  const request = { function: 'abandoned', maxInFlight: 2, leaseMs: 100 };
  admitted(await admission.admit({ ...request, invocationId: 'lost-1' }));
  admitted(await admission.admit({ ...request, invocationId: 'lost-2' }));
  const refused = denied(await admission.admit({ ...request, invocationId: 'next' }));
  assert.ok(refused.retryAfterMs >= 1 && refused.retryAfterMs <= 100, `retryAfterMs ${refused.retryAfterMs}`);
  await sleep(250);
  admitted(await admission.admit({ ...request, invocationId: 'next' }));
  admitted(await admission.admit({ ...request, invocationId: 'after-next' }));
  assert.deepEqual((await server.redis.zrange(redisKeys.functionInFlight('abandoned'), 0, -1)).sort(), ['after-next', 'next']);
});

test('a concurrency denial says retry within a second, or when the oldest lease runs out if sooner', async () => {
  admitted(await admission.admit({ function: 'busy', invocationId: 'long', maxInFlight: 1, leaseMs: 10 * minute }));
  const capped = denied(await admission.admit({ function: 'busy', invocationId: 'waiting', maxInFlight: 1, leaseMs: 10 * minute }));
  assert.deepEqual([capped.reason, capped.retryAfterMs], ['concurrency', concurrencyRetryCapMs]);

  admitted(await admission.admit({ function: 'brief', invocationId: 'short', maxInFlight: 1, leaseMs: 400 }));
  const sooner = denied(await admission.admit({ function: 'brief', invocationId: 'waiting', maxInFlight: 1, leaseMs: 400 }));
  assert.ok(sooner.retryAfterMs > 0 && sooner.retryAfterMs <= 400, `retryAfterMs ${sooner.retryAfterMs}`);
});

test('the token bucket admits the burst, then refuses until a token is back', async () => {
  // One token per 100 s: none comes back while the test runs.
  const rateLimit = { qps: 0.01, burst: 5 };
  const results: Admission[] = [];
  for (let index = 0; index < 20; index += 1) {
    results.push(await admission.admit({ function: 'bursty', invocationId: `b-${index}`, rateLimit, leaseMs: minute }));
  }
  assert.deepEqual(results.map((result) => result.admitted), [...Array(5).fill(true), ...Array(15).fill(false)]);
  const refused = denied(results[5]!);
  assert.equal(refused.reason, 'rate');
  assert.ok(refused.retryAfterMs > 95_000 && refused.retryAfterMs <= 100_000, `retryAfterMs ${refused.retryAfterMs}`);
  assert.match(refused.message, /"bursty" is over its rate limit of 0\.01 per second \(burst 5, limits\.rateLimit\)/);
  // A rate limit alone takes no lease.
  assert.equal(await server.redis.exists(redisKeys.functionInFlight('bursty')), 0);
});

test('the token bucket refills at qps up to the burst', async () => {
  const rateLimit = { qps: 0.5, burst: 10 };
  const bucket = redisKeys.functionRateBucket('refilled');
  const admitAll = async (count: number) => {
    let admittedCount = 0;
    for (let index = 0; index < count; index += 1) {
      if ((await admission.admit({ function: 'refilled', invocationId: `r-${index}`, rateLimit, leaseMs: minute })).admitted) admittedCount += 1;
    }
    return admittedCount;
  };
  assert.equal(await admitAll(15), 10);
  // Move the bucket's clock back instead of waiting: 4 s at 0.5 per second is 2 tokens.
  await server.redis.hincrby(bucket, 'at', -4_000);
  assert.equal(await admitAll(5), 2);
  // 100 s would be 50 tokens; the burst holds 10.
  await server.redis.hincrby(bucket, 'at', -100_000);
  assert.equal(await admitAll(15), 10);
});

test('the token bucket never admits more than burst plus qps over a second of real time', async () => {
  const rateLimit = { qps: 20, burst: 2 };
  const started = performance.now();
  let admittedCount = 0;
  for (let index = 0; performance.now() - started < 1_000; index += 1) {
    if ((await admission.admit({ function: 'steady', invocationId: `s-${index}`, rateLimit, leaseMs: minute })).admitted) admittedCount += 1;
    await sleep(5);
  }
  const elapsedMs = performance.now() - started;
  assert.ok(admittedCount <= rateLimit.burst + (elapsedMs * rateLimit.qps) / 1000, `${admittedCount} in ${elapsedMs} ms`);
  assert.ok(admittedCount >= 8, `${admittedCount} in ${elapsedMs} ms`);
});

test('with both limits, a denial by one takes nothing from the other', async () => {
  const request = { function: 'both', maxInFlight: 2, rateLimit: { qps: 0.01, burst: 3 }, leaseMs: minute };
  const a = admitted(await admission.admit({ ...request, invocationId: 'a' }));
  const b = admitted(await admission.admit({ ...request, invocationId: 'b' }));
  // Full: refused by concurrency; no token is spent on it.
  assert.equal(denied(await admission.admit({ ...request, invocationId: 'c' })).reason, 'concurrency');
  assert.equal(denied(await admission.admit({ ...request, invocationId: 'c' })).reason, 'concurrency');
  await a.release();
  const c = admitted(await admission.admit({ ...request, invocationId: 'c' }));
  await b.release();
  // Out of tokens with a slot free: refused by rate; no lease is taken for it.
  const refused = denied(await admission.admit({ ...request, invocationId: 'd' }));
  assert.equal(refused.reason, 'rate');
  assert.deepEqual(await server.redis.zrange(redisKeys.functionInFlight('both'), 0, -1), ['c']);
  // Both refuse (c holds the only slot of a lower limit): the one that clears later is reported.
  const both = denied(await admission.admit({ ...request, maxInFlight: 1, invocationId: 'e' }));
  assert.equal(both.reason, 'rate');
  assert.ok(both.retryAfterMs > concurrencyRetryCapMs);
  await c.release();
});

test('idle keys expire, and live under isola:fn:<name>: so deleting a function removes them', async () => {
  const held = admitted(await admission.admit({ function: 'tidy', invocationId: 't', maxInFlight: 3, rateLimit: { qps: 2, burst: 10 }, leaseMs: 30_000 }));
  const leaseTtl = await server.redis.pttl(redisKeys.functionInFlight('tidy'));
  assert.ok(leaseTtl > 25_000 && leaseTtl <= 30_000, `in-flight ttl ${leaseTtl}`);
  // Full again after 10 / 2 = 5 s; a second to spare.
  const bucketTtl = await server.redis.pttl(redisKeys.functionRateBucket('tidy'));
  assert.ok(bucketTtl > 5_000 && bucketTtl <= 6_000, `bucket ttl ${bucketTtl}`);
  // A longer lease keeps the set alive for as long as it holds; a shorter one does not cut it down.
  await admission.admit({ function: 'tidy', invocationId: 'longer', maxInFlight: 3, leaseMs: 90_000 });
  await admission.admit({ function: 'tidy', invocationId: 'shorter', maxInFlight: 3, leaseMs: 1_000 });
  assert.ok((await server.redis.pttl(redisKeys.functionInFlight('tidy'))) > 85_000);
  assert.deepEqual((await server.redis.keys('isola:fn:tidy:*')).sort(), [redisKeys.functionInFlight('tidy'), redisKeys.functionRateBucket('tidy')]);
  await held.release();
});

test('limits fail open with a warning when Redis is unreachable', async () => {
  const warnings: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (warnings.push(chunk.toString()), done()) }));
  const gone = await startTestRedis();
  const client = new Redis(gone.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  await gone.stop();
  try {
    const offline = new FunctionAdmission(client, { logger });
    for (let index = 0; index < 3; index += 1) {
      const result = admitted(await offline.admit({ function: 'orphan', invocationId: `o-${index}`, maxInFlight: 1, leaseMs: minute }));
      await result.release();
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /admission limits not checked \(Redis unavailable\): admitted/);
    assert.match(warnings[0]!, /"function":"orphan"/);
  } finally {
    client.disconnect();
  }
});

test('an admission Redis answers too late is let through, and the lease it took is given back', async () => {
  const slow = new FunctionAdmission(server.connect(), { logger: silent, timeoutMs: 50 });
  const request = { function: 'stalled', invocationId: 'late', maxInFlight: 1, rateLimit: { qps: 0.01, burst: 5 }, leaseMs: minute };
  await slow.admit({ ...request, invocationId: 'warm-up' }).then((result) => (result.admitted ? result.release() : undefined));
  await server.connect().client('PAUSE', 300, 'ALL');
  const started = performance.now();
  admitted(await slow.admit(request));
  assert.ok(performance.now() - started < 250, 'admit waited for the paused server');
  await sleep(500);
  // It did run once the server woke up (a second token is gone), and its lease was released.
  assert.equal(Math.floor(Number(await server.redis.hget(redisKeys.functionRateBucket('stalled'), 'tokens'))), 3);
  assert.equal(await server.redis.zcard(redisKeys.functionInFlight('stalled')), 0);
});

test('admissionError is RATE_LIMITED (429) with Retry-After in whole seconds', () => {
  const error = admissionError({ admitted: false, reason: 'rate', retryAfterMs: 1_200, message: 'over' });
  assert.deepEqual([error.code, error.status, error.retryAfterSeconds, error.message], ['RATE_LIMITED', 429, 2, 'over']);
  assert.deepEqual(error.details, { reason: 'rate', retryAfterMs: 1_200 });
});
