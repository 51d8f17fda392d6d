import assert from 'node:assert/strict';
import http from 'node:http';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { errorCatalogue, isErrorCode, logLevels } from '@isola/core';
import { firstAnswer, rawHttp } from './raw-http.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

/*
 * Property-based fuzzing of every control-plane endpoint (enumerated from the live OpenAPI
 * document), the HTTP trigger, the web console's files and unknown paths, against a real `isola up`. Thousands of
 * malformed bodies, paths, queries, headers and tokens; for each answer:
 *   - never a 5xx;
 *   - every non-2xx is {"error": {"code", "message", ...}} as application/json, its code from the
 *     catalogue and the status that code stands for (400, 401, 403, 404, 409, 413, 415...);
 *   - nothing without a valid token (of the role the route needs, in its namespace) gets a 2xx.
 * Meanwhile /healthz is polled; afterwards the platform must still be alive and serving.
 *
 * ISOLA_FUZZ_SEED=<n> replays a run's generated inputs (the seed is printed at the start and by
 * fast-check on failure; the platform's state, shared by properties running side by side, may
 * still differ); ISOLA_FUZZ_SCALE=<x> multiplies every property's number of runs (6 finds rarer
 * things in about a minute); ISOLA_FUZZ_VERBOSE=1 prints examples of each answer status.
 * The bugs this found are pinned by focused tests where they were fixed (up.test.ts, core).
 */

const baseSeed = process.env.ISOLA_FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.ISOLA_FUZZ_SEED);
const scale = Number(process.env.ISOLA_FUZZ_SCALE ?? '1');
/** ISOLA_FUZZ_VERBOSE=1: print a few requests and answers per property and status, to see what the fuzzing reaches. */
const verbose = process.env.ISOLA_FUZZ_VERBOSE === '1';
/** Requests in flight at once (properties run side by side, each sequentially). */
const concurrency = 8;
/** Small limits so that too-large bodies are cheap to send. */
const maxBodyBytes = 256 * 1024;
const maxDeployBytes = 1024 * 1024;
const requestTimeoutMs = 15_000;

const publicFn = 'pub-echo';
const privateFn = 'priv-echo';
/** In the namespace `fuzz` (and so reachable by the namespaced deployer token). */
const victims = ['fuzz-v1', 'fuzz-v2'];
const outsider = 'other-v';

let platform: SpawnedPlatform;
let host: string;
let port: number;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const tokens = { admin: '', deployer: '', invoker: '', nsDeployer: '', revoked: '' };
let requestCount = 0;
let crashed: string | null = null;

// ---------------------------------------------------------------------------------------------
// Sending requests and judging answers
// ---------------------------------------------------------------------------------------------

/** Who the Authorization header claims to be; `none` covers missing, malformed, fake and revoked. */
type AuthKind = 'admin' | 'deployer' | 'invoker' | 'nsDeployer' | 'none';

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  auth: AuthKind;
  /** The least role that may get a 2xx: null for public routes, `nothing` where no route exists. */
  needs: 'admin' | 'deployer' | 'invoker' | 'nothing' | null;
  /** The function the request acts on, when namespaces apply (decoded path parameter). */
  functionName?: string;
  /** The answer is the function's own response (trigger, invoke): 2xx bodies are not ours to judge. */
  functionAnswer?: boolean;
  /** A file of the web console (GET or HEAD of /, /index.html, /console/...): any type, and 304 when revalidated. */
  consoleFile?: boolean;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const roleRank = { invoker: 1, deployer: 2, admin: 3 } as const;

/** fast-check prints counterexamples with this: short, without megabytes of body. */
function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` body(${request.body.length} B)=${JSON.stringify(request.body.subarray(0, 300).toString('latin1'))}`;
  const headers = Object.entries(request.headers)
    .map(([name, value]) => `${name}: ${value.length > 120 ? `${value.slice(0, 120)}…(${value.length})` : value}`)
    .join(' | ');
  return `${request.method} ${request.path.length > 300 ? `${request.path.slice(0, 300)}…(${request.path.length})` : request.path} [${request.auth}] {${headers}}${body}`;
}

function withToString(request: FuzzRequest): FuzzRequest {
  return Object.defineProperty(request, fc.toStringMethod, { value: () => describeRequest(request), enumerable: false });
}

/** Answer to a request whose body was refused (413) while it was still being sent: the connection closed under it. */
const cutOff = Symbol('cut off');

/**
 * One request over a keep-alive agent; a live log tail is cut once its headers arrived. A reset
 * on a reused keep-alive socket is the client's race (Node's docs say to retry): the request is
 * sent again once on a new connection, where it must be answered.
 */
async function send(request: FuzzRequest): Promise<Answer> {
  requestCount += 1;
  try {
    return await sendOnce(request, agent);
  } catch (error) {
    if ((error as { retry?: boolean }).retry !== true) throw error;
    requestCount += 1;
    return sendOnce(request, false);
  }
}

function sendOnce(request: FuzzRequest, via: http.Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    // Node frames a GET, DELETE or OPTIONS body by nothing at all unless told its length.
    const headers = request.body === undefined ? request.headers : { ...request.headers, 'content-length': String(request.body.length) };
    const outgoing = http.request({ agent: via, host, port, method: request.method, path: request.path, headers }, (response) => {
      answered = true;
      const eventStream = String(response.headers['content-type'] ?? '').startsWith('text/event-stream');
      if (eventStream) {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.alloc(0) });
        outgoing.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`answer cut short: ${error.message}`));
      });
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      reject(new Error(`no answer within ${requestTimeoutMs} ms (hang)`));
    }, requestTimeoutMs);
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      clearTimeout(timer);
      const reset = error.code === 'ECONNRESET' || error.code === 'EPIPE';
      if (reset && (request.body?.length ?? 0) > maxBodyBytes) {
        resolve({ status: 413, headers: {}, body: Buffer.alloc(0), [cutOff]: true } as Answer);
        return;
      }
      const failure = Object.assign(new Error(`no answer: ${error.code ?? ''} ${error.message}${via === false ? ' (on a new connection)' : ''}`), { retry: reset && outgoing.reusedSocket });
      reject(failure);
    });
    outgoing.end(request.body);
  });
}

/** The oracle: what every answer to a fuzzed request must satisfy. */
function judge(request: FuzzRequest, answer: Answer): void {
  if (cutOff in answer) return;
  const { status } = answer;
  const shown = () => `${describeRequest(request)}\n  -> ${status} ${answer.headers['content-type'] ?? '(no content-type)'} ${answer.body.subarray(0, 500).toString('utf8')}`;
  assert.ok(status >= 200 && status < 500, `status ${status} (never 5xx, never 1xx/3xx)\n${shown()}`);
  if (request.consoleFile && status === 304) return;

  if (status < 300) {
    const allowed = authorised(request);
    assert.ok(allowed, `a ${request.auth} caller got ${status} from a route needing ${request.needs}\n${shown()}`);
    if (request.functionAnswer || request.consoleFile || status === 204 || request.method === 'HEAD') return;
    const type = String(answer.headers['content-type'] ?? '');
    if (type.startsWith('text/event-stream') || request.path.startsWith('/metrics')) return;
    assert.match(type, /^application\/json/, `2xx from the control plane is JSON\n${shown()}`);
    assert.doesNotThrow(() => JSON.parse(answer.body.toString('utf8')), `2xx body is JSON\n${shown()}`);
    return;
  }

  // A HEAD answer has no body to check; its headers are those of the GET.
  const type = String(answer.headers['content-type'] ?? '');
  assert.match(type, /^application\/json(;|$)/, `an error is application/json\n${shown()}`);
  if (request.method === 'HEAD') return;
  let parsed: unknown;
  assert.doesNotThrow(() => (parsed = JSON.parse(answer.body.toString('utf8'))), `an error body is JSON\n${shown()}`);
  const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  assert.ok(typeof error === 'object' && error !== null, `an error is {"error": {...}}\n${shown()}`);
  assert.equal(typeof error.code, 'string', `error.code is a string\n${shown()}`);
  assert.equal(typeof error.message, 'string', `error.message is a string\n${shown()}`);
  assert.ok(isErrorCode(error.code), `error.code ${String(error.code)} is in the catalogue\n${shown()}`);
  assert.equal(errorCatalogue[error.code].status, status, `the status fits the code ${error.code}\n${shown()}`);
}

