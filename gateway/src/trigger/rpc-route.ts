import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  credentialMatches,
  dnsLabel,
  IsolaError,
  maxCallDepth,
  parseCallerHeader,
  rpcInvocation,
  rpcResultJson,
  sidecarHeaders,
  type AliasCache,
  type Caller,
} from '@isola/core';
import { defineRoute, type AnyRoute } from '../api/route-table.js';
import { servingVersionFor } from './http-trigger.js';
import { invokeSync, sendFailure, type SyncInvocationDeps } from './sync-invocation.js';

export interface RpcRouteDeps extends SyncInvocationDeps {
  functions: AliasCache;
  /** The platform's internal credential (sidecarAuthToken of the secret key); undefined: only API tokens are taken. */
  internalToken: string | undefined;
}

/**
 * `POST /api/v1/functions/{name}/rpc/{method}`: calls one RPC method of the function (SPEC §2,
 * §4) with a JSON array of arguments and answers `{"result": ...}`. Callers are API tokens of
 * role invoker (namespaces apply), or platform processes — the sidecar's service invocation —
 * with the internal credential in `x-isola-sidecar-token`; for those, `x-isola-call-depth` counts
 * the function-to-function calls that led here, and a chain deeper than maxCallDepth is refused
 * (CALL_DEPTH_EXCEEDED, 508), so functions calling each other in a loop end.
 */
export function rpcRoute(deps: RpcRouteDeps): AnyRoute {
  return defineRoute({
    method: 'POST',
    path: '/api/v1/functions/{name}/rpc/{method}',
    summary:
      'Call an RPC method of the function with a JSON array of arguments; answers {"result": <its return value>}. ' +
      `Platform processes (the sidecar) send ${sidecarHeaders.token} instead of a token, with ${sidecarHeaders.callDepth} and ${sidecarHeaders.caller}`,
    tag: 'invocations',
    role: 'invoker',
    scopedToFunction: true,
    params: z.strictObject({ name: dnsLabel, method: z.string().min(1) }),
    body: z.array(z.unknown()).describe("the method's arguments, in order ([] for none)"),
    otherCredential: (request) => internalCaller(request, deps.internalToken),
    responses: {
      200: { description: "the method's return value as JSON (null for undefined)", schema: z.object({ result: z.unknown() }) },
      400: { description: 'the body is not a JSON array, or a bad internal header' },
      401: { description: 'no valid token (or a wrong internal credential)' },
      403: { description: "the token's role or namespace does not allow this" },
      404: { description: 'no such function, or no such RPC method (RPC_METHOD_NOT_FOUND lists the methods)' },
      413: { description: 'the arguments or the return value are too large' },
      429: { description: "the function's limits are reached (Retry-After)" },
      502: { description: 'the method threw (FUNCTION_ERROR, with its message), returned something JSON cannot express, or crashed' },
      503: { description: 'no worker can take the call now' },
      504: { description: 'the method timed out' },
      508: { description: 'internal calls: the chain of function-to-function calls is deeper than allowed (CALL_DEPTH_EXCEEDED)' },
    },
    handler: async ({ request, reply, params, body }) => {
      const started = performance.now();
      const callDepth = request.headers[sidecarHeaders.token] === undefined ? undefined : internalCallDepth(request);
      const fn = await servingVersionFor(request, deps.functions, params.name);
      const invocationId = randomUUID();
      if (nestedDeeperThan(body, maxArgumentDepth)) {
        throw new IsolaError('BAD_REQUEST', `the arguments are nested more than ${maxArgumentDepth} arrays or objects deep; pass flatter data`);
      }
      const invocation = rpcInvocation(fn, invocationId, { method: params.method, argsJson: JSON.stringify(body) }, callDepth === undefined ? {} : { callDepth });
      const outcome = await invokeSync(deps, request, reply, invocation, 'rpc', started);
      if (!outcome.ok) return sendFailure(reply, outcome.error, invocationId);
      return reply.type('application/json').send(`{"result":${rpcResultJson(outcome.response)}}`);
    },
  });
}

/** How deep RPC arguments may nest (arrays and objects): far beyond real data, well within what JSON and the isolate handle. */
const maxArgumentDepth = 256;

/** Whether a parsed JSON value nests arrays/objects deeper than `limit` (iterative: a hostile body cannot overflow the stack). */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** The caller the internal credential proves; null without one; 401 for a wrong one. */
function internalCaller(request: FastifyRequest, internalToken: string | undefined): Caller | null {
  const presented = request.headers[sidecarHeaders.token];
  if (presented === undefined) return null;
  if (internalToken === undefined || !credentialMatches(internalToken, presented)) {
    throw new IsolaError(
      'UNAUTHORIZED',
      `${sidecarHeaders.token} does not hold this platform's internal credential: it is derived from the secret key, so every Isola process of a platform needs the same ISOLA_SECRET_KEY (outside callers send Authorization: Bearer <token> instead)`,
    );
  }
  const callerHeader = request.headers[sidecarHeaders.caller];
  const caller = typeof callerHeader === 'string' ? parseCallerHeader(callerHeader) : null;
  if (callerHeader !== undefined && caller === null) {
    throw new IsolaError('BAD_REQUEST', `${sidecarHeaders.caller} must be the calling function as name@version (e.g. cart-api@3)`);
  }
  return { tokenId: '', name: caller === null ? 'platform' : `${caller.name}@${caller.version}`, role: 'invoker', namespace: null };
}

/** The depth of an internal call (x-isola-call-depth, absent: a call no function made); 508 past maxCallDepth. */
function internalCallDepth(request: FastifyRequest): number | undefined {
  const header = request.headers[sidecarHeaders.callDepth];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[1-9]\d{0,5}$/.test(header)) {
    throw new IsolaError('BAD_REQUEST', `${sidecarHeaders.callDepth} must be a whole number of at least 1 (the calls that led here, this one included)`);
  }
  const depth = Number(header);
  if (depth > maxCallDepth) {
    const caller = request.headers[sidecarHeaders.caller];
    throw new IsolaError(
      'CALL_DEPTH_EXCEEDED',
      `this call is ${depth} function-to-function calls deep${typeof caller === 'string' ? ` (made by ${caller})` : ''}, over the limit of ${maxCallDepth}: do the functions call each other in a loop?`,
    );
  }
  return depth;
}
