// RPC methods against a real `isola up`: the REST route (API tokens and the platform's internal
// credential with call depth), the gRPC trigger through a real @grpc/grpc-js client generated
// from the shipped proto, and a stock client (`buf curl`) that knows nothing but the address
// and finds the service through server reflection.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { invokerProto, maxCallDepth, parseSecretKey, sidecarAuthToken, sidecarHeaders } from '@isola/core';
import { TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

const maxBodyBytes = 64 * 1024;
const secretKey = randomBytes(32).toString('base64');
const buf = fileURLToPath(new URL('../../../node_modules/.bin/buf', import.meta.url));
const bufCache = mkdtempSync(join(tmpdir(), 'isola-buf-'));

const pricerSource = `export default {
  async fetch() { return new Response('http'); },
  add(a, b) { return a + b; },
  quote(sku, quantity) { return { sku, total: this.price(sku) * quantity, currency: this.env.CURRENCY }; },
  price(sku) { return sku.length * 10; },
  context() { return { metadata: this.ctx.metadata, invocationId: this.ctx.invocationId }; },
  none() {},
  fail(reason) { throw new RangeError('cannot quote: ' + reason); },
  big(bytes) { return 'x'.repeat(bytes); },
  async slow(ms) { await new Promise((resolve) => setTimeout(resolve, ms)); return ms; },
};`;

let platform: SpawnedPlatform;
let admin: TestApi;
let shopToken: string;
/** A client of isola.v1.Invoker on the platform's gRPC port, generated from the shipped proto. */
let client: grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientUnaryCall>;

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_SECRET_KEY: secretKey, ISOLA_MAX_BODY_BYTES: String(maxBodyBytes) } });
  admin = new TestApi(platform.url, platform.token);
  const manifest = { vars: { CURRENCY: 'EUR' }, limits: { timeoutMs: 30_000 } };
  await admin.deploy('shop-pricer', pricerSource, manifest);
  await admin.deploy('billing', pricerSource, manifest);
  await admin.deploy('shop-metered', pricerSource, manifest);
  const created = await admin.call('POST', '/api/v1/tokens', { name: 'shop-invoker', role: 'invoker', namespace: 'shop' });
  assert.equal(created.status, 201, created.text);
  shopToken = created.json?.token as string;
  const definition = protoLoader.loadSync(invokerProto.file, { includeDirs: [invokerProto.includeDir], defaults: true });
  const { Invoker } = (grpc.loadPackageDefinition(definition) as unknown as { isola: { v1: { Invoker: grpc.ServiceClientConstructor } } }).isola.v1;
  client = new Invoker(platform.grpcAddress, grpc.credentials.createInsecure()) as typeof client;
});

after(async () => {
  client?.close();
  await platform?.stop();
  rmSync(bufCache, { recursive: true, force: true });
});