/** Whether the request's token may get a 2xx from the route. */
function authorised(request: FuzzRequest): boolean {
  if (request.needs === null) return true;
  if (request.auth === 'none' || request.needs === 'nothing') return false;
  const role = request.auth === 'nsDeployer' ? 'deployer' : request.auth;
  if (roleRank[role] < roleRank[request.needs]) return false;
  if (request.auth === 'nsDeployer' && request.functionName !== undefined) {
    return request.functionName === 'fuzz' || request.functionName.startsWith('fuzz-');
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: strings, path segments, queries, headers, tokens
// ---------------------------------------------------------------------------------------------

const hexDigit = fc.constantFrom(...'0123456789abcdef');
const hex = (length: number) => fc.string({ unit: hexDigit, minLength: length, maxLength: length });
const latin1 = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((code) => String.fromCharCode(code)), maxLength });

const nastyStrings = [
  '', ' ', '.', '..', '\u0000', 'null', 'undefined', 'NaN', '-1', '0', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '*', '%', '\\', '/', '../..', '..\\..', 'a'.repeat(64), 'A'.repeat(129), 'latest', 'LATEST', '\u202e', '\ud800', '\udfff', 'ß', 'İ', '𝕏', '🦀',
  'a\nb', 'a\r\nb', '<script>', "' OR 1=1 --", '${x}', '{{x}}', 'fuzz-', '-fuzz', 'fuzz--v1', 'fuzz-v1 ', ' fuzz-v1',
];
/** Any string, biased toward the odd. */
const oddString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...nastyStrings) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.integer({ min: 64, max: 3_000 }).map((length) => 'x'.repeat(length)) },
);

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD, as UTF-8 does). */
function percentEncode(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Decodes a path segment as the router would, or returns it as is when it is not valid. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Segments sent as they are (already in request-target form). */
const rawSegments = [
  '', '.', '..', '%2e%2e', '%2E', '..%2F..', '%2F', '%00', '%', '%zz', '%E0%A4%A', '%C0%AE', '%FF%FE', '%u0041', '~', "!$&'()*+,;=:@",
  'a;b=c', 'a%20b', '%0d%0aX-Injected:%201', 'fuzz-v1%00', 'fuzz-v1%2F..', 'fuzz-v1;', '%66uzz-v1', 'FUZZ-V1', '\u00ff', '\u00e9t\u00e9',
  'a'.repeat(2049), 'a'.repeat(5_000),
];
/** A path segment in request-target form: a plausible value, an odd string encoded, or raw junk. */
function segment(plausible: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(...plausible) },
    { weight: 3, arbitrary: oddString.map(percentEncode) },
    { weight: 2, arbitrary: fc.constantFrom(...rawSegments) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 12 }).map((bytes) => bytes.map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')) },
  );
}

const streamIds = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 66n }), fc.bigInt({ min: 0n, max: 2n ** 66n })).map(([ms, seq]) => `${ms}-${seq}`);
const isoTimes = fc.date({ min: new Date(-1e14), max: new Date(1e14), noInvalidDate: true }).map((date) => date.toISOString());
const timeBounds = [
  '0', '1', '1735689600000', '999999999999999', '9999999999999999', '-1', '1735689600000-0', '0-0', '0-1', '1-0', '999999999999999-99999999999999999999',
  '1-18446744073709551615', '1-18446744073709551616', '18446744073709551615-0', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000+01:00', '2024-01-01T00:00:00+0100',
  '2024-13-45T99:99:99Z', '1969-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2024-01-01', '2024-01-01T', 'now', '', 'x'.repeat(65), '1e3',
];
/** Values worth trying for each known query parameter, beside odd strings. */
const queryValues: Record<string, fc.Arbitrary<string>> = {
  promote: fc.constantFrom('true', 'false', 'TRUE', '1', 'yes', ''),
  status: fc.constantFrom('succeeded', 'failed', 'ok', 'SUCCEEDED', ''),
  limit: fc.oneof(
    fc.constantFrom('1', '50', '200', '201', '1000', '1001', '0', '-1', '1.5', '1e3', '0x10', ' 5', '5 ', '999999999', '9999999999999999999999', '', 'NaN', 'Infinity', '٣'),
    fc.integer().map(String),
  ),
  cursor: fc.oneof(fc.constantFrom('', 'abc', '0', '-1', 'MA==', 'eyJ4IjoxfQ', '1735689600000-0', 'x'.repeat(513), '%'), fc.base64String({ maxLength: 64 }), streamIds),
  since: fc.oneof(fc.constantFrom(...timeBounds), streamIds, isoTimes, fc.bigInt({ min: -1n, max: 2n ** 70n }).map(String)),
  until: fc.oneof(fc.constantFrom(...timeBounds), streamIds, isoTimes, fc.bigInt({ min: -1n, max: 2n ** 70n }).map(String)),
  level: fc.constantFrom(...logLevels, 'fatal', 'LOG', 'trace', ''),
  search: fc.oneof(fc.constantFrom('', 'error', '.*', '(a+)+$', '\u0000', '%', '[', 'x'.repeat(201)), fc.string({ maxLength: 30 })),
  invocationId: fc.oneof(fc.uuid(), fc.constantFrom('', '*', 'x'.repeat(65))),
  follow: fc.constantFrom('true', 'false', 'true', '1', ''),
};

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema?: { enum?: string[] };
}

/** A query string: mostly none or the route's own parameters, sometimes unknown keys, arrays, duplicates and junk. */
function queryString(parameters: Parameter[]): fc.Arbitrary<string> {
  const known = parameters.filter((parameter) => parameter.in === 'query');
  const encode = (pairs: [string, string][]) => (pairs.length === 0 ? '' : `?${pairs.map(([key, v]) => `${percentEncode(key)}=${percentEncode(v)}`).join('&')}`);
  const value = (parameter: Parameter) =>
    fc.oneof({ weight: 6, arbitrary: queryValues[parameter.name] ?? (parameter.schema?.enum ? fc.constantFrom(...parameter.schema.enum) : oddString) }, { weight: 1, arbitrary: oddString });
  const odd = fc.oneof(
    fc.array(fc.tuple(oddString, oddString), { minLength: 1, maxLength: 3 }).map(encode),
    fc.constantFrom('?', '?&&', '?=', '?=x', '?%zz', '?a', '?a=%', '??', '?%00=%00', '?limit', '?limit=1&limit=2', '?__proto__[x]=1', '?constructor[prototype][x]=1', '?follow=true&follow=true', `?x=${'y'.repeat(3000)}`),
  );
  if (known.length === 0) return fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 2, arbitrary: odd });
  const knownPair = fc.constantFrom(...known).chain((parameter) =>
    fc.tuple(fc.oneof({ weight: 8, arbitrary: fc.constant(parameter.name) }, { weight: 1, arbitrary: fc.constantFrom(`${parameter.name}[]`, `${parameter.name}[0]`, parameter.name.toUpperCase()) }), value(parameter)),
  );
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 6, arbitrary: fc.array(knownPair, { minLength: 1, maxLength: 4 }).map(encode) },
    { weight: 1, arbitrary: odd },
  );
}

