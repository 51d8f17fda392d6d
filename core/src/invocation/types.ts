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

/** The event a cron tick hands to `scheduled(controller, env, ctx)`. */
export interface ScheduledEventPayload {
  /** The schedule as written in the manifest. */
  cron: string;
  /** The tick's nominal time (epoch ms), not when it ran. */
  scheduledTime: number;
}

/**
 * One message of a batch for `queue(batch, env, ctx)`: a CloudEvent's data. JSON data travels
 * as `data`; binary data (the event's `data_base64`) as `dataBase64`, and the function sees it as
 * a Uint8Array.
 */
export interface QueueMessagePayload {
  id: string;
  /** Epoch ms: the event's `time`, or when it was published. */
  timestamp: number;
  /** Deliveries so far, this one included (1 on the first). */
  attempts: number;
  data?: unknown;
  dataBase64?: string;
}

export interface QueueBatchPayload {
  /** The topic the messages came from. */
  queue: string;
  messages: QueueMessagePayload[];
}

/** A call of one RPC method: any function-valued property of the default export but fetch, scheduled and queue. */
export interface RpcCallPayload {
  method: string;
  /** The arguments: a JSON array (checked by the trigger, see checkRpcArgs). */
  argsJson: string;
  /** The caller's metadata (gRPC metadata, for the gRPC trigger): the method sees it as `this.ctx.metadata`. */
  metadata?: Record<string, string>;
}

interface InvocationRequestBase {
  invocationId: string;
  function: FunctionRef;
  limits: Limits;
  /** Function-to-function calls that led to this invocation (absent or 0: a trigger's). */
  callDepth?: number;
}

/**
 * One invocation as it crosses to a worker: which handler runs is the trigger's kind —
 * `fetch` for HTTP, `scheduled` for cron ticks, `queue` for message batches, an RPC method
 * for `rpc` (gRPC, the RPC route, service bindings).
 */
export type InvocationRequest = InvocationRequestBase &
  (
    | { trigger: 'http'; request: HttpRequestPayload }
    | { trigger: 'scheduled'; scheduled: ScheduledEventPayload }
    | { trigger: 'queue'; batch: QueueBatchPayload }
    | { trigger: 'rpc'; rpc: RpcCallPayload }
  );

/** What happens to one message of a batch: `ack` (done) or `retry` (redeliver, after a delay if given). */
export interface MessageDecision {
  id: string;
  action: 'ack' | 'retry';
  delaySeconds?: number;
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
  /**
   * Queue invocations: the decision for every message of the batch, in batch order. Messages
   * the handler did not mark are acked when it returned and retried when it threw. Absent when
   * the handler never ran to an end (timeout, crash): then every message is retried.
   */
  decisions?: MessageDecision[];
  /** Scheduled invocations: the handler called `controller.noRetry()`; a failure is final. */
  noRetry?: boolean;
}

/**
 * `response`: what `fetch` returned; for `scheduled` and `queue` a 200 whose body is the JSON of
 * the handler's return value (no body when it returned undefined); for `rpc` a 200 whose body is
 * always JSON (`null` when the method returned undefined).
 */
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

/** The function version an instanceKey names; null for anything else. */
export function parseInstanceKey(key: string): FunctionRef | null {
  const match = /^([^@#]+)@(\d+)#(.+)$/.exec(key);
  if (match === null) return null;
  return { name: match[1] as string, version: Number(match[2]), codeHash: match[3] as string };
}
