// What every RPC entry (the gRPC trigger, `POST /api/v1/functions/{name}/rpc/{method}`, and
// through the latter the sidecar's service invocation) shares: the shape of an RPC invocation,
// the check of its arguments, and the reading of its result.
import type { FunctionVersion } from '../store/function-store.js';
import type { HttpResponsePayload, InvocationRequest, RpcCallPayload } from './types.js';

/**
 * Why `argsJson` cannot be a call's arguments, or null when it can: it must be a JSON array.
 * The arguments cross to the worker as this text and are parsed once more in the isolate.
 */
export function rpcArgsProblem(argsJson: string): string | null {
  let args: unknown;
  try {
    args = JSON.parse(argsJson);
  } catch (error) {
    return `the arguments are not valid JSON (${(error as Error).message}); send a JSON array, e.g. [1, "two"] ([] for none)`;
  }
  return Array.isArray(args) ? null : `the arguments must be a JSON array of the method's arguments, e.g. [1, "two"] ([] for none), not ${describeJson(args)}`;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

export interface RpcInvocationOptions {
  metadata?: Record<string, string>;
  /** Function-to-function calls that led here (see sidecarHeaders.callDepth). */
  callDepth?: number;
  /** Lower than the version's limits.timeoutMs when the caller's deadline is nearer (gRPC deadlines). */
  timeoutMs?: number;
}

/** The InvocationRequest for calling `method` of `fn` (the version an alias picked). */
export function rpcInvocation(
  fn: FunctionVersion,
  invocationId: string,
  call: Pick<RpcCallPayload, 'method' | 'argsJson'>,
  options: RpcInvocationOptions = {},
): InvocationRequest {
  const { limits } = fn.manifest;
  return {
    invocationId,
    function: { name: fn.name, version: fn.version, codeHash: fn.codeHash },
    limits: options.timeoutMs === undefined || options.timeoutMs >= limits.timeoutMs ? limits : { ...limits, timeoutMs: Math.max(1, Math.floor(options.timeoutMs)) },
    ...(options.callDepth === undefined ? {} : { callDepth: options.callDepth }),
    trigger: 'rpc',
    rpc: { method: call.method, argsJson: call.argsJson, ...(options.metadata === undefined ? {} : { metadata: options.metadata }) },
  };
}

/** The JSON text of an RPC method's return value, from a successful outcome's response. */
export function rpcResultJson(response: HttpResponsePayload): string {
  return response.body === undefined || response.body.byteLength === 0 ? 'null' : new TextDecoder().decode(response.body);
}
