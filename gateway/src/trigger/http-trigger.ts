import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  defaultAlias,
  dnsLabel,
  IsolaError,
  servingVersion,
  type AliasCache,
  type FunctionVersion,
  type InvocationRecorder,
  type InvocationRequest,
  type Invoker,
} from '@isola/core';
import { defineRoute, registerApiRoutes, type AnyRoute } from '../api/route-table.js';
import type { BearerAuth } from '../auth/bearer.js';
import { maxPathSegmentLength, noRouteError, segmentTooLongError } from '../errors/error-handler.js';
import type { InvocationMetrics } from '../metrics/invocation-metrics.js';
import { submitAsync, wantsAsync, type AsyncSubmitDeps } from './async-submit.js';
import type { HttpRouteTable } from './http-route-table.js';
import type { RouteMatch } from './http-route-matcher.js';
import { invokeSync, sendFailure } from './sync-invocation.js';

export interface HttpTriggerDeps {
  invoker: Invoker;
  functions: AliasCache;
  auth: BearerAuth;
  maxBodyBytes: number;
  metrics: InvocationMetrics;
  recorder: InvocationRecorder;
  async: AsyncSubmitDeps;
  /** The manifests' `routes:`. */
  routes: HttpRouteTable;
}

/** Hop-by-hop headers describe one connection, not the message: never passed between client and function. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization']);
/** Response headers the gateway sets itself from the body it sends. */
const setByGateway = new Set([...hopByHop, 'content-length']);
/** Request header naming the alias to serve (default `latest`). */
const aliasHeader = 'x-isola-alias';

/** The version that serves this request: the alias X-Isola-Alias names (default `latest`), by weight. */
export function servingVersionFor(request: FastifyRequest, functions: AliasCache, name: string): Promise<FunctionVersion> {
  const aliasValue = request.headers[aliasHeader];
  const alias = typeof aliasValue === 'string' && aliasValue !== '' ? aliasValue : defaultAlias;
  return servingVersion(functions, name, alias, 'X-Isola-Alias');
}

/**
 * The HTTP trigger (SPEC §5): `ANY /fn/{name}/{path...}`, and every path the manifests'
 * `routes:` take, run the function's `fetch` handler through the scheduler, in a worker process.
 * The function sees the original method, URL, headers and body. Bodies are buffered up to
 * `maxBodyBytes` (413 beyond). The version comes from the alias (`X-Isola-Alias`, default
 * `latest`), by weight when traffic is split.
 */
export function registerHttpTrigger(app: FastifyInstance, deps: HttpTriggerDeps, rawBodyRoutes: readonly AnyRoute[]): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.maxBodyBytes }, (_request, body, done) => done(null, body));
    const handler = (request: FastifyRequest<{ Params: { name: string } }>, reply: FastifyReply) =>
      runFunction(request, reply, deps, { name: request.params.name, url: functionUrl(request), trigger: 'http' });
    scope.all('/fn/:name', handler);
    scope.all('/fn/:name/*', handler);
    // Whatever no other route takes. Routed before the body is read: an unknown path or a
    // method the route does not take costs no upload.
    const matched = new WeakMap<FastifyRequest, RouteMatch & { allowed: true }>();
    scope.all('/*', {
      onRequest: async (request, reply) => {
        const match = deps.routes.match(request.method, request.url);
        // A parameter over the router's limit (`/fn/<name>`, `/api/v1/functions/<name>`) lands here too: 414 as the router says it.
        if (match === null) throw hasSegmentLongerThan(request.url, maxPathSegmentLength) ? segmentTooLongError() : noRouteError(request);
        if (!match.allowed) {
          reply.header('allow', match.allow.join(', '));
          throw methodNotAllowed(request, match.route.path, match.allow);
        }
        matched.set(request, match);
      },
      handler: (request, reply) => {
        const match = matched.get(request) as RouteMatch;
        return runFunction(request, reply, deps, { name: match.route.function, url: functionUrl(request), trigger: 'http' });
      },
    });
    registerApiRoutes(scope, rawBodyRoutes, deps.auth);
  });
}

