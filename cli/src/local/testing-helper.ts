// The authors' testing helper (`@isola/cli/local`): a function folder loaded into a local
// platform — the real sandbox on a forked worker, a real sidecar with in-memory components —
// with one call per handler and views of what the function left behind (logs, state, messages).
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  appKeyPrefix,
  errorBody,
  IsolaError,
  platformHeaders,
  rpcResultJson,
  statusOf,
  type Binding,
  type CloudEvent,
  type ErrorShape,
  type HttpRequestPayload,
  type LogLevel,
  type Manifest,
  type MessageDecision,
} from '@isola/core';
import type { MemoryStateData } from '@isola/sidecar';
import { buildFunctionFolder, type FunctionBuild } from './function-build.js';
import { LocalFunction, type InvocationReport, type LocalFunctionOptions } from './local-function.js';
import { LocalPlatform } from './local-platform.js';

/** A folder path, or a file: URL (e.g. `new URL('..', import.meta.url)`). */
export type FolderLocation = string | URL;

export interface LoadFunctionOptions {
  /** Beat the manifest's vars of the same names. */
  vars?: Record<string, string>;
  /** The function's secrets (as `isola secret put` sets them). The folder's .dev.vars is not read: tests say what they need. */
  secrets?: Record<string, string>;
  /** State to start with: binding name → key → JSON value (stored under the function's key prefix, as its binding writes it). */
  state?: Record<string, Record<string, unknown>>;
  /** Configuration items to start with: binding name → key → value. */
  config?: Record<string, Record<string, string>>;
  /** Functions the service bindings call: binding name → their folder (or the folder with options of their own). */
  services?: Record<string, FolderLocation | ({ folder: FolderLocation } & Omit<LoadFunctionOptions, 'services'>)>;
}

/** One console line of an invocation. */
export interface LogEntry {
  level: LogLevel;
  message: string;
  invocationId: string;
  /** Epoch ms. */
  time: number;
}

/** A message for `queue()`: its body (any JSON value, or bytes), and optionally its id and how often it was delivered before. */
export interface QueueMessageInput {
  body: unknown;
  id?: string;
  /** Deliveries so far, this one included (default 1). */
  attempts?: number;
  /** Epoch ms (default now). */
  timestamp?: number;
}

/** What a batch did: the handler's decision for each message, and how it ended. */
export interface QueueResult {
  acked: string[];
  retried: string[];
  /** Messages retried with `retry({delaySeconds})`: id → seconds. */
  delays: Record<string, number>;
  /** False when the handler threw or broke a limit (then every message is retried). */
  ok: boolean;
  error?: ErrorShape;
  invocationId: string;
}

export interface ScheduledResult {
  ok: boolean;
  error?: ErrorShape;
  /** The handler called `controller.noRetry()`: the platform would not try the tick again. */
  noRetry: boolean;
  /** What the handler returned (JSON), undefined when nothing. */
  result: unknown;
  invocationId: string;
}

/** A message published to a topic. */
export interface PublishedMessage {
  id: string;
  /** The data: a JSON value, a string for text, a Uint8Array for other bytes. */
  body: unknown;
  contentType: string | undefined;
  /** Who published it (the function's name for its own messages). */
  source: string;
  event: CloudEvent;
}

/** A state binding's store, as the function sees it (its own keys). Synchronous: `await` works too. */
export interface StateView {
  get(key: string): unknown;
  put(key: string, value: unknown, options?: { ttlSeconds?: number }): void;
  delete(key: string): void;
  /** Every key and value, sorted by key. */
  entries(): [string, unknown][];
}

/** A config binding's store. */
export interface ConfigView {
  get(key: string): string | undefined;
  /** Sets an item; the function's subscriptions see the change. */
  set(key: string, value: string, version?: string): void;
  delete(key: string): void;
}

