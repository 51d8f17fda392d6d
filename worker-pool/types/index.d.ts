// @isola/types: what an Isola function's code sees (SPEC §2, docs/functions.md, docs/bindings.md),
// for authors to type their default export and their `Env`. Declarations only: functions import
// them with `import type`, so nothing of this package ends up in a bundle. It also declares the
// sandbox's one global beyond the Web APIs, `BindingError` (at the end), available once the
// package is imported anywhere or listed in tsconfig's "types".
//
// The binding declarations are those of the runtime (worker-pool/src/runtime/bindings/types.ts),
// and the handler arguments those of worker-pool/src/runtime/{execution-context,
// scheduled-controller,message-batch,rpc-dispatch}.ts; worker-pool/src/runtime-types.test.ts
// checks that both sides stay the same. Request and Response are the standard Web types: compile
// with lib ["ES2022", "WebWorker"] (or "DOM").

// ---------------------------------------------------------------------------------------------
// The default export

/**
 * The shape of a function's default export. Check it with `satisfies` so the object keeps its
 * own type (which service bindings of other functions can then use):
 *
 * ```ts
 * export default { async fetch(request, env, ctx) { ... } } satisfies ExportedHandler<Env>;
 * ```
 *
 * `QueueBody` is the type of `message.body` in queue(). `Methods` are the RPC methods that other
 * methods call through `this` (`this.price(sku)`).
 */
export interface ExportedHandler<Env = unknown, QueueBody = unknown, Methods = unknown> {
  /** Serves the HTTP trigger. Anything but a Response is a FUNCTION_INVALID_RESPONSE (502). */
  fetch?: ExportedHandlerFetchHandler<Env>;
  /** Serves the manifest's `crons`. A return value JSON can express becomes the invocation's result. */
  scheduled?: ExportedHandlerScheduledHandler<Env>;
  /** Serves the manifest's `queues`. A return value JSON can express becomes the invocation's result. */
  queue?: ExportedHandlerQueueHandler<Env, QueueBody>;
  /**
   * Every other function-valued property is an RPC method (the gRPC trigger, the RPC route, other
   * functions' service bindings): called with the call's JSON arguments, its return value goes
   * back as JSON (`undefined` as null).
   */
  [method: string]: RpcMethod<Env, Methods> | undefined;
}

/**
 * The `fetch` handler on its own (Cloudflare's name), for handlers written apart from the default
 * export: `export const fetch: ExportedHandlerFetchHandler<Env> = async (request, env) => ...`.
 * `request` is the standard Request: the sandbox adds nothing to it (no `cf`).
 */