/** An Authorization header and who it makes the caller. */
function authArb(): fc.Arbitrary<{ kind: AuthKind; header?: string }> {
  const invalid = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom(
      '', 'Bearer', 'Bearer ', 'bearer', 'Basic YWRtaW46YWRtaW4=', 'Token x', 'Bearer  ', `Bearer ${tokens.admin}x`, `Bearer ${tokens.admin.slice(0, -1)}`,
      `Bearer ${tokens.admin} extra`, tokens.admin, `Bearer ${tokens.revoked}`, `Bearer ${tokens.deployer.toUpperCase()}`, `Basic ${Buffer.from(`admin:${tokens.admin}`).toString('base64')}`,
      `Bearer isola_000000000000_${'a'.repeat(32)}`, `Bearer ${tokens.deployer.slice(0, 19)}${'A'.repeat(32)}`, `Bearer,${tokens.admin}`, `Bearer ${'a'.repeat(8_000)}`,
    ),
    latin1(100).map((value) => `Bearer ${value}`),
    latin1(60),
    fc.tuple(hex(12), fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'), minLength: 32, maxLength: 32 })).map(([id, secret]) => `Bearer isola_${id}_${secret}`),
  ).map((header) => ({ kind: 'none' as const, ...(header === undefined ? {} : { header }) }));
  const valid = (kind: Exclude<AuthKind, 'none'>, spellings: ((token: string) => string)[] = [(token) => `Bearer ${token}`]) =>
    fc.constantFrom(...spellings).map((spell) => ({ kind, header: spell(tokens[kind]) }));
  return fc.oneof(
    { weight: 5, arbitrary: valid('admin', [(token) => `Bearer ${token}`, (token) => `bearer ${token}`, (token) => `Bearer   ${token}  `]) },
    { weight: 2, arbitrary: valid('deployer') },
    { weight: 1, arbitrary: valid('invoker') },
    { weight: 1, arbitrary: valid('nsDeployer') },
    { weight: 2, arbitrary: invalid },
  );
}

const headerNameChars = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_!#$%&\'*+.^`|~');
/** Headers beside Authorization and Content-Type: aliases, Last-Event-ID, Host, proxies, encodings. */
const headerPool: Record<string, fc.Arbitrary<unknown>> = {
    'x-isola-alias': fc.oneof(fc.constantFrom('latest', 'stable', 'nosuch', '', 'LATEST', '__proto__'), latin1(80), fc.constant('a'.repeat(5_000))),
    'last-event-id': fc.oneof(streamIds, fc.constantFrom('', '0', '-1', '0-0', 'abc', '1-2-3', '99999999999999999999999999-1'), latin1(40)),
    accept: fc.constantFrom('application/json', 'text/event-stream', '*/*', 'text/html', '', ';;;'),
    'accept-version': fc.constantFrom('1.0.0', 'x', '*', ''),
    'accept-encoding': fc.constantFrom('gzip', 'br', 'identity;q=0', '*', 'x'),
    'content-encoding': fc.constantFrom('gzip', 'br', 'deflate', 'identity', 'x'),
    'x-forwarded-for': fc.constantFrom('1.2.3.4', 'evil', ''),
    'x-forwarded-host': fc.constantFrom('evil.example', ''),
    'x-forwarded-proto': fc.constantFrom('https', 'javascript', ''),
    host: fc.constantFrom('localhost', 'localhost:1', 'example.com:8080', '[::1]:80', '[bad', 'a b', '', '@evil/', 'evil.example/x?', 'x:99999', 'a\\b', '%zz', '..', 'ex ample.com'),
    expect: fc.constantFrom('100-continue', '100-continue', 'x'),
    cookie: latin1(100),
    origin: fc.constantFrom('null', 'http://evil.example'),
    'x-isola-version': fc.constantFrom('1', 'x'),
    'x-isola-invocation-id': fc.uuid(),
    'if-none-match': fc.constantFrom('*', '"x"', 'W/"x"', ''),
    'if-modified-since': fc.constantFrom('Fri, 01 Jan 2100 00:00:00 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT', 'x'),
    range: fc.constantFrom('bytes=0-1', 'bytes=5-', 'bytes=999999-', 'bytes=0-0,2-3', 'bytes=x', 'items=0-1'),
    random: fc.tuple(fc.string({ unit: headerNameChars, minLength: 1, maxLength: 30 }), latin1(100)),
};
/** None most of the time; otherwise one to three of the pool. */
const extraHeaders = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc
      .shuffledSubarray(Object.keys(headerPool), { minLength: 1, maxLength: 3 })
      .chain((names) => fc.tuple(...names.map((name) => (headerPool[name] as fc.Arbitrary<unknown>).map((value) => [name, value] as const))))
      .map((entries) => Object.fromEntries(entries)),
  },
).map((record: Record<string, unknown>) => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record)) {
    if (name === 'random') {
      const [randomName, randomValue] = value as [string, string];
      // Left out: names Node itself must manage for the body to be framed right.
      if (!['content-length', 'transfer-encoding', 'connection', 'upgrade', 'host', 'authorization', 'content-type'].includes(randomName)) headers[randomName] = randomValue;
    } else headers[name] = value as string;
  }
  return headers;
});

// ---------------------------------------------------------------------------------------------
// Arbitraries: bodies
// ---------------------------------------------------------------------------------------------