export interface LoadedFunction {
  readonly name: string;
  readonly manifest: Manifest;
  /** Calls `fetch`; a path or URL (relative ones are resolved against http://localhost), or a Request. Errors come back as the platform answers them (JSON, with the code's status). */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Calls `scheduled`; `cron` defaults to the manifest's first schedule, `scheduledTime` to now. */
  scheduled(options?: { cron?: string; scheduledTime?: number | Date }): Promise<ScheduledResult>;
  /** Calls `queue` with one batch of a topic the function consumes. Retried messages are not delivered again: call again for that. */
  queue(topic: string, messages: QueueMessageInput[]): Promise<QueueResult>;
  /** Calls an RPC method; resolves with its result, rejects with an IsolaError (`code`, `message`). */
  rpc(method: string, ...args: unknown[]): Promise<unknown>;
  /** Console lines of every invocation so far, oldest first. */
  readonly logs: readonly LogEntry[];
  clearLogs(): void;
  /** What the platform warned of so far: a secret the manifest lists without a value, a message dropped as a dead letter. */
  readonly warnings: readonly string[];
  state(binding: string): StateView;
  config(binding: string): ConfigView;
  /** The messages published to a topic so far (by the function, its services, or moved there as dead letters). */
  published(topic: string): PublishedMessage[];
  /** Resolves once messages published to topics a loaded function consumes have been delivered (retries included). */
  deliveriesSettled(): Promise<void>;
  /** The function a service binding calls (loaded through `services`). */
  service(binding: string): LoadedFunction;
  /** Stops the worker process and the sidecar. */
  close(): Promise<void>;
}

/**
 * Loads a function folder into the real sandbox (a forked worker process with isolated-vm, the
 * runtime and limits of production) with a real sidecar whose components are in memory, and
 * returns handles to call its handlers. Call `close()` when done (e.g. in `after`).
 */
export async function loadFunction(folder: FolderLocation, options: LoadFunctionOptions = {}): Promise<LoadedFunction> {
  // Every folder is built first: a broken one fails before any process starts.
  const main = { folder: folderPath(folder), options, build: await buildFunctionFolder(folderPath(folder)) };
  const services = await Promise.all(
    Object.entries(options.services ?? {}).map(async ([binding, service]) => {
      const { folder: serviceFolder, ...serviceOptions } = typeof service === 'string' || service instanceof URL ? { folder: service } : service;
      const declared = main.build.manifest.bindings[binding];
      if (declared?.type !== 'service') {
        throw new IsolaError('BAD_REQUEST', `services.${binding}: ${main.build.manifest.name}'s isola.yaml has no service binding ${binding}; its service bindings: ${bindingsOfType(main.build.manifest, 'service') || 'none'}`);
      }
      const build = await buildFunctionFolder(folderPath(serviceFolder));
      if (build.manifest.name !== declared.function) {
        throw new IsolaError('BAD_REQUEST', `services.${binding}: the binding calls function "${declared.function}" but ${folderPath(serviceFolder)} holds "${build.manifest.name}"`);
      }
      return { binding, folder: folderPath(serviceFolder), options: serviceOptions, build };
    }),
  );
  const warnings: string[] = [];
  const platform = await LocalPlatform.start({ warn: (message) => warnings.push(message) });
  try {
    const loaded = new Map<string, LoadedFunction>();
    for (const service of services) loaded.set(service.binding, view(platform, await loadInto(platform, service), loaded, warnings));
    return view(platform, await loadInto(platform, main), loaded, warnings);
  } catch (error) {
    await platform.close();
    throw error;
  }
}

async function loadInto(platform: LocalPlatform, { folder, options, build }: { folder: string; options: Omit<LoadFunctionOptions, 'services'>; build: FunctionBuild }): Promise<LocalFunction> {
  const functionOptions: LocalFunctionOptions = { secrets: options.secrets ?? {} };
  if (options.vars !== undefined) functionOptions.vars = options.vars;
  const fn = await LocalFunction.load(platform, folder, functionOptions, build);
  for (const [binding, entries] of Object.entries(options.state ?? {})) {
    const store = stateOf(platform, fn, binding);
    for (const [key, value] of Object.entries(entries)) store.put(key, value);
  }
  for (const [binding, items] of Object.entries(options.config ?? {})) {
    const store = configOf(platform, fn, binding);
    for (const [key, value] of Object.entries(items)) store.set(key, value);
  }
  return fn;
}

