import { IsolaError } from '@isola/core';

/** The JSON body of every error the sidecar answers, as Dapr's HTTP API shapes it. */
export interface DaprErrorBody {
  errorCode: string;
  message: string;
}

/**
 * An error in Dapr's terms: an `ERR_*` code and an HTTP status, so that Dapr SDKs and clients
 * written for Dapr read it as they would Dapr's own. Components throw it for what the caller did
 * wrong (a 4xx: never counted against a component's circuit breaker); any other error is a
 * failure of the component.
 */
export class DaprError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    /** Seconds, for 503: the Retry-After header. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'DaprError';
  }

  get body(): DaprErrorBody {
    return { errorCode: this.errorCode, message: this.message };
  }

  /** Whether the caller is at fault (the component worked). */
  get callerFault(): boolean {
    return this.status < 500;
  }
}

/** An IsolaError (from core: CloudEvent validation, auth, sizes) in Dapr's shape, keeping its status. */
export function daprErrorOf(error: IsolaError, errorCode: string): DaprError {
  return new DaprError(error.status, errorCode, error.message, error.retryAfterSeconds);
}

/** `ERR_MALFORMED_REQUEST` (400): a body or parameter the API cannot take. */
export function malformed(message: string): DaprError {
  return new DaprError(400, 'ERR_MALFORMED_REQUEST', message);
}

/** Whether an error is the caller's fault (so not a failure of the component it reached). */
export function isCallerFault(error: unknown): boolean {
  if (error instanceof DaprError) return error.callerFault;
  if (error instanceof IsolaError) return error.fault === 'user' && error.status < 500;
  return false;
}
