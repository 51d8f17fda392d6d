import type { ErrorShape } from '../errors/isola-error.js';
import type { Limits } from '../manifest/schema.js';

/** Which deployed code an invocation runs. A version is immutable; its code hash names the bundle. */
export interface FunctionRef {
  name: string;
  version: number;
  codeHash: string;
}

/** An HTTP request as it crosses into a worker and then into the isolate. */
export interface HttpRequestPayload {
  method: string;
  /** The absolute URL the client asked for, including the query. */
  url: string;
  headers: [string, string][];
  body?: Uint8Array;
}

/** The function's Response, flattened. */
export interface HttpResponsePayload {
  status: number;
  statusText: string;
  headers: [string, string][];
  body?: Uint8Array;
}

export interface InvocationRequest {
  invocationId: string;
  function: FunctionRef;
  limits: Limits;
  trigger: 'http';
  request: HttpRequestPayload;
}

export type LogLevel = 'debug' | 'log' | 'info' | 'warn' | 'error';

export interface LogLine {
  level: LogLevel;
  /** Epoch milliseconds. */
  time: number;
  message: string;
}

export interface InvocationTimings {
  /** Time to find or build the instance (zero when warm). */
  loadMs: number;
  /** Time spent in the handler. */
  runMs: number;
  /**
   * CPU time the isolate spent on this invocation, when measured. Exact on the synchronous
   * path; when invocations interleave in one instance, their waits overlap and each reports
   * the CPU its isolate used while it was in flight.
   */
  cpuMs?: number;
  /** The instance's used heap after the invocation, in bytes. */
  heapBytes?: number;
}

interface OutcomeCommon {
  coldStart: boolean;
  logs: LogLine[];
  /** True when lines were dropped because the per-invocation log cap was reached. */
  logsTruncated: boolean;
  timings: InvocationTimings;
  workerId: string;
}

export type InvocationOutcome =
  | (OutcomeCommon & { ok: true; response: HttpResponsePayload })
  | (OutcomeCommon & { ok: false; error: ErrorShape });

/** What triggers call to run an invocation: the scheduler implements it. */
export interface Invoker {
  invoke(request: InvocationRequest): Promise<InvocationOutcome>;
  /** How many workers can take invocations now (readiness). */
  readyWorkers(): number;
}

/** One worker process as the scheduler sees it: its load and what it has warm. */
export interface WorkerChannel {
  readonly id: string;
  readonly ready: boolean;
  readonly inFlight: number;
  /** Whether an instance for this code (see instanceKey) is loaded in the worker. */
  isWarm(instanceKey: string): boolean;
  invoke(request: InvocationRequest): Promise<InvocationOutcome>;
}

/** Where the scheduler finds workers; the worker pool's supervisor implements it. */
export interface WorkerSource {
  workers(): readonly WorkerChannel[];
}

/** Identifies one loaded instance: the same code with the same limits is the same instance. */
export function instanceKey(fn: FunctionRef): string {
  return `${fn.name}@${fn.version}#${fn.codeHash}`;
}