function view(platform: LocalPlatform, fn: LocalFunction, services: ReadonlyMap<string, LoadedFunction>, warnings: readonly string[]): LoadedFunction {
  const logs: LogEntry[] = [];
  platform.onInvocation((report) => {
    if (report.function !== fn.name) return;
    for (const line of report.outcome.logs) logs.push({ level: line.level, message: line.message, invocationId: report.invocationId, time: line.time });
  });
  return {
    get name() {
      return fn.name;
    },
    get manifest() {
      return fn.manifest;
    },
    fetch: (input, init) => fetchThrough(platform, fn, input, init),
    scheduled: (options) => scheduled(fn, options),
    queue: (topic, messages) => queue(fn, topic, messages),
    async rpc(method, ...args) {
      const { outcome } = await fn.rpc(method, JSON.stringify(args));
      if (!outcome.ok) throw IsolaError.fromShape(outcome.error);
      return JSON.parse(rpcResultJson(outcome.response));
    },
    logs,
    clearLogs: () => void logs.splice(0),
    warnings,
    state: (binding) => stateOf(platform, fn, binding),
    config: (binding) => configOf(platform, fn, binding),
    published: (topic) => platform.memory.topics.events(topic).map(publishedMessage),
    deliveriesSettled: () => platform.messages.idle(),
    service(binding) {
      const service = services.get(binding);
      if (service === undefined) throw new IsolaError('BAD_REQUEST', `no service was loaded for binding ${binding}; pass it in the services option of loadFunction`);
      return service;
    },
    close: () => platform.close(),
  };
}

async function fetchThrough(platform: LocalPlatform, fn: LocalFunction, input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = input instanceof Request ? new Request(input, init) : new Request(new URL(input, 'http://localhost'), init);
  const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
  if (body !== undefined && body.byteLength > platform.settings.maxBodyBytes) {
    const error: ErrorShape = { code: 'PAYLOAD_TOO_LARGE', message: `the request body is ${body.byteLength} bytes, over the limit of ${platform.settings.maxBodyBytes} (ISOLA_MAX_BODY_BYTES)` };
    return Response.json(errorBody(error), { status: statusOf(error.code) });
  }
  const payload: HttpRequestPayload = { method: request.method, url: request.url, headers: [...request.headers], ...(body === undefined ? {} : { body }) };
  return responseOf(await fn.fetch(payload));
}

/** The response a client of the platform gets for a fetch invocation (the platform headers included). */
function responseOf({ outcome, invocationId, version }: InvocationReport): Response {
  const headers = new Headers(outcome.ok ? outcome.response.headers : { 'content-type': 'application/json' });
  headers.set(platformHeaders.invocationId, invocationId);
  headers.set(platformHeaders.version, String(version));
  headers.set(platformHeaders.coldStart, String(outcome.coldStart));
  if (!outcome.ok) return new Response(JSON.stringify(errorBody(outcome.error, invocationId)), { status: statusOf(outcome.error.code), headers });
  const { status, statusText, body } = outcome.response;
  const nullBody = [101, 103, 204, 205, 304].includes(status);
  return new Response(nullBody || body === undefined ? null : body, { status, statusText, headers });
}

async function scheduled(fn: LocalFunction, options: { cron?: string; scheduledTime?: number | Date } = {}): Promise<ScheduledResult> {
  const first = fn.manifest.crons[0];
  const cron = options.cron ?? (typeof first === 'string' ? first : first?.schedule);
  if (cron === undefined) throw new IsolaError('BAD_REQUEST', `${fn.name}'s isola.yaml has no crons: pass the schedule, e.g. scheduled({ cron: '*/5 * * * *' })`);
  const scheduledTime = options.scheduledTime === undefined ? Date.now() : new Date(options.scheduledTime).getTime();
  const { outcome, invocationId } = await fn.scheduled({ cron, scheduledTime });
  const result: ScheduledResult = { ok: outcome.ok, noRetry: outcome.noRetry === true, result: outcome.ok ? jsonOf(outcome.response.body) : undefined, invocationId };
  if (!outcome.ok) result.error = outcome.error;
  return result;
}

