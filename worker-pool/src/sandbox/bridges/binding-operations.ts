// The host half of each binding kind: how one method call (its arguments already parsed from the
// isolate's JSON, but not yet trusted) becomes Dapr HTTP API requests to the sidecar, and how the
// answers become the method's result. A registry by binding type, like the runtime's
// (runtime/bindings/env-bindings.ts). Config subscriptions are streams, handled by the bridge.
import { randomUUID } from 'node:crypto';
import type { Binding, BindingType } from '@isola/core';
import type { BindingErrorCode } from '@isola/types';
import type { SidecarRequest, SidecarResponse } from './sidecar-client.js';

// The codes authors see (the @isola/types package, kept identical to the runtime's by its tests).
export type { BindingErrorCode };

/** The remote function's error, for CALL_FAILED. */
export interface RemoteError {
  code: string;
  message: string;
  invocationId?: string;
}

/** A failed call: becomes a BindingError in the isolate. `message` says what happened; the bridge adds which call. */
export class BindingFailure extends Error {
  constructor(
    readonly code: BindingErrorCode,
    message: string,
    readonly remote?: RemoteError,
  ) {
    super(message);
  }
}

/** What an operation gets: the binding's manifest entry and a way to reach the sidecar. */
export interface OperationContext<B extends Binding = Binding> {
  binding: B;
  /** Sends one request; transport failures and timeouts reject with a BindingFailure. */
  send(request: SidecarRequest): Promise<SidecarResponse>;
}

/** One method: checks its arguments (BAD_REQUEST) and returns a JSON-serialisable result. */
type Operation<B extends Binding> = (context: OperationContext<B>, args: unknown[]) => Promise<unknown>;

export type BindingOf<T extends BindingType> = Extract<Binding, { type: T }>;

/** How many sidecar requests a call makes, counted against the invocation's cap: one, but one per message for sendBatch. */
export function requestsOf(operation: string, args: unknown[]): number {
  return operation === 'sendBatch' && Array.isArray(args[0]) ? Math.max(1, args[0].length) : 1;
}

const segment = encodeURIComponent;

const state: Record<string, Operation<BindingOf<'state'>>> = {
  async get({ binding, send }, args) {
    const key = stateKey(args[0]);
    return (await readState(send, binding.store, key))?.value ?? null;
  },
  async getWithEtag({ binding, send }, args) {
    return readState(send, binding.store, stateKey(args[0]));
  },
  async put({ binding, send }, args) {
    const key = stateKey(args[0]);
    const settings = record(args[2], 'options');
    const etag = optionalString(settings['etag'], 'options.etag');
    const concurrency = settings['concurrency'] ?? (etag === undefined ? undefined : 'first-write');
    if (concurrency !== undefined && concurrency !== 'first-write' && concurrency !== 'last-write') throw badRequest('options.concurrency must be first-write or last-write');
    const ttlSeconds = settings['ttlSeconds'];
    if (ttlSeconds !== null && ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && (ttlSeconds as number) >= 1)) throw badRequest('options.ttlSeconds must be a whole number ≥ 1');
    const item: Record<string, unknown> = { key, value: args[1] ?? null };
    if (etag !== undefined) item.etag = etag;
    if (concurrency !== undefined) item.options = { concurrency };
    if (typeof ttlSeconds === 'number') item.metadata = { ttlInSeconds: String(ttlSeconds) };
    expectSuccess(await send({ method: 'POST', path: `/v1.0/state/${segment(binding.store)}`, body: JSON.stringify([item]) }));
    return null;
  },
  async delete({ binding, send }, args) {
    const key = stateKey(args[0]);
    const etag = optionalString(args[1], 'options.etag');
    const headers = etag === undefined ? undefined : { 'if-match': etag };
    expectSuccess(await send({ method: 'DELETE', path: `/v1.0/state/${segment(binding.store)}/${segment(key)}`, ...(headers ? { headers } : {}) }));
    return null;
  },
  async getBulk({ binding, send }, args) {
    const keys = stringList(args[0], 'keys').map(stateKey);
    const response = expectSuccess(await send({ method: 'POST', path: `/v1.0/state/${segment(binding.store)}/bulk`, body: JSON.stringify({ keys, parallelism: 10 }) }));
    const items = parsedBody(response);
    if (!Array.isArray(items)) throw unexpected(response);
    const byKey = new Map<string, { data?: unknown; etag?: unknown; error?: unknown }>();
    for (const item of items as { key?: unknown; data?: unknown; etag?: unknown; error?: unknown }[]) if (typeof item?.key === 'string') byKey.set(item.key, item);
    return keys.map((key) => {
      const item = byKey.get(key);
      if (typeof item?.error === 'string' && item.error !== '') throw new BindingFailure('UNAVAILABLE', `reading key "${key}" failed: ${item.error}`);
      const found = item !== undefined && item.data !== undefined && item.data !== null;
      return { key, value: found ? item.data : null, etag: found && typeof item.etag === 'string' ? item.etag : null };
    });
  },
};