describe('POST /api/v1/functions/{name}/rpc/{method}', () => {
  test('calls the method with the arguments and answers {"result"} with the platform headers; the call is recorded as rpc', async () => {
    const added = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/add', [2, 40]);
    assert.equal(added.status, 200, added.text);
    assert.deepEqual(added.json, { result: 42 });
    assert.match(added.headers.get('content-type') ?? '', /^application\/json/);
    const invocationId = added.headers.get('x-isola-invocation-id') ?? '';
    assert.match(invocationId, /^[0-9a-f-]{36}$/);
    assert.equal(added.headers.get('x-isola-version'), '1');
    assert.match(added.headers.get('x-isola-cold-start') ?? '', /^(true|false)$/);
    assert.match(added.headers.get('server-timing') ?? '', /isola;dur=[\d.]+;desc="platform".*fn;dur=/);

    const quoted = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/quote', ['sku-1', 3]);
    assert.deepEqual(quoted.json, { result: { sku: 'sku-1', total: 150, currency: 'EUR' } }, 'this.env and this.price() inside the method');
    assert.deepEqual((await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/none', [])).json, { result: null });

    const record = await admin.record(invocationId);
    assert.equal(record.trigger, 'rpc');
    assert.equal(record.status, 'succeeded');
    assert.equal(record.result?.body, '42');
  });

  test('an invoker token of the namespace may call; another namespace is 403, as for invoke', async () => {
    const shop = new TestApi(platform.url, shopToken);
    assert.equal((await shop.call('POST', '/api/v1/functions/shop-pricer/rpc/add', [1, 1])).json?.result, 2);
    const outside = await shop.call('POST', '/api/v1/functions/billing/rpc/add', [1, 1]);
    assert.equal(outside.status, 403, outside.text);
    assert.equal((outside.json?.error as { code: string }).code, 'FORBIDDEN');
    assert.equal((await new TestApi(platform.url, 'not-a-token').call('POST', '/api/v1/functions/billing/rpc/add', [])).status, 401);
  });

  test('a body that is not a JSON array is 400', async () => {
    for (const body of ['{"a": 1}', '"text"', '7', 'null', '[1,']) {
      const answer = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/add', body);
      assert.equal(answer.status, 400, `${body}: ${answer.text}`);
      assert.equal((answer.json?.error as { code: string }).code, 'BAD_REQUEST', body);
    }
  });

  test('arguments nested deeper than 256 arrays or objects are 400 (a 13,000-deep body once overflowed the gateway\'s stack: 500)', async () => {
    for (const depth of [300, 13_000]) {
      const body = `[${'['.repeat(depth)}${']'.repeat(depth)}]`;
      const answer = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/add', body, { 'content-type': 'application/json' });
      assert.equal(answer.status, 400, `${depth}: ${answer.text}`);
      assert.match((answer.json?.error as { message: string }).message, /nested more than 256/);
    }
    const nested = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/add', `[${'['.repeat(100)}${']'.repeat(100)}, 1]`, { 'content-type': 'application/json' });
    assert.notEqual(nested.status, 400, 'a hundred levels pass');
  });

  test('an unknown method is 404 RPC_METHOD_NOT_FOUND listing the methods; an unknown function 404 FUNCTION_NOT_FOUND', async () => {
    const method = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/subtract', [1, 2]);
    assert.equal(method.status, 404, method.text);
    const error = method.json?.error as { code: string; message: string; invocationId?: string };
    assert.equal(error.code, 'RPC_METHOD_NOT_FOUND');
    assert.match(error.message, /no RPC method "subtract"; its RPC methods: add, quote, price, context, none, fail, big, slow$/);
    assert.ok(error.invocationId !== undefined);
    for (const reserved of ['fetch', 'constructor', 'toString']) {
      assert.equal((await admin.call('POST', `/api/v1/functions/shop-pricer/rpc/${reserved}`, [])).status, 404, reserved);
    }
    const missing = await admin.call('POST', '/api/v1/functions/nowhere/rpc/add', [1, 2]);
    assert.equal(missing.status, 404, missing.text);
    assert.equal((missing.json?.error as { code: string }).code, 'FUNCTION_NOT_FOUND');
  });

  test('a throw is 502 FUNCTION_ERROR with the function\'s message', async () => {
    const answer = await admin.call('POST', '/api/v1/functions/shop-pricer/rpc/fail', ['no stock']);
    assert.equal(answer.status, 502, answer.text);
    assert.deepEqual([(answer.json?.error as { code: string }).code, (answer.json?.error as { message: string }).message], ['FUNCTION_ERROR', 'cannot quote: no stock']);
  });

  describe('the internal credential (platform processes: the sidecar)', () => {
    const internal = (depth?: number | string, extra: Record<string, string> = {}) => ({
      authorization: '',
      [sidecarHeaders.token]: sidecarAuthToken(parseSecretKey(secretKey) as Buffer),
      [sidecarHeaders.caller]: 'shop-cart@4',
      ...(depth === undefined ? {} : { [sidecarHeaders.callDepth]: String(depth) }),
      ...extra,
    });

    test('calls any function without an API token, up to the deepest allowed call chain', async () => {
      for (const depth of [undefined, 1, maxCallDepth]) {
        const answer = await admin.call('POST', '/api/v1/functions/billing/rpc/add', [20, 22], internal(depth));
        assert.equal(answer.status, 200, `depth ${depth}: ${answer.text}`);
        assert.deepEqual(answer.json, { result: 42 });
      }
    });

    test('a chain deeper than the limit is 508 CALL_DEPTH_EXCEEDED naming the caller', async () => {
      const answer = await admin.call('POST', '/api/v1/functions/billing/rpc/add', [1, 2], internal(maxCallDepth + 1));
      assert.equal(answer.status, 508, answer.text);
      const error = answer.json?.error as { code: string; message: string };
      assert.equal(error.code, 'CALL_DEPTH_EXCEEDED');
      assert.match(error.message, new RegExp(`${maxCallDepth + 1} function-to-function calls deep \\(made by shop-cart@4\\), over the limit of ${maxCallDepth}`));
    });

    test('a wrong credential is 401 (no fallback to the token); malformed internal headers are 400', async () => {
      const wrong = await admin.call('POST', '/api/v1/functions/billing/rpc/add', [1, 2], { [sidecarHeaders.token]: 'f'.repeat(64) });
      assert.equal(wrong.status, 401, wrong.text);
      assert.match((wrong.json?.error as { message: string }).message, /ISOLA_SECRET_KEY/);
      for (const headers of [internal('0'), internal('two'), internal(1, { [sidecarHeaders.caller]: 'Not A Function' })]) {
        const answer = await admin.call('POST', '/api/v1/functions/billing/rpc/add', [1, 2], headers);
        assert.equal(answer.status, 400, `${JSON.stringify(headers)}: ${answer.text}`);
      }
    });
  });
});

interface InvokeResult {
  error: grpc.ServiceError | null;
  reply: { jsonResult: string; invocationId: string } | undefined;
  /** The reply's initial metadata. */
  headers: grpc.Metadata | undefined;
}

function grpcInvoke(request: Record<string, unknown>, options: { token?: string | null; deadlineMs?: number; metadata?: Record<string, string> } = {}): Promise<InvokeResult> {
  const metadata = new grpc.Metadata();
  const token = options.token === undefined ? platform.token : options.token;
  if (token !== null) metadata.set('authorization', `Bearer ${token}`);
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const callOptions = options.deadlineMs === undefined ? {} : { deadline: Date.now() + options.deadlineMs };
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    const call = client.Invoke!(request, metadata, callOptions, (error: grpc.ServiceError | null, reply: InvokeResult['reply']) =>
      resolve({ error, reply, headers }),
    );
    call.on('metadata', (received: grpc.Metadata) => (headers = received));
  });
}