/** A value whose JSON is text built by hand: deep nesting without recursing in JSON.stringify. */
class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of a value that may hold RawJson parts and own `__proto__` keys. */
function toJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value).map((key) => `${JSON.stringify(key)}:${toJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Sets an own property, even `__proto__`. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const deepNest = fc.tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean()).map(([depth, arrays]) =>
  new RawJson(arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);
const protoKeys = ['__proto__', 'constructor', 'prototype'];
const junkValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, 2 ** 31, 2 ** 32 + 1, 101, 100, 99, 50, 1e21, 1e-7, '', '0', '1', '100', 'true', [], {}, 'latest', [1], { version: 1 }),
  },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: oddString },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 400_000 }).map((length) => 'x'.repeat(length)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepNest },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...protoKeys).map((key) => {
      const object: Record<string, unknown> = {};
      setOwn(object, key, { role: 'admin', polluted: true, prototype: { polluted: true } });
      return object;
    }),
  },
);
const junkKey = fc.oneof(
  fc.constantFrom(...protoKeys, 'toString', 'hasOwnProperty', 'valueOf', '', 'version', 'weights', 'manifest', 'files', 'name', 'role', 'namespace', 'value', 'alias', 'main', 'public', 'limits', '1', '0', '-1', '01', '1.5', '1e2', '99999999999'),
  oddString,
);

interface Mutation {
  at: number;
  kind: 'set' | 'delete' | 'add' | 'wrap';
  key: string;
  value: unknown;
}
const mutations = fc.array(fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'set', 'delete', 'add', 'add', 'wrap'), key: junkKey, value: junkValue }), { maxLength: 3 }) as fc.Arbitrary<Mutation[]>;

function clone(value: unknown): unknown {
  if (value instanceof RawJson) return value;
  if (Array.isArray(value)) return value.map(clone);
  if (typeof value === 'object' && value !== null) {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwn(copy, key, clone((value as Record<string, unknown>)[key]));
    return copy;
  }
  return value;
}

/** Applies mutations to a copy: each picks a node (by index in a walk) and changes it. */
function mutate(value: unknown, changes: Mutation[]): unknown {
  const root = { root: clone(value) } as Record<string, unknown>;
  for (const change of changes) {
    const slots: [Record<string, unknown> | unknown[], string | number][] = [];
    const walk = (container: Record<string, unknown> | unknown[], key: string | number, depth: number) => {
      slots.push([container, key]);
      const child = (container as Record<string | number, unknown>)[key];
      if (depth > 6 || child instanceof RawJson) return;
      if (Array.isArray(child)) child.forEach((_, index) => walk(child, index, depth + 1));
      else if (typeof child === 'object' && child !== null) for (const childKey of Object.keys(child)) walk(child as Record<string, unknown>, childKey, depth + 1);
    };
    walk(root, 'root', 0);
    const [container, key] = slots[change.at % slots.length] as [Record<string, unknown> | unknown[], string | number];
    const current = (container as Record<string | number, unknown>)[key];
    // Copied: generated constants are shared between runs, and a later `add` would change them.
    const value = clone(change.value);
    if (change.kind === 'set') setOwnOrIndex(container, key, value);
    else if (change.kind === 'wrap') setOwnOrIndex(container, key, [current]);
    else if (change.kind === 'delete' && container !== root) {
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete container[key as string];
    } else if (change.kind === 'add' && typeof current === 'object' && current !== null && !(current instanceof RawJson)) {
      if (Array.isArray(current)) current.push(value);
      else setOwn(current as Record<string, unknown>, change.key, value);
    }
  }
  return root.root;
}

function setOwnOrIndex(container: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  if (Array.isArray(container)) container[Number(key)] = value;
  else setOwn(container, String(key), value);
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  propertyNames?: JsonSchema;
  default?: unknown;
}

/** Values shaped by a JSON Schema (roughly: a generator, not a validator), to mutate from. */
function fromSchema(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (schema === undefined || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum !== undefined) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) return fc.oneof(...alternatives.map((alternative) => fromSchema(alternative, depth + 1)));
  if (schema.allOf?.[0] !== undefined) return fromSchema(schema.allOf[0], depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const known = fc.record(Object.fromEntries(properties.map(([name, property]) => [name, fromSchema(property, depth + 1)])), {
        requiredKeys: properties.map(([name]) => name).filter((name) => required.has(name)),
      });
      if (typeof schema.additionalProperties !== 'object') return known;
      const keys = schema.propertyNames?.pattern ? matching(schema.propertyNames.pattern) : fc.string({ minLength: 1, maxLength: 12 });
      const extra = fc.dictionary(keys, fromSchema(schema.additionalProperties, depth + 1), { maxKeys: 3, noNullPrototype: true });
      return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
    }
    case 'array':
      return fc.array(fromSchema(schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) });
    case 'string':
      if (schema.pattern !== undefined) return matching(schema.pattern);
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 20, 20) });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** Strings matching a pattern, where fast-check can generate them (no lookarounds), else any. */
function matching(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern));
  } catch {
    return fc.string({ maxLength: 20 });
  }
}

const goodSource = (label: string) => `export default { fetch: (request) => new Response(${JSON.stringify(label)} + new URL(request.url).pathname) };`;
const badSources = [
  'export default {',
  'import "./nowhere.js"; export default {};',
  'import x from "no-such-package-anywhere"; export default x;',
  'export default 1; export default 2;',
  '\u0000\uffff',
  '}'.repeat(10_000),
  `${'('.repeat(5_000)}1${')'.repeat(5_000)}`,
  'const a = `',
  'export default { fetch() { return new Response("x") } }; syntax error here',
];
const badFiles: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...badSources).map((source) => ({ 'index.js': source })),
  fc.constantFrom({}, { '': 'x' }, { '../index.js': goodSource('x') }, { '/abs.js': 'x' }, { 'index.ts': 'const x: = 1' }, { 'index.js': 1 }, { 'index.js': null }, []),
  fc.constant(Object.fromEntries(Array.from({ length: 1_001 }, (_, index) => [`f${index}.js`, '']))),
  fc.constant({ 'index.js': `// ${'x'.repeat(maxDeployBytes)}` }),
  fc.constant({ ['a'.repeat(513)]: 'x' }),
);
const victimName = fc.constantFrom(...victims, outsider);
const victimManifest = fc.record(
  { name: victimName, main: fc.constant('index.js'), public: fc.boolean(), limits: fc.record({ timeoutMs: fc.integer({ min: 100, max: 2_000 }) }) },
  { requiredKeys: ['name', 'main'] },
);

/** Bodies of each route that validate (or nearly), to mutate: keyed by `METHOD path`. */
function seedBodies(manifestSchema: JsonSchema): Record<string, fc.Arbitrary<unknown>> {
  const version = fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53 + 1, 1e21, 4));
  return {
    'POST /api/v1/functions': fc.oneof(
      { weight: 3, arbitrary: fc.record({ manifest: fc.oneof(victimManifest, fromSchema(manifestSchema)), files: badFiles }) },
      { weight: 2, arbitrary: fc.record({ manifest: victimManifest, files: fc.constant({ 'index.js': goodSource('v') }) }) },
    ),
    'PUT /api/v1/functions/{name}/aliases/{alias}': fc.oneof(
      fc.record({ version }),
      fc.dictionary(fc.constantFrom('1', '2', '3', '01', '0', '4', '999999999', '1000000000'), fc.integer({ min: -10, max: 110 }), { minKeys: 1, maxKeys: 4 }).map((weights) => ({ weights })),
      fc.constantFrom(
        { weights: { 1: 50, 2: 50 } },
        { weights: { 1: 100 } },
        { weights: { 1: 50, 2: 49 } },
        { weights: { 1: 50, 2: 51 } },
        { weights: Object.fromEntries(Array.from({ length: 11 }, (_, index) => [String(index + 1), index === 0 ? 90 : 1])) },
        { weights: {} },
        { version: 1, weights: { 1: 100 } },
      ),
    ),
    'POST /api/v1/functions/{name}/rollback': fc.record({ version, alias: fc.constantFrom('latest', 'stable', 'nosuch', 'LATEST') }, { requiredKeys: [] }),
    'PUT /api/v1/functions/{name}/secrets/{key}': fc.record({ value: fc.oneof(fc.string(), fc.constantFrom('', 'x'.repeat(65_537), 'é'.repeat(40_000))) }),
    'POST /api/v1/tokens': fc.record(
      {
        name: fc.oneof(fc.constantFrom('fuzz', 'ci@example.com', 'a.b-c_d'), oddString),
        role: fc.constantFrom('admin', 'deployer', 'invoker', 'root', ''),
        namespace: fc.constantFrom('fuzz', 'other', 'Fuzz', '-x', ''),
        expiresInSeconds: fc.constantFrom(60, 59, 0, -1, 1.5, 10 * 365 * 86_400 + 1, 1e21),
      },
      { requiredKeys: ['name', 'role'] },
    ),
  };
}

// --- tar.gz deploy bodies, written by hand to hold what a well-behaved tar never would --------

function octal(header: Buffer, offset: number, length: number, value: number): void {
  header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'ascii');
}

interface TarEntry {
  name: string;
  content: Buffer;
  /** ustar type flag: 0 file, 5 directory, 2 symlink, 1 hard link, 3/4 devices, 6 fifo, x pax, L GNU long name, Z unknown. */
  type: string;
  linkname?: string;
  /** The size the header claims, when it is not the content's. */
  declaredSize?: number | undefined;
}

