import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ErrorCode } from '@isola/core';

/**
 * The gRPC status each Isola error code answers with on the gRPC trigger (docs/rpc.md). Every
 * code has one, so a new code does not compile until it is mapped here. Size limits are
 * RESOURCE_EXHAUSTED, as grpc-js itself answers a message over the size limit.
 */
export const grpcStatusOf = {
  BAD_REQUEST: GrpcStatus.INVALID_ARGUMENT,
  INVALID_MANIFEST: GrpcStatus.INVALID_ARGUMENT,
  BUNDLE_FAILED: GrpcStatus.INVALID_ARGUMENT,
  UNAUTHORIZED: GrpcStatus.UNAUTHENTICATED,
  FORBIDDEN: GrpcStatus.PERMISSION_DENIED,
  NOT_FOUND: GrpcStatus.NOT_FOUND,
  FUNCTION_NOT_FOUND: GrpcStatus.NOT_FOUND,
  RPC_METHOD_NOT_FOUND: GrpcStatus.NOT_FOUND,
  METHOD_NOT_ALLOWED: GrpcStatus.UNIMPLEMENTED,
  REQUEST_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CONFLICT: GrpcStatus.ABORTED,
  PAYLOAD_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  URI_TOO_LONG: GrpcStatus.INVALID_ARGUMENT,
  UNSUPPORTED_MEDIA_TYPE: GrpcStatus.INVALID_ARGUMENT,
  EXPECTATION_FAILED: GrpcStatus.INVALID_ARGUMENT,
  HEADERS_TOO_LARGE: GrpcStatus.INVALID_ARGUMENT,
  RATE_LIMITED: GrpcStatus.RESOURCE_EXHAUSTED,
  FUNCTION_ERROR: GrpcStatus.INTERNAL,
  FUNCTION_LOAD_FAILED: GrpcStatus.INTERNAL,
  FUNCTION_HANDLER_MISSING: GrpcStatus.INTERNAL,
  FUNCTION_INVALID_RESPONSE: GrpcStatus.INTERNAL,
  FUNCTION_RESPONSE_TOO_LARGE: GrpcStatus.RESOURCE_EXHAUSTED,
  FUNCTION_MEMORY_LIMIT: GrpcStatus.INTERNAL,
  FUNCTION_CRASHED: GrpcStatus.INTERNAL,
  FUNCTION_TIMEOUT: GrpcStatus.DEADLINE_EXCEEDED,
  CALL_DEPTH_EXCEEDED: GrpcStatus.FAILED_PRECONDITION,
  FUNCTION_QUARANTINED: GrpcStatus.UNAVAILABLE,
  OVERLOADED: GrpcStatus.UNAVAILABLE,
  WORKER_LOST: GrpcStatus.UNAVAILABLE,
  NOT_READY: GrpcStatus.UNAVAILABLE,
  INTERNAL: GrpcStatus.INTERNAL,
} as const satisfies Record<ErrorCode, GrpcStatus>;
