// What `env.<NAME>` is for each kind of binding in the manifest (docs/bindings.md): the public
// API of bindings as function authors see it. The runtime's implementation (env-bindings.ts) is
// checked against these declarations, so they cannot drift; the authors' types package reuses them.

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
 * `T` for typed methods; without it every method takes JSON arguments and resolves to unknown.
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