function tar(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const header = Buffer.alloc(512);
    header.write(entry.name, 0, 100, 'utf8');
    octal(header, 100, 8, 0o644);
    octal(header, 108, 8, 0);
    octal(header, 116, 8, 0);
    octal(header, 124, 12, entry.declaredSize ?? entry.content.length);
    octal(header, 136, 12, 0);
    header.fill(' ', 148, 156);
    header.write(entry.type, 156, 1, 'ascii');
    header.write(entry.linkname ?? '', 157, 100, 'utf8');
    header.write('ustar\0', 257, 6, 'ascii');
    header.write('00', 263, 2, 'ascii');
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    blocks.push(header, entry.content, Buffer.alloc((512 - (entry.content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const goodYaml = (name: string) => `name: ${name}\nmain: index.js\n`;
const yamlTexts = [
  goodYaml('fuzz-v1'),
  goodYaml('fuzz-v2'),
  goodYaml('Bad_Name'),
  'name: [unclosed\n',
  'a: &a [1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
  'name: fuzz-v1\nname: fuzz-v2\nmain: index.js\n',
  '!!js/function "function () {}"\n',
  'name: !!binary aGVsbG8=\nmain: index.js\n',
  'name: fuzz-v1\nmain: index.js\n<<: {public: true}\n',
  '? [a, b]\n: c\n',
  '--- 1\n--- 2\n',
  'x: !!set {a, b}\n',
  'x: !!omap [a: 1, a: 2]\n',
  '*undefined_alias\n',
  '%YAML 9.9\n---\nname: x\n',
  '\ufeffname: fuzz-v1\nmain: index.js\n',
  '- a\n- b\n',
  '~\n',
  'name: fuzz-v1\nmain: index.js\npublic: yes\nlimits: {timeoutMs: 1e999}\n',
];
/** A pax extended header record: `<length> <key>=<value>\n`, the length counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = rest.length + 1;
  while (String(length).length + rest.length !== length) length = String(length).length + rest.length;
  return `${length}${rest}`;
}

const tarEntry: fc.Arbitrary<TarEntry> = fc.record({
  name: fc.constantFrom('isola.yaml', 'isola.yml', 'index.js', 'src/a.js', '../x.js', '/abs.js', 'C:/x.js', 'a\\..\\..\\b.js', 'node_modules/a.js', '._index.js', '.DS_Store', 'dir/', 'dir/isola.yaml', 'dir/index.js', './index.js', 'a'.repeat(100), ''),
  content: fc.oneof(
    fc.constantFrom(...yamlTexts).map((text) => Buffer.from(text)),
    fc.constant(Buffer.from(goodSource('tar'))),
    fc.constantFrom(...badSources).map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(Buffer.from([0xff, 0xfe, 0x00, 0xc3])),
    fc
      .constantFrom(['size', '99999999999999'], ['size', '-1'], ['size', '1e3'], ['path', '../evil.js'], ['path', 'isola.yaml'], ['path', ''], ['linkpath', '/etc/passwd'], ['x', 'y'])
      .map(([key, value]) => Buffer.from(paxRecord(key as string, value as string))),
    fc.constantFrom('isola.yaml', `${'d/'.repeat(300)}index.js`, '../../x').map((name) => Buffer.from(name)),
  ),
  type: fc.constantFrom('0', '0', '0', '0', '5', '5', '2', '1', '3', '4', '6', 'x', 'g', 'L', 'K', 'Z'),
  linkname: fc.constantFrom('', '/etc/passwd', '../../secret', 'index.js'),
  declaredSize: fc.option(fc.constantFrom(0, 1, 511, 512, 1_000, 8 ** 11 - 1), { nil: undefined, freq: 4 }),
});

let gzipBomb: Buffer;
let consoleDir: string;
let validArchive: Buffer;
const archiveBody: fc.Arbitrary<Buffer> = fc.oneof(
  { weight: 2, arbitrary: fc.array(tarEntry, { maxLength: 5 }).map((entries) => gzipSync(tar(entries))) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.concat([Buffer.from([0x1f, 0x8b]), bytes])) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2_000 }).map((bytes) => gzipSync(bytes)) },
  { weight: 1, arbitrary: fc.nat().map((cut) => validArchive.subarray(0, cut % validArchive.length)) },
  { weight: 1, arbitrary: fc.constant(0).map(() => gzipBomb) },
  { weight: 1, arbitrary: fc.constant(0).map(() => Buffer.concat([validArchive, validArchive])) },
  { weight: 1, arbitrary: fc.constant(0).map(() => validArchive) },
  { weight: 1, arbitrary: fc.array(tarEntry, { maxLength: 3 }).map((entries) => tar(entries)) },
);
const archiveTypes = ['application/gzip', 'application/x-gzip', 'application/x-tar+gzip', 'application/tar+gzip', 'application/x-compressed-tar', 'application/octet-stream', 'APPLICATION/GZIP; foo=bar'];

interface Body {
  contentType?: string;
  data?: Buffer;
}

const jsonTypes = [
  'application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8', 'application/json; charset=latin1',
  'application/json; charset=utf-16', 'application/json;', 'application/json ; x=y', 'application/vnd.api+json', 'application/json, text/plain', 'application/jsonx', 'text/json',
];
const otherTypes = [
  'text/plain', 'text/html', 'multipart/form-data; boundary=xyz', 'multipart/form-data', 'application/x-www-form-urlencoded', 'application/xml', '*/*', 'application/*', '', ' ', ';', 'x',
  'image/png', 'application/gzip', 'application/octet-stream', 'text/event-stream', 'application/json-patch+json', 'application/x-ndjson',
];
/** Text edits that break JSON: cut, junk inserted, BOM, duplicate keys, trailing commas, comments. */
function breakJson(text: string, at: number, edit: number, junk: string): string {
  const cut = text.length === 0 ? 0 : at % text.length;
  switch (edit % 9) {
    case 0:
      return text.slice(0, cut);
    case 1:
      return text.slice(0, cut) + junk + text.slice(cut);
    case 2:
      return `\ufeff${text}`;
    case 3:
      return text.startsWith('{') && text.length > 2 ? `{"version":1,${text.slice(1, -1)},"version":"x"}` : `${text},`;
    case 4:
      return text.replace(/}$/, ',}').replace(/]$/, ',]');
    case 5:
      return `/* c */${text}`;
    case 6:
      return text.replace(/"/g, "'");
    case 7:
      return `${text} ${text}`;
    default:
      return text.replace(/\d+/, 'NaN');
  }
}

function bodyArb(seed: fc.Arbitrary<unknown> | undefined, archives: boolean): fc.Arbitrary<Body> {
  const nearValid = seed === undefined ? fc.jsonValue({ maxDepth: 3 }) : fc.tuple(seed, mutations).map(([value, changes]) => mutate(value, changes));
  const jsonType = fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: fc.constantFrom(...jsonTypes) });
  const json = (value: fc.Arbitrary<unknown>) => fc.tuple(value, jsonType).map(([v, contentType]): Body => ({ contentType, data: Buffer.from(toJson(v)) }));
  const arbitraries: fc.WeightedArbitrary<Body>[] = [
    { weight: 1, arbitrary: fc.constantFrom<Body>({}, { contentType: 'application/json' }, { contentType: 'application/json', data: Buffer.alloc(0) }) },
    { weight: 14, arbitrary: json(nearValid) },
    { weight: 2, arbitrary: json(fc.oneof(fc.jsonValue(), junkValue)) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(nearValid, fc.nat(), fc.nat(), fc.string({ maxLength: 5 }), fc.constantFrom(...jsonTypes))
        .map(([v, at, edit, junk, contentType]) => ({ contentType, data: Buffer.from(breakJson(toJson(v), at, edit, junk)) })),
    },
    { weight: 1, arbitrary: fc.tuple(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...jsonTypes)).map(([bytes, contentType]) => ({ contentType, data: Buffer.from(bytes) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(nearValid.map((v) => Buffer.from(toJson(v))), fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes))), fc.constantFrom(...otherTypes), fc.boolean())
        .map(([data, contentType, typed]): Body => (typed ? { contentType, data } : { data })),
    },
    { weight: 1, arbitrary: fc.integer({ min: maxBodyBytes - 64, max: maxDeployBytes + 4_096 }).map((size) => ({ contentType: 'application/json', data: Buffer.from(`{"x":"${'x'.repeat(size)}"}`) })) },
  ];
  if (archives) arbitraries.push({ weight: 4, arbitrary: fc.tuple(archiveBody, fc.constantFrom(...archiveTypes)).map(([data, contentType]) => ({ contentType, data })) });
  else arbitraries.push({ weight: 1, arbitrary: fc.tuple(archiveBody, fc.constantFrom(...archiveTypes)).map(([data, contentType]) => ({ contentType, data })) });
  return fc.oneof(...arbitraries);
}

// ---------------------------------------------------------------------------------------------
// Requests per endpoint
// ---------------------------------------------------------------------------------------------

interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  needs: FuzzRequest['needs'];
  bodySchema?: JsonSchema;
  bodyTypes: string[];
}

