import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { manifestJsonSchema, parseManifest, validateManifest } from './parse.js';
import { defaultLimits } from './schema.js';

const full = {
  name: 'cart-api',
  main: 'src/index.ts',
  limits: { memoryMb: 64, timeoutMs: 10000, concurrency: 32 },
  vars: { GREETING: 'hello' },
  secrets: ['STRIPE_KEY'],
  routes: [{ path: '/api/cart/*', methods: ['GET', 'POST'] }],
  crons: ['*/5 * * * *', { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }],
  queues: [{ topic: 'orders', batchSize: 10, maxBatchWaitMs: 1000, maxRetries: 3, deadLetter: 'orders-dlq' }],
  bindings: {
    CART: { type: 'state', store: 'statestore' },
    EVENTS: { type: 'pubsub', pubsub: 'pubsub', topic: 'orders' },
    FLAGS: { type: 'config', store: 'configstore' },
    LOCKS: { type: 'lock', store: 'lockstore' },
    PRICER: { type: 'service', function: 'pricer' },
  },
  egress: ['api.example.com'],
  public: true,
};

describe('manifest schema', () => {
  test('accepts the full example from SPEC §2 unchanged', () => {
    const manifest = parseManifest(full);
    assert.equal(manifest.name, 'cart-api');
    assert.deepEqual(manifest.bindings.PRICER, { type: 'service', function: 'pricer' });
    assert.equal(manifest.queues[0]?.deadLetter, 'orders-dlq');
  });

  test('fills every default for a minimal manifest', () => {
    const manifest = parseManifest({ name: 'hello', main: 'index.js' });
    assert.deepEqual(manifest.limits, defaultLimits);
    assert.deepEqual(manifest.vars, {});
    assert.equal(manifest.public, false);
    assert.deepEqual(manifest.routes, []);
  });

  test('reports every problem by path, not only the first', () => {
    const result = validateManifest({
      name: 'Bad_Name',
      limits: { memoryMb: 4, timeoutMs: 'soon' },
      routes: [{ path: 'no-slash' }, { path: '/api/v1/x' }],
      bindings: { DB: { type: 'state' }, Q: { type: 'kafka' } },
      crons: ['* * *'],
      egress: ['http://x'],
      vars: { GREETING: 1 },
      extra: true,
    });
    assert.equal(result.ok, false);
    const paths = result.ok ? [] : result.problems.map((problem) => problem.path);
    for (const path of [
      'name',
      'main',
      'limits.memoryMb',
      'limits.timeoutMs',
      'routes.0.path',
      'routes.1.path',
      'bindings.DB.store',
      'bindings.Q.type',
      'crons.0',
      'egress.0',
      'vars.GREETING',
      'extra',
    ]) {
      assert.ok(paths.includes(path), `expected a problem at ${path}; got ${paths.join(', ')}`);
    }
  });

  test('routes may not take the paths the gateway serves itself, the web console included', () => {
    for (const path of ['/', '/index.html', '/console', '/console/', '/console/assets/app.js', '/api/v1/x', '/fn/a', '/healthz', '/metrics']) {
      const result = validateManifest({ name: 'x', main: 'i.js', routes: [{ path }] });
      assert.equal(result.ok, false, path);
      assert.match(result.ok ? '' : (result.problems[0]?.message ?? ''), /reserved prefix \(\/api\/v1, \/fn, \/console,/, path);
    }
    for (const path of ['/consoles', '/app/console', '/index.htm', '/shop/']) {
      assert.equal(validateManifest({ name: 'x', main: 'i.js', routes: [{ path }] }).ok, true, path);
    }
  });

  test('a route holds * only as its last segment, and is written as a URL parser reads it (so it matches what clients send)', () => {
    for (const path of ['/*', '/api/cart/*', '/api/*', '/caf%C3%A9/menu', '/a|b']) {
      assert.equal(validateManifest({ name: 'x', main: 'i.js', routes: [{ path }] }).ok, true, path);
    }
    const problems = (path: string) => {
      const result = validateManifest({ name: 'x', main: 'i.js', routes: [{ path }] });
      return result.ok ? '' : result.problems.map((problem) => problem.message).join('; ');
    };
    for (const path of ['/api/cart*', '/a/*/b', '/**', '/a/**']) assert.match(problems(path), /may hold \* only as its last segment/, path);
    for (const path of ['/a/../b', '/a/./b', '/café', '/a\\b', '/a"b']) assert.match(problems(path), /as a URL parser reads it/, path);
    for (const path of ['/fn/*', '/api/v1/*', '/console/*']) assert.match(problems(path), /reserved prefix/, path);
  });

  test('limits.maxInFlight and limits.rateLimit are absent (unlimited) unless set', () => {
    const manifest = parseManifest({ name: 'x', main: 'i.js', limits: { memoryMb: 64 } });
    assert.equal(manifest.limits.maxInFlight, undefined);
    assert.equal(manifest.limits.rateLimit, undefined);
    assert.ok(!('maxInFlight' in manifest.limits) && !('rateLimit' in manifest.limits));
  });

  test('accepts platform-wide limits and fills the burst from qps', () => {
    const limitsOf = (limits: object) => parseManifest({ name: 'x', main: 'i.js', limits }).limits;
    assert.equal(limitsOf({ maxInFlight: 1 }).maxInFlight, 1);
    assert.equal(limitsOf({ maxInFlight: 100_000 }).maxInFlight, 100_000);
    assert.deepEqual(limitsOf({ rateLimit: { qps: 0.5 } }).rateLimit, { qps: 0.5, burst: 1 });
    assert.deepEqual(limitsOf({ rateLimit: { qps: 2.5 } }).rateLimit, { qps: 2.5, burst: 3 });
    assert.deepEqual(limitsOf({ rateLimit: { qps: 100_000 } }).rateLimit, { qps: 100_000, burst: 100_000 });
    assert.deepEqual(limitsOf({ rateLimit: { qps: 10, burst: 1 } }).rateLimit, { qps: 10, burst: 1 });
    const both = limitsOf({ maxInFlight: 8, rateLimit: { qps: 20, burst: 50 }, concurrency: 4 });
    assert.deepEqual(both, { ...defaultLimits, concurrency: 4, maxInFlight: 8, rateLimit: { qps: 20, burst: 50 } });
    // A stored manifest parses to itself.
    assert.deepEqual(parseManifest(parseManifest({ name: 'x', main: 'i.js', limits: both })).limits, both);
  });

  test('reports bad platform-wide limits by path', () => {
    const problemsOf = (limits: object) => {
      const result = validateManifest({ name: 'x', main: 'i.js', limits });
      return result.ok ? [] : result.problems.map((problem) => problem.path);
    };
    for (const maxInFlight of [0, -1, 1.5, 100_001, '10', null]) {
      assert.deepEqual(problemsOf({ maxInFlight }), ['limits.maxInFlight'], `maxInFlight ${String(maxInFlight)}`);
    }
    for (const qps of [0, -0.5, 100_000.5, Infinity, '5']) {
      assert.deepEqual(problemsOf({ rateLimit: { qps } }), ['limits.rateLimit.qps'], `qps ${String(qps)}`);
    }
    for (const burst of [0, 2.5, -1, '3']) {
      assert.deepEqual(problemsOf({ rateLimit: { qps: 1, burst } }), ['limits.rateLimit.burst'], `burst ${String(burst)}`);
    }
    assert.deepEqual(problemsOf({ rateLimit: {} }), ['limits.rateLimit.qps']);
    assert.deepEqual(problemsOf({ rateLimit: { qps: 1, per: 'minute' } }), ['limits.rateLimit.per']);
    assert.deepEqual(problemsOf({ rateLimit: 5 }), ['limits.rateLimit']);
    assert.deepEqual(problemsOf({ maxInFlight: 0, rateLimit: { qps: 0, burst: 0 } }).sort(), [
      'limits.maxInFlight',
      'limits.rateLimit.burst',
      'limits.rateLimit.qps',
    ]);
  });

  test('a queue binding publishes to its topic on the "pubsub" component unless it names another', () => {
    const manifest = parseManifest({ name: 'x', main: 'i.js', bindings: { JOBS: { type: 'queue', topic: 'jobs' }, AUDIT: { type: 'queue', topic: 'audit', pubsub: 'events' } } });
    assert.deepEqual(manifest.bindings.JOBS, { type: 'queue', topic: 'jobs', pubsub: 'pubsub' });
    assert.deepEqual(manifest.bindings.AUDIT, { type: 'queue', topic: 'audit', pubsub: 'events' });
    const result = validateManifest({ name: 'x', main: 'i.js', bindings: { Q: { type: 'queue' }, R: { type: 'queue', topic: 'a b' } } });
    assert.deepEqual(result.ok ? [] : result.problems.map((problem) => problem.path).sort(), ['bindings.Q.topic', 'bindings.R.topic']);
  });

  test('rejects names that collide in env', () => {
    const result = validateManifest({ name: 'x', main: 'i.js', vars: { KEY: 'a' }, secrets: ['KEY'] });
    assert.equal(result.ok, false);
    assert.deepEqual(result.ok ? [] : result.problems.map((problem) => problem.path), ['secrets.0']);
  });

  test('crons: 5 or 6 fields, an optional time zone; a bad expression or zone is named by path', () => {
    const manifest = parseManifest({ name: 'x', main: 'i.js', crons: ['*/5 * * * *', '*/10 * * * * *', { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }] });
    assert.deepEqual(manifest.crons, ['*/5 * * * *', '*/10 * * * * *', { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }]);
    const result = validateManifest({
      name: 'x',
      main: 'i.js',
      crons: ['0 25 * * *', { schedule: '0 0 30 2 *' }, { schedule: '0 9 * * *', timezone: 'Moon/Tranquility' }, { cron: '* * * * *' }, 7],
    });
    assert.deepEqual(result.ok ? [] : result.problems, [
      { path: 'crons.0', message: 'the hour field "25" is not valid (out of range, or not a number, *, range, list or step)' },
      { path: 'crons.1.schedule', message: 'day-of-month "30" never occurs in the months given' },
      { path: 'crons.2.timezone', message: 'unknown time zone "Moon/Tranquility"; use an IANA name such as Europe/Berlin or America/New_York' },
      { path: 'crons.3', message: 'must be a cron expression ("*/5 * * * *") or {schedule, timezone}' },
      { path: 'crons.4', message: 'must be a cron expression ("*/5 * * * *") or {schedule, timezone}' },
    ]);
  });

  test('crons: the same schedule twice is refused (its ticks would fire once)', () => {
    const result = validateManifest({ name: 'x', main: 'i.js', crons: ['0 9 * * *', { schedule: '0  9 * * *', timezone: 'UTC' }, { schedule: '0 9 * * *', timezone: 'Europe/Berlin' }] });
    assert.deepEqual(result.ok ? [] : result.problems, [{ path: 'crons.1', message: 'is the same schedule as crons.0' }]);
  });

  test('rejects names that are not DNS labels', () => {
    for (const name of ['', '-a', 'a-', 'A', 'a_b', 'a'.repeat(64)]) {
      assert.equal(validateManifest({ name, main: 'i.js' }).ok, false, name);
    }
    for (const name of ['a', 'a-b', '0x', 'a'.repeat(63)]) {
      assert.equal(validateManifest({ name, main: 'i.js' }).ok, true, name);
    }
  });

  test('rejects a main path that leaves the function folder', () => {
    assert.equal(validateManifest({ name: 'x', main: '../secret.js' }).ok, false);
    assert.equal(validateManifest({ name: 'x', main: '/etc/passwd' }).ok, false);
  });

  test('parseManifest throws INVALID_MANIFEST with the problems as details', () => {
    assert.throws(
      () => parseManifest({ name: 'x' }),
      (error: unknown) =>
        error instanceof IsolaError &&
        error.code === 'INVALID_MANIFEST' &&
        error.status === 400 &&
        /main/.test(error.message) &&
        Array.isArray((error.details as { problems: unknown[] }).problems),
    );
  });

  test('publishes a JSON Schema editors can use', () => {
    const schema = manifestJsonSchema();
    const properties = schema.properties as Record<string, unknown>;
    assert.ok(properties.name && properties.bindings && properties.limits);
    assert.deepEqual(schema.required, ['name', 'main']);
    const limits = properties.limits as { properties: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
    assert.ok(limits.properties.maxInFlight);
    assert.deepEqual(limits.properties.rateLimit?.required, ['qps']);
    assert.ok(limits.properties.rateLimit?.properties?.burst);
  });
});