const pubsub: Record<string, Operation<BindingOf<'pubsub'>>> = {
  async publish({ binding, send }, args) {
    await publish(send, binding.pubsub, binding.topic, args[0], optionalString(args[1] ?? undefined, 'options.contentType'));
    return null;
  },
};

const queue: Record<string, Operation<BindingOf<'queue'>>> = {
  async send({ binding, send }, args) {
    await publish(send, binding.pubsub, binding.topic, args[0], undefined);
    return null;
  },
  async sendBatch({ binding, send }, args) {
    if (!Array.isArray(args[0])) throw badRequest('messages must be an array');
    // In order, one at a time: the first failure stops the batch, and what was sent before it stays sent.
    for (const body of args[0]) await publish(send, binding.pubsub, binding.topic, body, undefined);
    return null;
  },
};

const config: Record<string, Operation<BindingOf<'config'>>> = {
  async get({ binding, send }, args) {
    const response = expectSuccess(await send({ method: 'GET', path: `/v1.0/configuration/${segment(binding.store)}?${keyQuery(args[0])}` }));
    const items = parsedBody(response);
    if (typeof items !== 'object' || items === null || Array.isArray(items)) throw unexpected(response);
    return items;
  },
};

/** Dapr's unlock statuses (numbers over HTTP, names in the SDKs). */
const unlockStatuses: Record<string, 'released' | 'not-found' | 'not-owner'> = {
  '0': 'released',
  SUCCESS: 'released',
  '1': 'not-found',
  LOCK_DOES_NOT_EXIST: 'not-found',
  LOCK_UNEXIST: 'not-found',
  '2': 'not-owner',
  LOCK_BELONGS_TO_OTHERS: 'not-owner',
};

const lock: Record<string, Operation<BindingOf<'lock'>>> = {
  async acquire({ binding, send }, args) {
    const resourceId = requiredString(args[0], 'the resource id');
    const ttlSeconds = args[1];
    if (!Number.isInteger(ttlSeconds) || (ttlSeconds as number) < 1) throw badRequest('options.ttlSeconds must be a whole number ≥ 1');
    const owner = optionalString(args[2] ?? undefined, 'options.owner') ?? randomUUID();
    const body = JSON.stringify({ resourceId, lockOwner: owner, expiryInSeconds: ttlSeconds });
    const response = expectSuccess(await send({ method: 'POST', path: `/v1.0-alpha1/lock/${segment(binding.store)}`, body }));
    const answer = parsedBody(response) as { success?: unknown } | null;
    if (typeof answer?.success !== 'boolean') throw unexpected(response);
    return { acquired: answer.success, owner };
  },
  async release({ binding, send }, args) {
    const body = JSON.stringify({ resourceId: requiredString(args[0], 'the resource id'), lockOwner: requiredString(args[1], 'the owner') });
    const response = expectSuccess(await send({ method: 'POST', path: `/v1.0-alpha1/unlock/${segment(binding.store)}`, body }));
    const status = (parsedBody(response) as { status?: unknown } | null)?.status;
    const outcome = unlockStatuses[String(status)];
    if (outcome !== undefined) return outcome;
    throw new BindingFailure('UNAVAILABLE', `the lock store could not release the lock (status ${String(status)}); retry later`);
  },
};