function operations(document: { paths: Record<string, Record<string, { parameters?: Parameter[]; security?: unknown[]; description?: string; requestBody?: { content: Record<string, { schema?: JsonSchema }> } }>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const role = /role (\w+) or higher/.exec(operation.description ?? '')?.[1];
      const needs = operation.security?.length === 0 ? null : ((role ?? 'admin') as FuzzRequest['needs']);
      const content = operation.requestBody?.content ?? {};
      return { method: method.toUpperCase(), path, parameters: operation.parameters ?? [], needs, bodySchema: content['application/json']?.schema, bodyTypes: Object.keys(content) };
    }),
  );
}

/** Plausible values of each path parameter, before odd ones. Destructive routes never get the fixtures that the end checks rely on. */
function plausible(parameter: string, operation: Operation): string[] {
  switch (parameter) {
    case 'name':
      // Victims may be redeployed with odd limits or code without a default export while fuzzed
      // (a function's fault: 502), so only the fixtures are invoked, over HTTP and RPC alike.
      if (operation.path.endsWith('/invoke') || operation.path.includes('/rpc/')) return [publicFn, privateFn, 'no-such-fn', 'fuzz'];
      return operation.method === 'GET' ? [publicFn, privateFn, ...victims, outsider, 'no-such-fn', 'fuzz'] : [...victims, outsider, 'no-such-fn', 'fuzz'];
    case 'alias':
      return ['latest', 'stable', 'canary'];
    case 'key':
      return ['API_KEY', 'STRIPE_KEY', '_X'];
    case 'version':
      return ['1', '2', '3', '0'];
    case 'id':
      return operation.path.startsWith('/api/v1/tokens') ? ['0123456789ab', 'ffffffffffff'] : ['00000000-0000-0000-0000-000000000000', 'abc'];
    default:
      return ['x'];
  }
}

function operationRequests(operation: Operation, seeds: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<FuzzRequest> {
  const names = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
  const segments = fc.tuple(...names.map((name) => segment(plausible(name, operation))));
  const key = `${operation.method} ${operation.path}`;
  const body = operation.bodyTypes.length > 0 || operation.method !== 'GET' ? bodyArb(seeds[key], operation.bodyTypes.includes('application/gzip')) : fc.oneof({ weight: 5, arbitrary: fc.constant<Body>({}) }, { weight: 1, arbitrary: bodyArb(undefined, false) });
  return fc
    .record({ segments, query: queryString(operation.parameters), auth: authArb(), extra: extraHeaders, body, head: fc.integer({ min: 0, max: 30 }) })
    .map(({ segments: values, query, auth, extra, body: b, head }) => {
      let index = 0;
      const path = operation.path.replace(/\{(\w+)\}/g, () => values[index++] as string) + query;
      const nameIndex = names.indexOf('name');
      const method = operation.method === 'GET' && head === 0 ? 'HEAD' : operation.method;
      return withToString({
        method,
        path,
        headers: headersFor(auth.header, extra, b),
        ...(b.data === undefined ? {} : { body: b.data }),
        auth: auth.kind,
        needs: operation.needs,
        ...(nameIndex < 0 ? {} : { functionName: decodeSegment(values[nameIndex] as string) }),
        functionAnswer: operation.path.endsWith('/invoke'),
      });
    });
}

function headersFor(authorization: string | undefined, extra: Record<string, string>, body: Body): Record<string, string> {
  return {
    ...extra,
    ...(authorization === undefined ? {} : { authorization }),
    ...(body.contentType === undefined ? {} : { 'content-type': body.contentType }),
  };
}

const anyMethod = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'PROPFIND', 'SEARCH', 'PURGE');

