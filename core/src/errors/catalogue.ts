/**
 * The one catalogue of Isola error codes. Every error that reaches a client carries one of
 * these codes; the HTTP status and whether the user or the platform is at fault follow from it.
 */
export const errorCatalogue = {
  // Bad input from the caller.
  BAD_REQUEST: { status: 400, fault: 'user', summary: 'the request is malformed (bad JSON, missing field)' },
  INVALID_MANIFEST: { status: 400, fault: 'user', summary: 'the manifest does not match the schema; details list every problem by path' },
  BUNDLE_FAILED: { status: 400, fault: 'user', summary: 'the sources do not compile or bundle; details name file:line:column' },
  UNAUTHORIZED: { status: 401, fault: 'user', summary: 'no valid bearer token' },
  FORBIDDEN: { status: 403, fault: 'user', summary: 'the token is valid but its role does not allow this' },
  NOT_FOUND: { status: 404, fault: 'user', summary: 'no such route' },
  FUNCTION_NOT_FOUND: { status: 404, fault: 'user', summary: 'no function (or version) with that name is deployed' },
  RPC_METHOD_NOT_FOUND: { status: 404, fault: 'user', summary: 'the function has no RPC method of that name; the message lists the methods it has' },
  METHOD_NOT_ALLOWED: { status: 405, fault: 'user', summary: 'the route exists but not for this method' },
  REQUEST_TIMEOUT: { status: 408, fault: 'user', summary: 'the request did not arrive in time' },
  CONFLICT: { status: 409, fault: 'user', summary: 'the request conflicts with the current state' },
  PAYLOAD_TOO_LARGE: { status: 413, fault: 'user', summary: 'the body is larger than the configured limit' },
  URI_TOO_LONG: { status: 414, fault: 'user', summary: 'a path segment is longer than the router takes' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, fault: 'user', summary: 'the body has a content type this endpoint does not take' },
  EXPECTATION_FAILED: { status: 417, fault: 'user', summary: 'the Expect header asks for something other than 100-continue' },
  HEADERS_TOO_LARGE: { status: 431, fault: 'user', summary: 'the request line and headers are larger than the server takes' },
  RATE_LIMITED: { status: 429, fault: 'user', summary: 'too many requests; retry later' },

  // The function misbehaved: the author's code is at fault, the platform is fine.
  FUNCTION_ERROR: { status: 502, fault: 'user', summary: 'the function threw or rejected' },
  FUNCTION_LOAD_FAILED: { status: 502, fault: 'user', summary: 'the function failed while its module was evaluated' },
  FUNCTION_HANDLER_MISSING: { status: 502, fault: 'user', summary: 'the function has no handler for this trigger' },
  FUNCTION_INVALID_RESPONSE: { status: 502, fault: 'user', summary: 'the handler returned something that is not a Response' },
  FUNCTION_RESPONSE_TOO_LARGE: { status: 413, fault: 'user', summary: 'the response body is larger than the configured limit' },
  FUNCTION_MEMORY_LIMIT: { status: 502, fault: 'user', summary: 'the function exceeded limits.memoryMb' },
  FUNCTION_CRASHED: { status: 502, fault: 'user', summary: 'the worker running the function died during the invocation' },
  FUNCTION_TIMEOUT: { status: 504, fault: 'user', summary: 'the function exceeded limits.timeoutMs' },
  CALL_DEPTH_EXCEEDED: { status: 508, fault: 'user', summary: 'a chain of function-to-function calls went deeper than the platform allows (functions calling each other in a loop?)' },

  // The platform is at fault or overloaded.
  FUNCTION_QUARANTINED: { status: 503, fault: 'user', summary: 'the function crashed its worker repeatedly; redeploy to lift the quarantine' },
  OVERLOADED: { status: 503, fault: 'system', summary: 'no worker can take the invocation now; retry later' },
  WORKER_LOST: { status: 503, fault: 'system', summary: 'the worker host running the invocation stopped before it finished; async invocations are run again' },
  NOT_READY: { status: 503, fault: 'system', summary: 'a dependency (Redis, workers) is not available' },
  INTERNAL: { status: 500, fault: 'system', summary: 'an unexpected platform error; see the platform logs' },
} as const satisfies Record<string, { status: number; fault: 'user' | 'system'; summary: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}

export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}