const secret: Record<string, Operation<BindingOf<'secret'>>> = {
  async get({ binding, send }, args) {
    const key = requiredString(args[0], 'the key');
    const response = expectSuccess(await send({ method: 'GET', path: `/v1.0/secrets/${segment(binding.store)}/${segment(key)}` }));
    const values = response.body === '' ? null : (parsedBody(response) as Record<string, unknown> | null);
    const value = values?.[key];
    if (typeof value !== 'string') throw new BindingFailure('NOT_FOUND', `secret store "${binding.store}" has no secret "${key}"`);
    return value;
  },
};

const RPC_METHOD = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** A service binding's method: the other function's RPC method of that name. */
async function invokeService({ binding, send }: OperationContext<BindingOf<'service'>>, args: unknown[], method: string): Promise<unknown> {
  const path = `/v1.0/invoke/${segment(binding.function)}/method/${segment(method)}`;
  const response = await send({ method: 'POST', path, body: JSON.stringify(args) });
  // The method's result as JSON, as Dapr passes on the app's body.
  if (response.status === 200) return response.body === '' ? null : parsedBody(response);
  const remote = isolaError(response);
  if (remote !== null && remote.code.startsWith('FUNCTION_') && remote.code !== 'FUNCTION_NOT_FOUND') {
    throw new BindingFailure('CALL_FAILED', `function "${binding.function}" failed: ${remote.code}: ${remote.message}`, remote);
  }
  throw failureOf(response, remote?.message);
}

/** Operations by binding type and method name; service bindings take any method name. */
const operations = { state, pubsub, queue, config, lock, secret } satisfies { [T in Exclude<BindingType, 'service'>]: Record<string, Operation<BindingOf<T>>> };

/** The operation for `method` of a binding, or null when the binding has no such method. */
export function operationFor(binding: Binding, method: string): ((context: OperationContext, args: unknown[]) => Promise<unknown>) | null {
  if (binding.type === 'service') {
    return RPC_METHOD.test(method) ? (context, args) => invokeService(context as OperationContext<BindingOf<'service'>>, args, method) : null;
  }
  const table = operations[binding.type] as Record<string, Operation<Binding>>;
  return Object.hasOwn(table, method) ? (table[method] as Operation<Binding>) : null;
}

/** The sidecar's streaming subscription to config items (SSE; the first event says `subscribed`). */
export function configSubscriptionPath(binding: BindingOf<'config'>, keys: unknown): string {
  return `/v1.0/configuration/${segment(binding.store)}/subscribe?${keyQuery(keys)}`;
}

function keyQuery(keys: unknown): string {
  return stringList(keys, 'keys')
    .map((key) => `key=${segment(key)}`)
    .join('&');
}

async function readState(send: OperationContext['send'], store: string, key: string): Promise<{ value: unknown; etag: string } | null> {
  const response = expectSuccess(await send({ method: 'GET', path: `/v1.0/state/${segment(store)}/${segment(key)}` }));
  if (response.status === 204 || response.body === '') return null;
  const etag = response.headers['etag'];
  return { value: parsedBody(response), etag: typeof etag === 'string' ? etag : '' };
}

async function publish(send: OperationContext['send'], pubsubName: string, topic: string, data: unknown, contentType: string | undefined): Promise<void> {
  const json = contentType === undefined || /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i.test(contentType);
  if (!json && typeof data !== 'string') throw badRequest(`with content type ${contentType} the data must be a string`);
  const body = json ? JSON.stringify(data ?? null) : (data as string);
  expectSuccess(await send({ method: 'POST', path: `/v1.0/publish/${segment(pubsubName)}/${segment(topic)}`, body, contentType: contentType ?? 'application/json' }));
}

function stateKey(value: unknown): string {
  const key = requiredString(value, 'the key');
  // `||` separates the function's prefix from its keys in the store (as in Dapr).
  if (key.includes('||')) throw badRequest(`the key "${key}" contains "||", which state and lock keys may not contain (it separates the key prefix)`);
  return key;
}