/** The HTTP trigger of the public or private function: any method, path, query, headers, body. */
function triggerRequests(fn: string): fc.Arbitrary<FuzzRequest> {
  const subpath = fc.oneof(
    fc.constantFrom('', '/'),
    fc.array(segment(['x', 'api', 'v1', 'a.b']), { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
  );
  return fc
    .record({ method: anyMethod, name: fc.oneof({ weight: 8, arbitrary: fc.constant(fn) }, { weight: 1, arbitrary: segment([fn.toUpperCase(), `${fn}-x`]) }), subpath, query: queryString([]), auth: authArb(), extra: extraHeaders, body: bodyArb(undefined, false) })
    .map(({ method, name, subpath: rest, query, auth, extra, body }) =>
      withToString({
        method,
        path: `/fn/${name}${rest}${query}`,
        headers: headersFor(auth.header, extra, method === 'GET' || method === 'HEAD' ? {} : body),
        ...(body.data === undefined || method === 'GET' || method === 'HEAD' ? {} : { body: body.data }),
        auth: auth.kind,
        needs: fn === privateFn && decodeSegment(name) === fn ? 'invoker' : null,
        functionName: decodeSegment(name),
        functionAnswer: true,
      }),
    );
}

/** What the router would take a path for: its segments decoded (invalid escapes kept). */
function routedSegments(path: string): string[] {
  return path.split('?', 1)[0]!.split('/').slice(1).map(decodeSegment);
}

/** The operation a method and path reach, if any (GET routes answer HEAD too). */
function routeOf(known: Operation[], method: string, path: string): Operation | undefined {
  const segments = routedSegments(path);
  return known.find((operation) => {
    if (operation.method !== method && !(operation.method === 'GET' && method === 'HEAD')) return false;
    const template = operation.path.split('/').slice(1);
    return template.length === segments.length && template.every((part, index) => part.startsWith('{') || part === segments[index]);
  });
}

/** Paths with no route (under /api/v1 and beside it), and wrong methods on the known ones. */
function strayRequests(known: Operation[]): fc.Arbitrary<FuzzRequest> {
  const stray = fc.oneof(
    fc.array(segment(['functions', '%66unctions', 'tokens', 'invocations', 'fuzz-v1', 'versions', 'aliases', 'latest', 'logs', 'nope']), { minLength: 1, maxLength: 6 }).map((parts) => `/api/v1/${parts.join('/')}`),
    fc.constantFrom(
      '/', '/api', '/api/', '/api/v1', '/api/v1/', '/api/v2/functions', '//api/v1/functions', '/api/v1/functions/', '/API/V1/FUNCTIONS', '/api/v1/functions;x', '/api/v1/functions%2F',
      '/api/v1/./functions', '/api/v1/../v1/functions', '/fn', '/fn/', '/fn//', '/healthz/', '/healthz', '/readyz', '/metrics', '/favicon.ico', '*', '/%', '/%zz', '/\u00ff',
      '/index.html', '/console', '/console/', '/console/assets/app-abc123.js', '/console/assets/', '/console/assets/nope.js', '/console/.env', '/console/../index.html',
      '/console/%2e%2e/%2e%2e/etc/passwd', '/console/assets/app-abc123.js/x', '/console/%00', '/console/%zz', '/console//assets/app-abc123.js',
    ),
  );
  const knownMethods = (path: string) => known.filter((operation) => operation.path === path).map((operation) => operation.method);
  const wrongMethod = fc.constantFrom(...known).chain((operation) =>
    fc.tuple(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS').filter((method) => !knownMethods(operation.path).includes(method)),
      fc.constant(operation.path.replace(/\{name\}/g, victims[0] as string).replace(/\{\w+\}/g, 'x')),
    ),
  );
  return fc
    .record({ target: fc.oneof(stray.chain((path) => fc.tuple(anyMethod, fc.constant(path))), wrongMethod), query: queryString([]), auth: authArb(), extra: extraHeaders, body: bodyArb(undefined, false) })
    .map(({ target: [method, path], query, auth, extra, body }) => {
      const health = /^\/(healthz|readyz|metrics)$/.test(path) && (method === 'GET' || method === 'HEAD');
      const consoleFile = /^\/(index\.html)?$|^\/console\//.test(path) && (method === 'GET' || method === 'HEAD');
      // A stray path may still spell a route (percent-encoded letters are decoded): then its rules apply.
      const route = routeOf(known, method, path);
      const segments = routedSegments(path);
      const nameAt = route?.path.split('/').slice(1).indexOf('{name}') ?? -1;
      return withToString({
        method,
        path: `${path}${query}`,
        headers: headersFor(auth.header, extra, method === 'GET' || method === 'HEAD' ? {} : body),
        ...(body.data === undefined || method === 'GET' || method === 'HEAD' ? {} : { body: body.data }),
        auth: auth.kind,
        needs: health || consoleFile ? null : route === undefined ? 'nothing' : route.needs,
        ...(nameAt >= 0 ? { functionName: segments[nameAt] as string } : {}),
        ...(consoleFile ? { consoleFile } : {}),
        ...(route?.path.endsWith('/invoke') ? { functionAnswer: true } : {}),
      });
    });
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

async function api(method: string, path: string, body?: unknown, token = tokens.admin): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

async function deployFixture(name: string, isPublic: boolean, label: string): Promise<void> {
  const response = await api('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', public: isPublic }, files: { 'index.js': goodSource(label) } });
  assert.equal(response.status, 201, JSON.stringify(response.json));
}

async function createToken(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const response = await api('POST', '/api/v1/tokens', body);
  assert.equal(response.status, 201, JSON.stringify(response.json));
  return response.json as { id: string; token: string };
}

/** Polls /healthz on its own connection: an answer slower than this means the event loop is stuck. */
function watchHealth(): { stop(): Promise<{ polls: number; failures: string[]; slowestMs: number }> } {
  const failures: string[] = [];
  let polls = 0;
  let slowestMs = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${platform.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        await response.text();
        if (response.status !== 200) failures.push(`/healthz answered ${response.status}`);
      } catch (error) {
        failures.push(`/healthz failed: ${(error as Error).message}`);
      }
      polls += 1;
      slowestMs = Math.max(slowestMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { polls, failures, slowestMs };
    },
  };
}

/** Runs tasks with at most `limit` at once; collects every failure rather than stopping at the first. */
async function pool(tasks: (() => Promise<void>)[], limit: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const task = tasks[next++] as () => Promise<void>;
        await task().catch((error: unknown) => failures.push(error));
      }
    }),
  );
  return failures;
}

before(async () => {
  gzipBomb = gzipSync(Buffer.alloc(maxDeployBytes * 3));
  validArchive = gzipSync(tar([
    { name: 'isola.yaml', content: Buffer.from(goodYaml('fuzz-v2')), type: '0' },
    { name: 'index.js', content: Buffer.from(goodSource('tar')), type: '0' },
  ]));
  // A console of its own, so that / and /console/ answer alike whether or not the real one was built.
  consoleDir = mkdtempSync(join(tmpdir(), 'isola-fuzz-console-'));
  mkdirSync(join(consoleDir, 'console', 'assets'), { recursive: true });
  writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><script type="module" src="/console/assets/app-abc123.js"></script>');
  writeFileSync(join(consoleDir, 'console', 'assets', 'app-abc123.js'), 'console.log("isola");');
  writeFileSync(join(consoleDir, 'console', '.env'), 'SECRET=1');
  platform = await spawnPlatform({
    env: { ISOLA_WORKERS: '2', ISOLA_MAX_BODY_BYTES: String(maxBodyBytes), ISOLA_MAX_DEPLOY_BYTES: String(maxDeployBytes), ISOLA_CONSOLE_DIR: consoleDir },
  });
  platform.process.once('exit', (code, signal) => (crashed = `the platform exited (code ${code}, signal ${signal})`));
  const url = new URL(platform.url);
  host = url.hostname;
  port = Number(url.port);
  tokens.admin = platform.token;
  await deployFixture(publicFn, true, 'pub');
  await deployFixture(privateFn, false, 'priv');
  for (const name of [...victims, outsider]) {
    await deployFixture(name, false, 'one');
    await deployFixture(name, false, 'two');
  }
  tokens.deployer = (await createToken({ name: 'fuzz-deployer', role: 'deployer' })).token;
  tokens.invoker = (await createToken({ name: 'fuzz-invoker', role: 'invoker' })).token;
  tokens.nsDeployer = (await createToken({ name: 'fuzz-ns', role: 'deployer', namespace: 'fuzz' })).token;
  const revoked = await createToken({ name: 'fuzz-revoked', role: 'admin' });
  tokens.revoked = revoked.token;
  assert.equal((await api('DELETE', `/api/v1/tokens/${revoked.id}`)).status, 204);
  // Something to read back from the records and logs routes.
  for (let index = 0; index < 3; index += 1) assert.equal((await fetch(`${platform.url}/fn/${publicFn}/warm`)).status, 200);
});

after(async () => {
  agent.destroy();
  await platform?.stop();
  if (consoleDir !== undefined) rmSync(consoleDir, { recursive: true, force: true });
});