/** `POST /api/v1/functions/{name}/invoke`: the function's fetch handler with `POST /` carrying this body and headers. */
export function invokeRoute(deps: HttpTriggerDeps): AnyRoute {
  return defineRoute({
    method: 'POST',
    path: '/api/v1/functions/{name}/invoke',
    summary: "Invoke the function's fetch handler with a POST / request carrying this body and headers; answers with its response",
    tag: 'invocations',
    role: 'invoker',
    scopedToFunction: true,
    params: z.strictObject({ name: dnsLabel }),
    extraBodyTypes: ['*/*'],
    responses: {
      200: { description: "the function's response (any status, headers and body)", contentType: '*/*' },
      202: { description: 'async (X-Isola-Invoke: async or ?async=true): accepted, {"invocationId"}; poll GET /api/v1/invocations/{id}' },
      401: { description: 'no valid token' },
      403: { description: "the token's role or namespace does not allow this" },
      404: { description: 'no such function' },
      413: { description: 'body too large' },
      429: { description: 'async: the function\'s queue is full (Retry-After)' },
      502: { description: 'the function crashed' },
      504: { description: 'the function timed out' },
    },
    handler: async ({ request, reply, params }) =>
      runFunction(request, reply, deps, { name: params.name, url: functionUrl(request, '/'), trigger: 'invoke', authorized: true }),
  });
}

async function runFunction(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: HttpTriggerDeps,
  target: { name: string; url: string; trigger: 'http' | 'invoke'; authorized?: boolean },
): Promise<FastifyReply> {
  const started = performance.now();
  const { name } = target;
  const fn = await servingVersionFor(request, deps.functions, name);
  const authenticated = target.authorized === true || !fn.manifest.public;
  if (authenticated && target.authorized !== true) await deps.auth.require(request, 'invoker', name);

  const invocationId = randomUUID();
  const body = request.body instanceof Buffer && request.body.length > 0 ? request.body : undefined;
  const payload = {
    method: target.trigger === 'invoke' ? 'POST' : request.method,
    url: target.url,
    headers: forwardedHeaders(request.raw.rawHeaders, authenticated),
    ...(body === undefined ? {} : { body }),
  };
  if (wantsAsync(request)) return submitAsync(request, reply, deps.async, { fn, invocationId, trigger: target.trigger, payload });
  const invocation: InvocationRequest = {
    invocationId,
    function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
    limits: fn.manifest.limits,
    trigger: 'http',
    request: payload,
  };
  const outcome = await invokeSync(deps, request, reply, invocation, target.trigger, started);
  if (!outcome.ok) return sendFailure(reply, outcome.error, invocationId);
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

function hasSegmentLongerThan(target: string, length: number): boolean {
  const query = target.indexOf('?');
  return (query === -1 ? target : target.slice(0, query)).split('/').some((segment) => segment.length > length);
}

/** 405 for a route's path with a method it does not take; the Allow header lists those it does. */
function methodNotAllowed(request: FastifyRequest, path: string, allow: readonly string[]): IsolaError {
  return new IsolaError('METHOD_NOT_ALLOWED', `route ${path} takes ${allow.join(', ')}, not ${request.method}`, { allow });
}

/** A Host header's value: a DNS name or IPv4 address, or an IPv6 literal in brackets; a port maybe. */
const hostPattern = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;

/**
 * The URL the function sees: the authority the client named and the path and query as sent
 * (`path` instead, for invoke). The authority is the Host header (RFC 9112 §3.2), or the request
 * target's own when it came in absolute form (as to a proxy); an HTTP/1.0 request without Host
 * gets the address it arrived on. A Host that is not a host[:port] is refused (400): glued into
 * the URL it would move the path the function sees (`Host: a/b?`) or make the URL invalid.
 */
function functionUrl(request: FastifyRequest, path?: string): string {
  let authority: string;
  let target = request.url;
  if (target.startsWith('/')) {
    authority = request.headers.host ?? localAuthority(request);
  } else {
    let absolute: URL;
    try {
      absolute = new URL(target);
    } catch {
      throw new IsolaError('BAD_REQUEST', 'the request target is neither a path nor an absolute http URL');
    }
    if (absolute.protocol !== 'http:' && absolute.protocol !== 'https:') throw new IsolaError('BAD_REQUEST', 'an absolute request target must be an http or https URL');
    authority = absolute.host;
    target = `${absolute.pathname}${absolute.search}`;
  }
  const match = hostPattern.exec(authority);
  if (match === null || Number(match[1] ?? 0) > 65_535) {
    throw new IsolaError('BAD_REQUEST', `the Host header ${JSON.stringify(authority.length > 100 ? `${authority.slice(0, 100)}…` : authority)} is not a host name or address with an optional port`);
  }
  return `${request.protocol}://${authority}${path ?? target}`;
}

/** The address and port a request arrived on, as a URL authority. */
function localAuthority(request: FastifyRequest): string {
  const { localAddress, localPort } = request.raw.socket;
  if (localAddress === undefined || localPort === undefined) return 'localhost';
  const authority = `${localAddress.includes(':') ? `[${localAddress}]` : localAddress}:${localPort}`;
  return hostPattern.test(authority) ? authority : 'localhost';
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
