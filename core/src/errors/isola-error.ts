import { errorCatalogue, isErrorCode, type ErrorCode } from './catalogue.js';

/** An error as it crosses a process, isolate or network boundary: a plain object, never a class. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: unknown;
  /** 429 and 503: when the caller may try again; the gateway sends it as Retry-After (whole seconds). */
  retryAfterMs?: number;
}

/** The JSON body every error response carries (SPEC §3). */
export interface ErrorBody {
  error: ErrorShape & { invocationId?: string };
}

/** The one error class of Isola. Its code decides the HTTP status and who is at fault. */
export class IsolaError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  /** For 429 and 503: when the client may try again (the Retry-After header), in whole seconds. */
  retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'IsolaError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return errorCatalogue[this.code].status;
  }

  get fault(): 'user' | 'system' {
    return errorCatalogue[this.code].fault;
  }

  /** Sets Retry-After (rounded up to whole seconds, at least 1); returns the error. */
  retryAfter(milliseconds: number): this {
    this.retryAfterSeconds = Math.max(1, Math.ceil(milliseconds / 1000));
    return this;
  }

  toShape(): ErrorShape {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static fromShape(shape: ErrorShape): IsolaError {
    return new IsolaError(shape.code, shape.message, shape.details);
  }
}

export function isErrorShape(value: unknown): value is ErrorShape {
  return (
    typeof value === 'object' &&
    value !== null &&
    isErrorCode((value as { code?: unknown }).code) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

export function errorBody(error: ErrorShape, invocationId?: string): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  if (invocationId !== undefined) body.error.invocationId = invocationId;
  return body;
}