function requiredString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw badRequest(`${what} must be a non-empty string`);
  return value;
}

function optionalString(value: unknown, what: string): string | undefined {
  return value === undefined || value === null ? undefined : requiredString(value, what);
}

function stringList(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.length === 0) throw badRequest(`${what} must be a non-empty array of strings`);
  return value.map((item, index) => requiredString(item, `${what}[${index}]`));
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be an object`);
  return value as Record<string, unknown>;
}

function badRequest(message: string): BindingFailure {
  return new BindingFailure('BAD_REQUEST', message);
}

/** A 2xx answer, else the failure its status and Dapr error body describe. */
export function expectSuccess(response: SidecarResponse): SidecarResponse {
  if (response.status >= 200 && response.status < 300) return response;
  throw failureOf(response, daprErrorMessage(response));
}

/** The answer's JSON; a body that is not JSON (written by a client other than Isola) as its text. */
function parsedBody(response: SidecarResponse): unknown {
  try {
    return JSON.parse(response.body);
  } catch {
    return response.body;
  }
}

function unexpected(response: SidecarResponse): BindingFailure {
  return new BindingFailure('INTERNAL', `the sidecar answered ${response.status} with a body this worker does not understand: ${response.body.slice(0, 200)}`);
}

/** Dapr's error body: `{"errorCode": "ERR_...", "message": "..."}`. */
function daprErrorMessage(response: SidecarResponse): string | undefined {
  const parsed = parsedBody(response) as { errorCode?: unknown; message?: unknown } | null;
  if (typeof parsed !== 'object' || parsed === null) return response.body === '' ? undefined : response.body.slice(0, 500);
  const code = typeof parsed.errorCode === 'string' ? `${parsed.errorCode}: ` : '';
  return typeof parsed.message === 'string' ? `${code}${parsed.message}` : undefined;
}

/** Isola's error body (from a gateway, through the sidecar): `{"error": {code, message, invocationId}}`. */
function isolaError(response: SidecarResponse): RemoteError | null {
  const error = (parsedBody(response) as { error?: { code?: unknown; message?: unknown; invocationId?: unknown } } | null)?.error;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return null;
  return typeof error.invocationId === 'string' ? { code: error.code, message: error.message, invocationId: error.invocationId } : { code: error.code, message: error.message };
}

/** The BindingFailure for a failed answer, by status and (Dapr) error code. */
function failureOf(response: SidecarResponse, detail: string | undefined): BindingFailure {
  const { status } = response;
  const said = detail === undefined ? `the sidecar answered ${status}` : `the sidecar answered ${status} (${detail})`;
  const errorCode = detail?.split(':', 1)[0] ?? '';
  if (status === 409) return new BindingFailure('ETAG_MISMATCH', `${said}: the value changed since its etag was read (a concurrent write won); read it again with getWithEtag() and retry`);
  if (status === 401 || status === 403 || /PERMISSION|FORBIDDEN|UNAUTHORIZED/.test(errorCode)) {
    return new BindingFailure('PERMISSION_DENIED', `${said}: the sidecar refused the call; check the binding in isola.yaml and the component's configuration`);
  }
  if (status === 404 || /NOT_FOUND|NOT_CONFIGURED/.test(errorCode)) {
    return new BindingFailure('NOT_FOUND', `${said}: check the names in the binding in isola.yaml and the sidecar's components (isola sidecar)`);
  }
  if (status === 408 || status === 504) return new BindingFailure('TIMEOUT', `${said}: the call timed out; retry, or give the function more time (limits.timeoutMs)`);
  if (status === 400 || status === 413 || status === 422) return new BindingFailure('BAD_REQUEST', `${said}: the sidecar refused the request`);
  if (status === 429 || status >= 500) return new BindingFailure('UNAVAILABLE', `${said}: the sidecar or the service behind it is unavailable or overloaded; retry later`);
  return new BindingFailure('INTERNAL', `${said}, which this worker does not expect`);
}