describe('API fuzzing (fast-check; ISOLA_FUZZ_SEED to replay)', () => {
  test('thousands of malformed requests to every endpoint: never a 5xx, errors always in the JSON error format, no 2xx without the right token', async () => {
    console.log(`fuzz seed: ${baseSeed} (replay with ISOLA_FUZZ_SEED=${baseSeed})`);
    const started = performance.now();
    const document = (await (await fetch(`${platform.url}/api/v1/openapi.json`)).json()) as Parameters<typeof operations>[0];
    const manifestSchema = (await (await fetch(`${platform.url}/api/v1/schemas/manifest.json`)).json()) as JsonSchema;
    const found = operations(document);
    // The document is the list to fuzz; a route missing here would go unfuzzed.
    assert.ok(found.length >= 18, `only ${found.length} operations in the OpenAPI document`);
    for (const expected of ['POST /api/v1/functions', 'PUT /api/v1/functions/{name}/aliases/{alias}', 'GET /api/v1/functions/{name}/logs', 'POST /api/v1/functions/{name}/invoke', 'DELETE /api/v1/tokens/{id}']) {
      assert.ok(found.some((operation) => `${operation.method} ${operation.path}` === expected), `${expected} is in the OpenAPI document`);
    }
    const seeds = seedBodies(manifestSchema);
    const runsFor = (operation: Operation) => {
      if (operation.method === 'POST' && operation.path === '/api/v1/functions') return 800; // esbuild runs for some
      if (operation.bodyTypes.length > 0) return 1_000;
      return 700;
    };
    const properties: { name: string; arbitrary: fc.Arbitrary<FuzzRequest>; runs: number }[] = [
      ...found.map((operation) => ({ name: `${operation.method} ${operation.path}`, arbitrary: operationRequests(operation, seeds), runs: runsFor(operation) })),
      { name: `trigger /fn/${publicFn}`, arbitrary: triggerRequests(publicFn), runs: 2_000 },
      { name: `trigger /fn/${privateFn}`, arbitrary: triggerRequests(privateFn), runs: 1_400 },
      { name: 'unknown paths and wrong methods', arbitrary: strayRequests(found), runs: 2_000 },
    ];
    // The slow ones first, so that the pool stays full to the end.
    properties.sort((a, b) => b.runs - a.runs);
    const statuses: Record<string, Record<number, number>> = {};
    const health = watchHealth();
    const failures = await pool(
      properties.map((property, index) => async () => {
        try {
          await fc.assert(
            fc.asyncProperty(property.arbitrary, async (request) => {
              assert.equal(crashed, null);
              const answer = await send(request);
              const counts = (statuses[property.name] ??= {});
              counts[answer.status] = (counts[answer.status] ?? 0) + 1;
              if (verbose && (counts[answer.status] ?? 0) <= 3) {
                console.log(`${property.name} ${answer.status}: ${describeRequest(request).slice(0, 400)}\n    -> ${answer.body.subarray(0, 300).toString('utf8')}`);
              }
              judge(request, answer);
            }),
            { numRuns: Math.max(1, Math.round(property.runs * scale)), seed: baseSeed + index, endOnFailure: true, includeErrorInReport: true },
          );
        } catch (error) {
          // fast-check's report has the counterexample; a failure of the test's own machinery has only its stack.
          const message = (error as Error).message;
          throw new Error(`${property.name}: ${message.includes('Counterexample') ? message : ((error as Error).stack ?? message)}`);
        }
      }),
      concurrency,
    );
    const seconds = (performance.now() - started) / 1000;
    const watched = await health.stop();
    for (const property of properties) {
      const counts = Object.entries(statuses[property.name] ?? {}).map(([status, count]) => `${status}×${count}`);
      console.log(`  ${property.name}: ${counts.join(' ')}`);
    }
    console.log(`${requestCount} requests to ${properties.length} properties in ${seconds.toFixed(1)} s (${(requestCount / seconds).toFixed(0)}/s); /healthz polled ${watched.polls} times, slowest ${watched.slowestMs.toFixed(0)} ms`);
    if (failures.length > 0) assert.fail(`${failures.length} of ${properties.length} properties failed (seed ${baseSeed}):\n\n${failures.map((failure) => (failure as Error).message).join('\n\n')}`);
    assert.deepEqual(watched.failures, [], 'health polls failed while fuzzing');
    assert.ok(watched.slowestMs < 5_000, `/healthz took ${watched.slowestMs.toFixed(0)} ms once: something blocked the event loop`);
  });

  test('malformed raw HTTP (bad request lines, framing, headers) is refused with a JSON error, or the connection closed', async () => {
    const cases: { name: string; data: string; expect?: number }[] = [
      { name: 'unknown method', data: 'FOO /api/v1/functions HTTP/1.1\r\nHost: a\r\n\r\n', expect: 400 },
      { name: 'no Host (HTTP/1.1)', data: 'GET /api/v1/functions HTTP/1.1\r\n\r\n', expect: 400 },
      { name: 'two Hosts', data: 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' },
      { name: 'bad header line', data: 'GET /healthz HTTP/1.1\r\nHost: a\r\nbad header\r\n\r\n', expect: 400 },
      { name: 'header too large', data: `GET /healthz HTTP/1.1\r\nHost: a\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`, expect: 431 },
      { name: 'content-length and chunked', data: 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', expect: 400 },
      { name: 'bad chunk size', data: 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', expect: 400 },
      { name: 'two content-lengths', data: 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', expect: 400 },
      { name: 'negative content-length', data: 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}', expect: 400 },
      { name: 'content-length shorter than body', data: 'POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer nope\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage' },
      { name: 'content-length over the limit', data: `POST /api/v1/tokens HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: ${maxBodyBytes * 10}\r\n\r\n{`, expect: 413 },
      { name: 'relative request target', data: 'GET healthz HTTP/1.1\r\nHost: a\r\n\r\n', expect: 400 },
      { name: 'HTTP/9.9', data: 'GET /healthz HTTP/9.9\r\nHost: a\r\n\r\n' },
      { name: 'bare LF', data: 'GET /healthz HTTP/1.1\nHost: a\n\n' },
      { name: 'NUL in path', data: 'GET /api/v1/functions/a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n', expect: 400 },
      { name: 'OPTIONS *', data: 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n', expect: 404 },
      { name: 'absolute-form target', data: `GET http://evil.example/fn/${publicFn}/x HTTP/1.1\r\nHost: a\r\n\r\n` },
      { name: 'HTTP/1.0 without Host', data: `GET /fn/${publicFn}/x HTTP/1.0\r\n\r\n` },
      { name: 'junk', data: '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003' },
    ];
    const problems: string[] = [];
    for (const { name, data, expect } of cases) {
      const reply = await rawHttp(platform.url, data);
      if (reply === '') continue; // closed without an answer: allowed for garbage
      const answer = firstAnswer(reply);
      const problem = (text: string) => problems.push(`${name}: ${text}\n    ${JSON.stringify(reply.slice(0, 400))}`);
      if (answer === null || answer.status === 0) {
        problem('not an HTTP answer');
        continue;
      }
      if (answer.status >= 500) problem('a 5xx');
      if (expect !== undefined && answer.status !== expect) problem(`status ${answer.status}, expected ${expect}`);
      if (answer.status < 400) continue;
      if (!/\r\ncontent-type: application\/json/i.test(answer.head)) problem('an error that is not application/json');
      let json: { error?: { code?: unknown; message?: unknown } } | null;
      try {
        json = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } } | null;
      } catch {
        problem('an error body that is not JSON');
        continue;
      }
      const code = json?.error?.code;
      if (!isErrorCode(code) || typeof json?.error?.message !== 'string') problem('an error body that is not {"error": {code, message}}');
      else if (errorCatalogue[code].status !== answer.status) problem(`status ${answer.status} does not fit the code ${code}`);
    }
    assert.deepEqual(problems, [], `malformed raw HTTP answered wrongly:\n${problems.join('\n')}`);
  });

  test('the platform survived: alive, healthy, ready, and still serving the known-good functions', async () => {
    assert.equal(crashed, null);
    assert.equal(platform.process.exitCode, null);
    const health = await fetch(`${platform.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${platform.url}/readyz`);
    assert.equal(ready.status, 200, await ready.text());
    const pub = await fetch(`${platform.url}/fn/${publicFn}/after`);
    assert.deepEqual({ status: pub.status, body: await pub.text() }, { status: 200, body: 'pub/fn/pub-echo/after' });
    const priv = await fetch(`${platform.url}/fn/${privateFn}/after`, { headers: { authorization: `Bearer ${tokens.invoker}` } });
    assert.deepEqual({ status: priv.status, body: await priv.text() }, { status: 200, body: 'priv/fn/priv-echo/after' });
    const invoked = await fetch(`${platform.url}/api/v1/functions/${publicFn}/invoke`, { method: 'POST', headers: { authorization: `Bearer ${tokens.admin}` }, body: 'x' });
    assert.deepEqual({ status: invoked.status, body: await invoked.text() }, { status: 200, body: 'pub/' });
    // A platform fault is logged at error level (50) or worse, even when it was answered.
    const faults = platform.stderr().split('\n').filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(faults, [], 'the platform logged errors while fuzzed');
  });
});