async function queue(fn: LocalFunction, topic: string, messages: QueueMessageInput[]): Promise<QueueResult> {
  if (!fn.manifest.queues.some((consumer) => consumer.topic === topic)) {
    const consumed = fn.manifest.queues.map((consumer) => consumer.topic).join(', ') || 'none';
    throw new IsolaError('BAD_REQUEST', `${fn.name} does not consume topic "${topic}" (topics in its queues: ${consumed}); add "queues: [{ topic: ${topic} }]" to its isola.yaml`);
  }
  const now = Date.now();
  const payloads = messages.map((message) => {
    const payload = { id: message.id ?? randomUUID(), timestamp: message.timestamp ?? now, attempts: message.attempts ?? 1 };
    return message.body instanceof Uint8Array ? { ...payload, dataBase64: Buffer.from(message.body).toString('base64') } : { ...payload, data: message.body };
  });
  const { outcome, invocationId } = await fn.queue({ queue: topic, messages: payloads });
  // The handler never finished (timeout, crash): every message is tried again.
  const decisions: MessageDecision[] = outcome.decisions ?? payloads.map(({ id }) => ({ id, action: 'retry' }));
  const result: QueueResult = {
    acked: decisions.filter((decision) => decision.action === 'ack').map((decision) => decision.id),
    retried: decisions.filter((decision) => decision.action === 'retry').map((decision) => decision.id),
    delays: Object.fromEntries(decisions.flatMap((decision) => (decision.delaySeconds === undefined ? [] : [[decision.id, decision.delaySeconds]]))),
    ok: outcome.ok,
    invocationId,
  };
  if (!outcome.ok) result.error = outcome.error;
  return result;
}

/** The binding of that name and type, or an error naming the bindings of that type there are. */
function bindingOf<T extends Binding['type']>(fn: LocalFunction, name: string, type: T): Extract<Binding, { type: T }> {
  const binding = fn.manifest.bindings[name];
  if (binding?.type !== type) {
    throw new IsolaError('BAD_REQUEST', `${fn.name}'s isola.yaml has no ${type} binding ${name}; its ${type} bindings: ${bindingsOfType(fn.manifest, type) || 'none'}`);
  }
  return binding as Extract<Binding, { type: T }>;
}

function bindingsOfType(manifest: Manifest, type: Binding['type']): string {
  return Object.entries(manifest.bindings)
    .filter(([, binding]) => binding.type === type)
    .map(([name]) => name)
    .join(', ');
}

function stateOf(platform: LocalPlatform, fn: LocalFunction, binding: string): StateView {
  const data: MemoryStateData = platform.memory.state(bindingOf(fn, binding, 'state').store);
  // The function's keys, under its prefix, as the sidecar stores them (keyPrefix appid).
  const prefix = appKeyPrefix(fn.name);
  return {
    get: (key) => {
      const item = data.get(prefix + key);
      return item === null ? null : JSON.parse(item.value);
    },
    put: (key, value, options = {}) => {
      const ttl = options.ttlSeconds === undefined ? {} : { ttlSeconds: options.ttlSeconds };
      data.write([{ kind: 'upsert', key: prefix + key, value: JSON.stringify(value ?? null), condition: null, ...ttl }]);
    },
    delete: (key) => data.write([{ kind: 'delete', key: prefix + key, condition: null }]),
    entries: () =>
      [...data.entriesWithPrefix(prefix)]
        .map(([key, entry]): [string, unknown] => [key.slice(prefix.length), JSON.parse(entry.value)])
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

function configOf(platform: LocalPlatform, fn: LocalFunction, binding: string): ConfigView {
  const data = platform.memory.configuration(bindingOf(fn, binding, 'config').store);
  return {
    get: (key) => data.get([key])[key]?.value,
    set: (key, value, version) => data.set(key, value, version),
    delete: (key) => data.remove(key),
  };
}

function publishedMessage(event: CloudEvent): PublishedMessage {
  const body = event.data_base64 !== undefined ? new Uint8Array(Buffer.from(event.data_base64, 'base64')) : event.data;
  return { id: event.id, body, contentType: event.datacontenttype, source: event.source, event };
}

function jsonOf(body: Uint8Array | undefined): unknown {
  return body === undefined || body.byteLength === 0 ? undefined : JSON.parse(Buffer.from(body).toString('utf8'));
}

function folderPath(folder: FolderLocation): string {
  return folder instanceof URL ? fileURLToPath(folder) : resolve(folder);
}
