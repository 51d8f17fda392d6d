// The contract between the host (worker-pool/src/sandbox) and this runtime. Everything that
// crosses the isolate boundary is a plain, structured-cloneable value: strings, numbers,
// arrays, plain objects and Uint8Array — never a class instance.
import type { BindingErrorCode, BindingType } from './bindings/types.js';
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
export type DispatchErrorCode =
  | 'FUNCTION_HANDLER_MISSING'
  | 'FUNCTION_ERROR'
  | 'FUNCTION_INVALID_RESPONSE'
  | 'FUNCTION_RESPONSE_TOO_LARGE'
  | 'RPC_METHOD_NOT_FOUND';

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

/**
 * `eventJson` of dispatchEvent(), parsed: a cron tick for `scheduled`, a message batch for
 * `queue`, or a call of an RPC method (mirrors ScheduledEventPayload, QueueBatchPayload and
 * RpcCallPayload in @isola/core).
 */
export type EventMeta =
  | { invocationId: string; trigger: 'scheduled'; cron: string; scheduledTime: number }
  | { invocationId: string; trigger: 'queue'; queue: string; messages: QueueMessageMeta[] }
  | RpcMeta;

/** A call of an RPC method; `argsJson` is a JSON array (the trigger checked it). */
export interface RpcMeta {
  invocationId: string;
  trigger: 'rpc';
  method: string;
  argsJson: string;
  /** The caller's metadata; the method sees it as `this.ctx.metadata`. */
  metadata?: Record<string, string>;
}

/**
 * One message of a queue batch. A binary message has no `data`: its bytes travel beside the
 * JSON, in dispatchEvent()'s `bodies` argument at the same index.
 */
export interface QueueMessageMeta {
  id: string;
  /** Epoch ms. */
  timestamp: number;
  /** Deliveries so far, this one included. */
  attempts: number;
  /** The message's JSON value; absent for a binary message (and for one without data). */
  data?: unknown;
}

/** What becomes of one message of a batch. */
export interface MessageDecision {
  id: string;
  action: 'ack' | 'retry';
  /** Integer seconds, 0..43200, only when the handler asked for a delay. */
  delaySeconds?: number;
}

/** What scheduled and queue invocations report besides success or failure. */
interface EventReport extends CapturedLogs {
  /** Queue: one per message, in batch order. Absent when the handler never ran (no queue handler). */
  decisions?: MessageDecision[];
  /** Scheduled: the handler called controller.noRetry(). */
  noRetry?: true;
}

export interface EventSuccess extends EventReport {
  ok: true;
  /**
   * JSON of the handler's return value; null when it returned undefined or something JSON cannot
   * express. An RPC method's is never null: `"null"` for undefined, and a value JSON cannot
   * express fails the call (FUNCTION_INVALID_RESPONSE).
   */
  resultJson: string | null;
}

export interface EventFailure extends EventReport {
  ok: false;
  error: DispatchError;
}

export type EventResult = EventSuccess | EventFailure;

/** The hash functions crypto.subtle offers, by their WebCrypto names. */
export type DigestAlgorithm = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

/** An outbound request as the runtime hands it to the host (fetch). */
export interface OutboundRequest {
  /** Numbers the fetch within the isolate, so abortFetch can name it. */
  fetchId: number;
  /** The invocation the request is counted against (the most recently started one). */
  invocationId: string;
  url: string;
  method: string;
  headers: [name: string, value: string][];
  /** null: no body (GET, HEAD, or none given). */
  body: Uint8Array | null;
  redirect: 'follow' | 'error' | 'manual';
}

/** What the host's fetch resolves with; never rejects. */
export type OutboundResult =
  | {
      ok: true;
      status: number;
      statusText: string;
      /** As received, in order. */
      headers: [name: string, value: string][];
      /** The final URL, after redirects, without fragment. */
      url: string;
      redirected: boolean;
      body: Uint8Array | null;
    }
  | { ok: false; errorName: 'TypeError' | 'TimeoutError' | 'AbortError'; message: string };

/**
 * A binding call as the runtime hands it to the host (sidecarCall). It names the binding, never a
 * component: the host looks the binding up in the loaded function's manifest and refuses others.
 */
export interface SidecarRequest {
  /** The invocation the call is made for; null only for `unsubscribe`, which may come between invocations. */
  invocationId: string | null;
  /** The binding's name in the manifest (`CART` for env.CART). */
  binding: string;
  /** The method called: `get`, `put`, `publish`..., or for a service binding the RPC method's name. */
  operation: string;
  /** The method's arguments as a JSON array, checked and written inside the isolate. */
  argsJson: string;
  /** `subscribe` and `unsubscribe` of a config binding: the subscription, numbered by the runtime. */
  subscriptionId?: number;
}

