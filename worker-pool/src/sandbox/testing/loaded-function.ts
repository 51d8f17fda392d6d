// Functions loaded the way the worker loads them (a prepared pool isolate, FunctionInstance),
// for the sandbox's tests. Not a test file itself.
import assert from 'node:assert/strict';
import { parseManifest, type InvocationRequest, type LogLine, type QueueBatchPayload, type RpcCallPayload, type ScheduledEventPayload } from '@isola/core';
import { FunctionInstance, ModuleCodeCache, type DispatchOutcome, type LoadOptions } from '../function-instance.js';
import { prepareIsolate } from '../prepared-isolate.js';
import { RuntimeScript } from '../runtime-script.js';

export const runtime = new RuntimeScript();
const instances: FunctionInstance[] = [];

export interface LoadSettings {
  egress?: string[];
  timeoutMs?: number;
  maxFetches?: number;
  maxResponseBytes?: number;
  /** Decrypted secrets, as the worker passes them (redacted from logs and errors). */
  secrets?: Record<string, string>;
  /** Manifest vars and bindings. */
  vars?: Record<string, string>;
  bindings?: Record<string, unknown>;
  /** Where binding calls go. */
  sidecar?: LoadOptions['sidecar'];
}

/** Loads `code` (an ES module with a default export) into a fresh prepared isolate. */
export async function load(code: string, settings: LoadSettings = {}): Promise<FunctionInstance> {
  const manifest = parseManifest({
    name: 'bridged',
    main: 'index.js',
    egress: settings.egress ?? [],
    limits: { timeoutMs: settings.timeoutMs ?? 2_000 },
    vars: settings.vars ?? {},
    bindings: settings.bindings ?? {},
  });
  const prepared = await prepareIsolate(runtime, { memoryMb: 64, onCatastrophicError: () => process.abort() });
  const instance = await FunctionInstance.load(
    prepared,
    { name: 'bridged', version: 1, codeHash: `hash-${instances.length}`, manifest, createdAt: new Date().toISOString(), code },
    {
      maxLogBytes: 64 * 1024,
      maxResponseBytes: settings.maxResponseBytes ?? 1024 * 1024,
      maxFetches: settings.maxFetches ?? 50,
      codeCache: new ModuleCodeCache(),
      ...(settings.sidecar === undefined ? {} : { sidecar: settings.sidecar }),
    },
    settings.secrets ?? {},
  );
  instances.push(instance);
  return instance;
}

/** Disposes every instance load() made. */
export function disposeLoaded(): void {
  for (const instance of instances.splice(0)) instance.dispose();
}

let invocations = 0;

/** One GET invocation at `path`, as the worker dispatches it (with request headers and a call depth when given). */
export function invoke(instance: FunctionInstance, path = '/', options: { headers?: [string, string][]; callDepth?: number; invocationId?: string } = {}): Promise<DispatchOutcome> {
  invocations += 1;
  const request: InvocationRequest = {
    invocationId: options.invocationId ?? `inv-${invocations}`,
    function: { name: 'bridged', version: 1, codeHash: 'h' },
    limits: { memoryMb: 64, timeoutMs: 2_000, concurrency: 1 },
    trigger: 'http',
    request: { method: 'GET', url: `https://fn.example${path}`, headers: options.headers ?? [] },
    ...(options.callDepth === undefined ? {} : { callDepth: options.callDepth }),
  };
  return instance.dispatch(request);
}

const requestBase = () => {
  invocations += 1;
  return { invocationId: `inv-${invocations}`, function: { name: 'bridged', version: 1, codeHash: 'h' }, limits: { memoryMb: 64, timeoutMs: 2_000, concurrency: 1 } };
};

/** One cron tick, as the worker dispatches it to the scheduled handler. */
export function invokeScheduled(instance: FunctionInstance, scheduled: ScheduledEventPayload): Promise<DispatchOutcome> {
  return instance.dispatch({ ...requestBase(), trigger: 'scheduled', scheduled });
}

/** One message batch, as the worker dispatches it to the queue handler. */
export function invokeQueue(instance: FunctionInstance, batch: QueueBatchPayload): Promise<DispatchOutcome> {
  return instance.dispatch({ ...requestBase(), trigger: 'queue', batch });
}

/** One RPC call, as the worker dispatches it; `timeoutMs` as a caller's deadline lowers it. */
export function invokeRpc(instance: FunctionInstance, rpc: RpcCallPayload, timeoutMs = 2_000): Promise<DispatchOutcome> {
  const base = requestBase();
  return instance.dispatch({ ...base, limits: { ...base.limits, timeoutMs }, trigger: 'rpc', rpc });
}

/** The JSON body of a successful outcome. */
export async function json(outcome: DispatchOutcome): Promise<unknown> {
  assert.equal(outcome.ok, true, JSON.stringify(outcome));
  const body = (outcome as Extract<DispatchOutcome, { ok: true }>).response.body;
  return JSON.parse(new TextDecoder().decode(body));
}

export const messages = (logs: LogLine[]) => logs.map((line) => `${line.level}: ${line.message}`);