function assertStatus(result: InvokeResult, code: grpc.status, message?: RegExp): grpc.ServiceError {
  assert.ok(result.error !== null, `expected status ${grpc.status[code]}, got a reply ${JSON.stringify(result.reply)}`);
  assert.equal(result.error.code, code, `expected ${grpc.status[code]}, got ${grpc.status[result.error.code]}: ${result.error.details}`);
  if (message !== undefined) assert.match(result.error.details, message);
  return result.error;
}

describe('the gRPC trigger isola.v1.Invoker', () => {
  test('Invoke answers json_result and invocation_id; the metadata carries the invocation id, version and cold start', async () => {
    const result = await grpcInvoke({ function: 'shop-pricer', method: 'add', jsonArgs: '[2, 40]' });
    assert.equal(result.error, null, result.error?.details);
    assert.equal(result.reply?.jsonResult, '42');
    assert.match(result.reply?.invocationId ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(result.headers?.get('x-isola-invocation-id'), [result.reply?.invocationId]);
    assert.deepEqual(result.headers?.get('x-isola-version'), ['1']);
    assert.match(String(result.headers?.get('x-isola-cold-start')[0]), /^(true|false)$/);
    const record = await admin.record(result.reply?.invocationId ?? '');
    assert.equal(record.trigger, 'rpc');

    const empty = await grpcInvoke({ function: 'shop-pricer', method: 'none' });
    assert.equal(empty.reply?.jsonResult, 'null', 'no json_args: no arguments; undefined: null');
  });

  test('the request metadata map is this.ctx.metadata; an invoker of the namespace may call', async () => {
    const result = await grpcInvoke({ function: 'shop-pricer', method: 'context', metadata: { tenant: 't-1', trace: 'abc' } }, { token: shopToken });
    assert.equal(result.error, null, result.error?.details);
    const body = JSON.parse(result.reply?.jsonResult ?? '') as { metadata: unknown; invocationId: string };
    assert.deepEqual(body.metadata, { tenant: 't-1', trace: 'abc' });
    assert.equal(body.invocationId, result.reply?.invocationId);
  });

  test('NOT_FOUND: an unknown function, method or alias', async () => {
    assertStatus(await grpcInvoke({ function: 'nowhere', method: 'add', jsonArgs: '[]' }), grpc.status.NOT_FOUND, /no function named "nowhere"/);
    const method = assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'subtract', jsonArgs: '[]' }), grpc.status.NOT_FOUND, /its RPC methods: add, quote/);
    assert.deepEqual(method.metadata.get('x-isola-error-code'), ['RPC_METHOD_NOT_FOUND']);
    assert.equal(method.metadata.get('x-isola-invocation-id').length, 1);
    assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'add' }, { metadata: { 'x-isola-alias': 'nope' } }), grpc.status.NOT_FOUND, /no alias "nope"/);
  });

  test('UNAUTHENTICATED without a valid token; PERMISSION_DENIED outside the namespace', async () => {
    const request = { function: 'billing', method: 'add', jsonArgs: '[1, 2]' };
    assertStatus(await grpcInvoke(request, { token: null }), grpc.status.UNAUTHENTICATED, /missing token/);
    assertStatus(await grpcInvoke(request, { token: 'isola_0123456789ab_' + 'A'.repeat(32) }), grpc.status.UNAUTHENTICATED, /invalid or revoked token in the authorization metadata/);
    const denied = assertStatus(await grpcInvoke(request, { token: shopToken }), grpc.status.PERMISSION_DENIED, /scoped to namespace "shop"/);
    assert.deepEqual(denied.metadata.get('x-isola-error-code'), ['FORBIDDEN']);
  });

  test('INVALID_ARGUMENT for json_args that are not a JSON array, or a malformed function name', async () => {
    assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'add', jsonArgs: '{"a": 1}' }), grpc.status.INVALID_ARGUMENT, /json_args: the arguments must be a JSON array.*not an object/);
    assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'add', jsonArgs: '[1,' }), grpc.status.INVALID_ARGUMENT, /not valid JSON/);
    assertStatus(await grpcInvoke({ function: 'Shop Pricer', method: 'add' }), grpc.status.INVALID_ARGUMENT, /is not a function name/);
  });

  test("INTERNAL with the function's message when it throws", async () => {
    const error = assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'fail', jsonArgs: '["no stock"]' }), grpc.status.INTERNAL);
    assert.equal(error.details, 'cannot quote: no stock');
    assert.deepEqual(error.metadata.get('x-isola-error-code'), ['FUNCTION_ERROR']);
  });

  test('RESOURCE_EXHAUSTED for a request or a result over the size limit', async () => {
    const tooLarge = JSON.stringify(['x'.repeat(maxBodyBytes)]);
    assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'add', jsonArgs: tooLarge }), grpc.status.RESOURCE_EXHAUSTED);
    const result = assertStatus(await grpcInvoke({ function: 'shop-pricer', method: 'big', jsonArgs: `[${maxBodyBytes}]` }), grpc.status.RESOURCE_EXHAUSTED);
    assert.deepEqual(result.metadata.get('x-isola-error-code'), ['FUNCTION_RESPONSE_TOO_LARGE']);
  });

  test("DEADLINE_EXCEEDED when the client's deadline passes; the function is stopped then, not at its own limit", async () => {
    assertStatus(await grpcInvoke({ function: 'billing', method: 'slow', jsonArgs: '[25000]' }, { deadlineMs: 500 }), grpc.status.DEADLINE_EXCEEDED);
    // limits.timeoutMs is 30 s and the method sleeps 25 s: a record failed with FUNCTION_TIMEOUT can only come from the deadline.
    const failed = await eventuallyFailed('billing');
    assert.equal(failed.error?.code, 'FUNCTION_TIMEOUT');
    assert.ok(failed.durationMs < 25_000, `stopped after ${failed.durationMs} ms`);
  });

  test("gRPC calls count in the gateway's Prometheus metrics", async () => {
    assert.equal((await grpcInvoke({ function: 'shop-metered', method: 'add', jsonArgs: '[1, 2]' })).reply?.jsonResult, '3');
    assertStatus(await grpcInvoke({ function: 'shop-metered', method: 'fail', jsonArgs: '["x"]' }), grpc.status.INTERNAL);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /^isola_invocations_total\{function="shop-metered",status="200",code=""\} 1$/m);
    assert.match(metrics, /^isola_invocations_total\{function="shop-metered",status="502",code="FUNCTION_ERROR"\} 1$/m);
  });

  test('server reflection lists isola.v1.Invoker', async () => {
    const { stdout } = await runBuf(['--list-services', `http://${platform.grpcAddress}`]);
    assert.ok(stdout.split('\n').includes('isola.v1.Invoker'), stdout);
  });

  test('a stock client (buf curl) calls Invoke through reflection only, and gets the status codes', async () => {
    const endpoint = `http://${platform.grpcAddress}/isola.v1.Invoker/Invoke`;
    const { stdout } = await runBuf(['-H', `authorization: Bearer ${platform.token}`, '--data', JSON.stringify({ function: 'shop-pricer', method: 'quote', jsonArgs: '["ab", 2]' }), endpoint]);
    const reply = JSON.parse(stdout) as { jsonResult: string; invocationId: string };
    assert.deepEqual(JSON.parse(reply.jsonResult), { sku: 'ab', total: 40, currency: 'EUR' });
    assert.match(reply.invocationId, /^[0-9a-f-]{36}$/);

    const failed = await runBuf(['-H', `authorization: Bearer ${platform.token}`, '--data', JSON.stringify({ function: 'shop-pricer', method: 'nope' }), endpoint]).then(
      () => assert.fail('buf curl should fail on NOT_FOUND'),
      (error: { stderr: string }) => error.stderr,
    );
    assert.match(failed, /not_found/);
    assert.match(failed, /no RPC method \\?"nope\\?"/);
  });
});

const execFileAsync = promisify(execFile);

function runBuf(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(buf, ['curl', '--protocol', 'grpc', '--http2-prior-knowledge', ...args], {
    env: { ...process.env, BUF_CACHE_DIR: bufCache },
    timeout: 30_000,
  });
}

/** The newest failed record of `fn`, once there is one. */
async function eventuallyFailed(fn: string): Promise<{ error?: { code: string }; durationMs: number }> {
  for (let tries = 0; tries < 200; tries += 1) {
    const answer = await admin.call('GET', `/api/v1/functions/${fn}/invocations?status=failed&limit=1`);
    const [newest] = (answer.json?.invocations ?? []) as { error?: { code: string }; durationMs: number }[];
    if (newest !== undefined) return newest;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`no failed invocation of ${fn} was recorded`);
}