export type ExportedHandlerFetchHandler<Env = unknown> = (request: Request, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;

/** The `scheduled` handler on its own (Cloudflare's name). */
export type ExportedHandlerScheduledHandler<Env = unknown> = (controller: ScheduledController, env: Env, ctx: ExecutionContext) => unknown;

/** The `queue` handler on its own (Cloudflare's name); `Body` is the type of `message.body`. */
export type ExportedHandlerQueueHandler<Env = unknown, Body = unknown> = (batch: MessageBatch<Body>, env: Env, ctx: ExecutionContext) => unknown;

/** An RPC method of the default export. Its arguments are JSON values, typed by the method itself. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any[]: each method declares its own parameters
export type RpcMethod<Env = unknown, Methods = unknown> = (this: RpcThis<Env, Methods>, ...args: any[]) => unknown;

/**
 * `this` in an RPC method: an object inheriting from the default export (so its other methods,
 * given as `Methods`, are there) with the function's `env` and the call's `ctx`.
 */
export type RpcThis<Env = unknown, Methods = unknown> = Methods & {
  readonly env: Env;
  readonly ctx: RpcContext;
};

/** `this.ctx` in an RPC method: the usual ExecutionContext plus the caller's metadata. */
export interface RpcContext extends ExecutionContext {
  /** The caller's metadata (gRPC metadata of the gRPC trigger; empty from a service binding). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Every handler's third argument (Cloudflare's ExecutionContext). */
export interface ExecutionContext {
  /** Identifies the invocation in logs and traces (also the X-Isola-Invocation-Id response header). */
  readonly invocationId: string;
  /**
   * Keeps the invocation going until `promise` settles, for work after the response. A rejection
   * is logged; it does not fail the invocation.
   */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for Workers compatibility; does nothing (there is no origin to pass through to). */
  passThroughOnException(): void;
}

/** scheduled()'s first argument (Cloudflare's ScheduledController). */
export interface ScheduledController {
  readonly type: 'scheduled';
  /** The schedule as written in the manifest. */
  readonly cron: string;
  /** The tick's nominal time, epoch ms (not when the handler started). */
  readonly scheduledTime: number;
  /** Makes a failure of this invocation final: it is not retried. */
  noRetry(): void;
}

/** Options of message.retry() and batch.retryAll(). */
export interface QueueRetryOptions {
  /** Deliver again after this many seconds: a whole number from 0 to 43200 (12 hours), else a TypeError. */
  delaySeconds?: number;
}

/** One message of a MessageBatch (Cloudflare's Message). The first ack()/retry() call on it wins. */
export interface Message<Body = unknown> {
  /** The message's id (the CloudEvent's `id`). */
  readonly id: string;
  /** The event's `time`, or when it was published. */
  readonly timestamp: Date;
  /** The event's JSON `data` (this delivery's own copy), or a Uint8Array for binary data. */
  readonly body: Body;
  /** Deliveries so far, this one included (1 the first time). */
  readonly attempts: number;
  /** The message is done: it is not delivered again. */
  ack(): void;
  /** Deliver the message again (after `options.delaySeconds`). */
  retry(options?: QueueRetryOptions): void;
}

/**
 * queue()'s first argument (Cloudflare's MessageBatch). A call on a message takes precedence over
 * ackAll()/retryAll(); a message nobody decided is acked when the handler returns and retried
 * when it throws.
 */
export interface MessageBatch<Body = unknown> {
  /** The topic. */
  readonly queue: string;
  readonly messages: readonly Message<Body>[];
  /** Acks every message that has no ack()/retry() call of its own. */
  ackAll(): void;
  /** Retries every message that has no ack()/retry() call of its own. */
  retryAll(options?: QueueRetryOptions): void;
}

// ---------------------------------------------------------------------------------------------
// Bindings: what `env.<NAME>` is for each kind of binding in the manifest (docs/bindings.md)

/** A value that survives JSON unchanged: what state values, messages and RPC arguments may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue | undefined };

/**
 * What a binding method accepts for a value of type T: T itself when JSON carries it unchanged,
 * else T with each part JSON cannot carry (a function or method, a bigint, a symbol, undefined
 * outside an object, a Date) replaced by a message, which tsc's error then shows. Unlike
 * JsonValue it takes objects typed by an `interface` (which have no index signature).
 */
export type JsonCompatible<T> = T extends JsonShape<T> ? T : JsonShape<T>;

/** The arguments of an untyped service method, each checked as JsonCompatible. */
export type JsonArguments<A extends readonly unknown[]> = { [I in keyof A]: JsonCompatible<A[I]> };

/** T with what JSON cannot carry replaced by a message; JsonValue parts are left as they are. */
export type JsonShape<T> = T extends JsonValue
  ? T
  : T extends (...args: never[]) => unknown
    ? NotJson<'a function'>
    : T extends bigint
      ? NotJson<'a bigint (write it as a string)'>
      : T extends symbol
        ? NotJson<'a symbol'>
        : T extends undefined
          ? NotJson<'undefined (except as an object property, which is left out)'>
          : T extends Date
            ? NotJson<'a Date (use date.toISOString())'>
            : T extends readonly unknown[]
              ? { [I in keyof T]: JsonShape<T[I]> }
              : T extends object
                ? { [K in keyof T]: T[K] extends undefined ? T[K] : JsonShape<Exclude<T[K], undefined>> | Extract<T[K], undefined> }
                : NotJson<'a value of unknown type (check its type first)'>;

/** The message tsc shows where a value has a part JSON cannot carry. */
export type NotJson<What extends string> = `${What} cannot cross a binding as JSON`;

/** Why a binding call failed (BindingError.code). */
export type BindingErrorCode =
  /** The etag given no longer matches the stored one (a concurrent write won): read again and retry. */
  | 'ETAG_MISMATCH'
  /** The sidecar refused the component or operation to this function. */
  | 'PERMISSION_DENIED'
  /** The component, key or function does not exist. */
  | 'NOT_FOUND'
  /** The call's arguments were refused (by the runtime before sending, or by the sidecar). */
  | 'BAD_REQUEST'
  /** The sidecar or its backing service is down, overloaded or its circuit breaker is open: retry later. */
  | 'UNAVAILABLE'
  /** The call did not finish within the time the invocation had left (limits.timeoutMs). */
  | 'TIMEOUT'
  /** A service binding's function ran and failed: `remote` holds its error. */
  | 'CALL_FAILED'
  /** The invocation made more binding calls than ISOLA_MAX_BINDING_CALLS allows. */
  | 'TOO_MANY_CALLS'
  /** The sidecar answered something this runtime does not understand. */
  | 'INTERNAL';

/** What every binding method rejects with: `error instanceof BindingError`, then `error.code`. */
export interface BindingError extends Error {
  readonly name: 'BindingError';
  readonly code: BindingErrorCode;
  /** The binding's name in the manifest (`CART` for env.CART). */
  readonly binding: string;
  /** The method called (`put`, `publish`, or the RPC method of a service binding). */
  readonly operation: string;
  /** CALL_FAILED: the called function's error as its invocation reported it. */
  readonly remote?: { readonly code: string; readonly message: string; readonly invocationId?: string };
}

/** The class of BindingError, a global inside the sandbox (so `error instanceof BindingError` works). */
export interface BindingErrorConstructor {
  new (code: BindingErrorCode, message: string, binding: string, operation: string, remote?: BindingError['remote']): BindingError;
  readonly prototype: BindingError;
}

/** One entry of StateBinding.getBulk(): `value` and `etag` are null for a key that holds nothing. */
export interface StateEntry<T = JsonValue> {
  key: string;
  value: T | null;
  etag: string | null;
}

export interface StatePutOptions {
  /** Write only if the stored value still has this etag (from getWithEtag), else ETAG_MISMATCH. */
  etag?: string;
  /** With an etag: `first-write` (default when an etag is given) checks it; `last-write` ignores it. */
  concurrency?: 'first-write' | 'last-write';
  /** The value expires this many seconds after the write (integer ≥ 1). */
  ttlSeconds?: number;
}

/** `{ type: state, store }`: a key/value store under this function's own key prefix. */
export interface StateBinding {
  /** The value stored under `key`, or null when there is none. */
  get<T = JsonValue>(key: string): Promise<T | null>;
  /** The value and its etag (for a conditional put or delete), or null when there is none. */
  getWithEtag<T = JsonValue>(key: string): Promise<{ value: T; etag: string } | null>;
  /** Stores `value` (anything JSON carries unchanged, see JsonCompatible) under `key`. */
  put<T>(key: string, value: JsonCompatible<T>, options?: StatePutOptions): Promise<void>;
  /** Deleting a key that holds nothing succeeds. With an etag, only that version is deleted. */
  delete(key: string, options?: { etag?: string }): Promise<void>;
  /** One entry per key, in the order given. */
  getBulk<T = JsonValue>(keys: readonly string[]): Promise<StateEntry<T>[]>;
}

/** `{ type: pubsub, pubsub, topic }`: publishes to one topic. */
export interface PubSubBinding {
  /**
   * Publishes `data` as JSON (content type application/json). With another `contentType`, `data`
   * must be a string and is sent as it is.
   */
  publish<T>(data: JsonCompatible<T>, options?: { contentType?: string }): Promise<void>;
}

/** One configuration item. */
export interface ConfigItem {
  value: string;
  version: string;
  metadata?: Record<string, string>;
}

/** `{ type: config, store }`: reads configuration items and follows their changes. */
export interface ConfigBinding {
  /** The items that exist among `keys`, by key (missing keys are left out). */
  get(keys: string | readonly string[]): Promise<Record<string, ConfigItem>>;
  /**
   * Calls `onChange` with the changed items each time some of `keys` change, for as long as this
   * instance lives or until the returned function is called. Resolves once the subscription is
   * open. `onChange` runs outside any invocation: keep it to updating in-memory state.
   */
  subscribe(keys: string | readonly string[], onChange: (items: Record<string, ConfigItem>) => void | Promise<void>): Promise<() => void>;
}

/** `{ type: lock, store }`: distributed locks with an expiry, under this function's key prefix. */
export interface LockBinding {
  /**
   * Tries once to take the lock on `resourceId` for `ttlSeconds` (integer ≥ 1). `owner` names the
   * holder (default: a random id, returned as `owner`); pass it to release().
   */
  acquire(resourceId: string, options: { ttlSeconds: number; owner?: string }): Promise<{ acquired: boolean; owner: string }>;
  release(resourceId: string, owner: string): Promise<'released' | 'not-found' | 'not-owner'>;
}

/** `{ type: secret, store }`: reads secrets from a secret store component. */
export interface SecretBinding {
  /** The secret's value; NOT_FOUND when the store has no such secret. */
  get(key: string): Promise<string>;
}

/** A method of a service binding: its arguments and result cross as JSON. */
export type RemoteMethod<M> = M extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** A method of a service binding typed without the called function: JSON arguments, an unknown result. */
export type UntypedRemoteMethod = <A extends unknown[]>(...args: JsonArguments<A>) => Promise<unknown>;

/**
 * `{ type: service, function }`: every property is a method that calls the function's RPC
 * method of that name (`env.PRICER.quote(1, 2)`). Give the called function's handler object as
 * `T` for typed methods (`ServiceBinding<typeof import('../pricer/src/index.js').default>`);
 * without it every method takes JSON arguments and resolves to unknown.
 * `then`, `toJSON` and `constructor` are not methods (so `await env.PRICER` and
 * JSON.stringify(env) stay harmless).
 */
export type ServiceBinding<T = unknown> = unknown extends T ? UntypedServiceBinding : TypedServiceBinding<T>;

/** A service binding typed by the called function's handler object T: its RPC methods, returning promises. */
export type TypedServiceBinding<T> = {
  readonly [K in keyof T as K extends 'fetch' | 'scheduled' | 'queue' | 'then' | 'toJSON' | 'constructor' ? never : K]: RemoteMethod<T[K]>;
};

/** A service binding without the called function's type: any method, JSON arguments, an unknown result. */
export interface UntypedServiceBinding {
  readonly [method: string]: UntypedRemoteMethod;
}

/** Cloudflare's name for a service binding (without `fetch`: a service binding only reaches RPC methods). */
export type Service<T = unknown> = ServiceBinding<T>;

/** One message of QueueBinding.sendBatch(). */
export interface QueueMessage<Body = JsonValue> {
  body: Body;
}

/** `{ type: queue, topic, pubsub? }`: a producer for a topic that queue() handlers consume. */
export interface QueueBinding {
  /** Sends `body` (anything JSON carries unchanged, see JsonCompatible) as one message. */
  send<T>(body: JsonCompatible<T>): Promise<void>;
  /** Sends each message in order; stops at the first that fails (those before it were sent). */
  sendBatch<M extends QueueMessage<unknown>>(messages: Iterable<M & QueueMessage<JsonCompatible<M['body']>>>): Promise<void>;
}

/** The object `env.<NAME>` holds, by binding type. */
export interface BindingsByType {
  state: StateBinding;
  pubsub: PubSubBinding;
  config: ConfigBinding;
  lock: LockBinding;
  secret: SecretBinding;
  service: ServiceBinding;
  queue: QueueBinding;
}

export type BindingType = keyof BindingsByType;

// ---------------------------------------------------------------------------------------------
// Globals of the sandbox that the Web libs ("WebWorker" or "DOM") do not declare

type BindingErrorType = BindingError;

declare global {
  /** The class binding methods reject with: `if (error instanceof BindingError && error.code === 'ETAG_MISMATCH') ...`. */
  var BindingError: BindingErrorConstructor;
  type BindingError = BindingErrorType;
}
