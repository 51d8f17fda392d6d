// The contract between the host (worker-pool/src/sandbox) and this runtime. Everything that
// crosses the isolate boundary is a plain, structured-cloneable value: strings, numbers,
// arrays, plain objects and Uint8Array — never a class instance.
import type { LogLevel } from './web/console.js';

export type { LogLevel };

/** One captured console line. */
export interface LogLine {
  level: LogLevel;
  /** Epoch milliseconds (Date.now()) when the line was written. */
  time: number;
  message: string;
}

/** `metaJson` of dispatch(), parsed. */
export interface DispatchMeta {
  invocationId: string;
  method: string;
  url: string;
  headers: [name: string, value: string][];
  /**
   * The response body cap. A ReadableStream body is read only up to it (then canceled and
   * reported as FUNCTION_RESPONSE_TOO_LARGE); a buffered body is returned whole and the host
   * checks its size. Absent: no cap.
   */
  maxResponseBytes?: number;
}

/** The user faults dispatch() reports instead of rejecting. */
export type DispatchErrorCode = 'FUNCTION_HANDLER_MISSING' | 'FUNCTION_ERROR' | 'FUNCTION_INVALID_RESPONSE' | 'FUNCTION_RESPONSE_TOO_LARGE';

export interface DispatchError {
  code: DispatchErrorCode;
  message: string;
  /** For FUNCTION_ERROR when the thrown value had them. */
  details?: { name?: string; stack?: string };
}

interface CapturedLogs {
  logs: LogLine[];
  /** True when lines were dropped; the last line then says how many bytes. */
  logsTruncated: boolean;
}

export interface DispatchSuccess extends CapturedLogs {
  ok: true;
  status: number;
  statusText: string;
  /** Lowercase names, sorted, values combined by ", " except set-cookie (one entry each). */
  headers: [name: string, value: string][];
  body: Uint8Array | null;
}

export interface DispatchFailure extends CapturedLogs {
  ok: false;
  error: DispatchError;
}

export type DispatchResult = DispatchSuccess | DispatchFailure;

/** What the bundle defines as `globalThis.__isolaRuntime` (the host deletes it after use). */
export interface IsolaRuntime {
  /** Called once per isolate, after the user module was evaluated. Throws on a bad module. */
  install(namespace: object, envJson: string, maxLogBytes: number): void;
  /** Runs the fetch handler for one request. Rejects only on host faults (bad metaJson). */
  dispatch(metaJson: string, body: Uint8Array | undefined): Promise<DispatchResult>;
  /** Starts a dispatch (the synchronous fast path); returns a ticket for collect()/wait(). */
  start(metaJson: string, body: Uint8Array | undefined): number;
  /** The result of a started dispatch, or null while it is still waiting for I/O or timers. */
  collect(ticket: number): DispatchResult | null;
  /** The result of a started dispatch that collect() found still running. */
  wait(ticket: number): Promise<DispatchResult>;
  /** Exercises the dispatch path once with a built-in handler, before install (pool isolates). */
  warmup(): Promise<void>;
}