/** What the host hands back for a binding call (completeSidecarCall); a failure is a result, never a throw. */
export type SidecarResult =
  | { ok: true; resultJson: string }
  | { ok: false; code: BindingErrorCode; message: string; remote?: { code: string; message: string; invocationId?: string } };

/**
 * The host capabilities the runtime may call, connected once per isolate (connectHost) as
 * isolated-vm References. Arguments and results are copied; the host validates both.
 */
export interface HostFunctions {
  /** `length` (0..65536) bytes from the host's CSPRNG. */
  randomBytes(length: number): Uint8Array;
  digest(algorithm: DigestAlgorithm, data: Uint8Array): Uint8Array;
  hmac(hash: DigestAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** Call runTimers() no later than `delayMs` from now (≤ 0: now); null: no timer is pending. */
  scheduleTimers(delayMs: number | null): void;
  /** Called with apply (async): the result is a promise. */
  fetch(request: OutboundRequest): Promise<OutboundResult>;
  abortFetch(fetchId: number): void;
  /**
   * Starts one call of a binding method through the sidecar and returns at once; the host hands
   * the result back with completeSidecarCall(callId, result) from its own thread, so a binding
   * call costs no trip through isolated-vm's asynchronous machinery.
   */
  sidecarCall(callId: number, request: SidecarRequest): void;
  /** A dispatch that collect() found still running has settled: collect it (see IsolaRuntime.collect). */
  dispatchSettled(ticket: number): void;
}

export type HostFunctionName = keyof HostFunctions;

/** What the bundle defines as `globalThis.__isolaRuntime` (the host deletes it after use). */
export interface IsolaRuntime {
  /**
   * Hands the runtime the host's capabilities as isolated-vm References, in pairs
   * (name, reference, name, reference...), once, when the isolate is prepared and before any
   * user code runs. The runtime keeps them in its closure: user code can never reach one.
   */
  connectHost(...pairs: unknown[]): void;
  /**
   * Runs the earliest due timer callback, if any (one per call, so microtasks run between
   * callbacks as between tasks). Returns the milliseconds until the next timer is due, or -1
   * when none is pending.
   */
  runTimers(): number;
  /**
   * Called once per isolate, after the user module was evaluated. Throws on a bad module.
   * `bindingsJson` maps each binding's name to its type (`{"CART":"state"}`); absent: no bindings.
   */
  install(namespace: object, envJson: string, maxLogBytes: number, bindingsJson?: string): void;
  /**
   * Hands a config subscription's changed items (JSON of `{key: {value, version, metadata}}`) to
   * its onChange callback; null: the sidecar ended the subscription. Runs outside invocations.
   */
  deliverConfigUpdate(subscriptionId: number, itemsJson: string | null): void;
  /** Settles the binding call `callId` (see HostFunctions.sidecarCall); the caller's code runs on in its microtasks. */
  completeSidecarCall(callId: number, result: SidecarResult): void;
  /** Runs the fetch handler for one request. Rejects only on host faults (bad metaJson). */
  dispatch(metaJson: string, body: Uint8Array | undefined): Promise<DispatchResult>;
  /**
   * Runs the scheduled or queue handler for one event, or an RPC method for a call (always
   * asynchronous: there is no fast path for these). `bodies` holds the bytes of binary queue messages at their message's index
   * (null for the others). Rejects only on host faults (malformed eventJson or bodies).
   */
  dispatchEvent(eventJson: string, bodies: (Uint8Array | null)[] | undefined): Promise<EventResult>;
  /** Starts a fetch dispatch (the synchronous fast path); returns a ticket for collect(). */
  start(metaJson: string, body: Uint8Array | undefined): number;
  /** Starts a dispatchEvent() on the fast path; returns a ticket for collect(). */
  startEvent(eventJson: string, bodies: (Uint8Array | null)[] | undefined): number;
  /**
   * The result of a started dispatch (a DispatchResult, or an EventResult for startEvent), or null
   * while it is still waiting for I/O or timers; after a null, the runtime calls the host's
   * dispatchSettled(ticket) once it has settled, and the host collects it then.
   */
  collect(ticket: number): DispatchResult | EventResult | null;
  /** Exercises the dispatch path once with a built-in handler, before install (pool isolates). */
  warmup(): Promise<void>;
}

/** `bindingsJson` of install(), parsed. */
export type BindingTypes = Record<string, BindingType>;

/** A result before its captured logs are attached (distributes over the union). */
export type WithoutLogs<T> = T extends unknown ? Omit<T, 'logs' | 'logsTruncated'> : never;
