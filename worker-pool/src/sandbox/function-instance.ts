import type ivm from 'isolated-vm';
import {
  instanceKey,
  type ErrorShape,
  type FunctionVersionWithCode,
  type HttpResponsePayload,
  type InvocationRequest,
  type LogLine,
  type MessageDecision,
} from '@isola/core';
import type { BindingCallContext } from './bridges/binding-bridge.js';
import type { SidecarClient } from './bridges/sidecar-client.js';
import type { PreparedIsolate } from './prepared-isolate.js';
import type { CompiledWithCache } from './runtime-script.js';
import { eventArguments, eventResponse, checkedDecisions, type EventRequest, type RuntimeEventResult } from './event-invocation.js';
import { SecretRedactor } from './secret-redactor.js';
import { classifyVmError } from './vm-errors.js';

/** What the runtime's dispatch resolves with (copied out of the isolate). */
type RuntimeResult =
  | { ok: true; status: number; statusText: string; headers: [string, string][]; body: Uint8Array | null; logs: LogLine[]; logsTruncated: boolean }
  | { ok: false; error: ErrorShape; logs: LogLine[]; logsTruncated: boolean };

interface Usage {
  /** Isolate CPU time during the invocation (see InvocationTimings.cpuMs). */
  cpuMs?: number;
  heapBytes?: number;
}

/** Scheduled and queue invocations: see InvocationOutcome. */
interface EventReport {
  decisions?: MessageDecision[];
  noRetry?: boolean;
}

export type DispatchOutcome =
  | ({ ok: true; response: HttpResponsePayload; logs: LogLine[]; logsTruncated: boolean } & Usage & EventReport)
  | ({ ok: false; error: ErrorShape; logs: LogLine[]; logsTruncated: boolean } & Usage & EventReport);

/**
 * An instance whose invocation used less CPU than this may take the synchronous path; one that
 * holds the worker's main thread longer than `demoteAfterMs` on it goes back to asynchronous
 * dispatch for good (user code then runs on isolated-vm's threads). The gap keeps a single
 * garbage collection or optimisation pause from demoting a quick handler.
 */
const promoteBelowMs = 5;
const demoteAfterMs = 50;

/** V8 code cache of function bundles by code hash, so reloading a version skips parsing. */
export class ModuleCodeCache {
  private readonly entries = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
  constructor(private readonly maxEntries = 512) {}

  get(codeHash: string): ivm.ExternalCopy<ArrayBuffer> | undefined {
    return this.entries.get(codeHash);
  }

  set(codeHash: string, data: ivm.ExternalCopy<ArrayBuffer>): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(codeHash, data);
  }
}

export interface LoadOptions {
  maxLogBytes: number;
  /** The function's response body limit; also the limit for bodies its fetch() reads. */
  maxResponseBytes: number;
  /** Outbound fetch() requests per invocation. */
  maxFetches: number;
  codeCache: ModuleCodeCache;
  /** Where binding calls go, and how many one invocation may make (ISOLA_MAX_BINDING_CALLS); needed only by functions with bindings. */
  sidecar?: { client: SidecarClient; maxCalls: number };
}

/**
 * One function version loaded into its own isolate. Invocations run concurrently inside it
 * (like a Worker). An instance that broke a limit is discarded: `usable` turns false and the
 * caller drops it.
 */
export class FunctionInstance {
  private discardReason: ErrorShape | null = null;
  /** Invocations holding this instance; kept by the registry (acquire/release). */
  inFlight = 0;
  /** performance.now() when the last invocation ended (or the load finished). */
  lastUsedAt = performance.now();
  /** V8's total heap size of the isolate, as of the last invocation. */
  heapTotalBytes: number;
  /**
   * Whether invocations run on the synchronous fast path (see runtime/dispatch.ts start()).
   * A new instance starts on the asynchronous path: its first invocation shows whether the
   * handler is quick; one that ever holds the thread too long stays asynchronous for good.
   */
  runsSynchronously = false;
  private demoted = false;
  /** Fast-path dispatches that were still running when collected, by ticket: settled through dispatchSettled. */
  private readonly awaitedDispatches = new Map<number, { resolve(result: unknown): void; reject(error: unknown): void }>();

  private constructor(
    private readonly prepared: PreparedIsolate,
    private readonly version: FunctionVersionWithCode,
    private readonly options: LoadOptions,
    /** Null when the function has no secret worth redacting: the warm path then does nothing extra. */
    private readonly redactor: SecretRedactor | null,
  ) {
    this.heapTotalBytes = prepared.isolate.getHeapStatisticsSync().total_heap_size;
    // A timer callback that breaks a limit runs outside any dispatch call: discard from here.
    prepared.bridges.onFault = (error) => this.discard(error);
    prepared.bridges.completesSynchronously = () => this.runsSynchronously;
    // Called from inside the isolate (a synchronous host call): collect once the call has returned.
    prepared.bridges.onDispatchSettled = (ticket) => queueMicrotask(() => this.collectSettled(ticket));
  }

  get usable(): boolean {
    return this.discardReason === null && !this.prepared.isolate.isDisposed;
  }

  /**
   * Compiles, instantiates and evaluates the bundle, then hands its namespace to the runtime.
   * `env` is the manifest's vars plus `secrets` (decrypted); a secret wins over a var of the
   * same name. Secret values are redacted from the instance's console lines and error messages.
   * `secrets` may still be on its way from Redis: it is awaited only once the module has been
   * evaluated (the top level has no `env`), so the read overlaps compiling and evaluating.
   */
  static async load(
    prepared: PreparedIsolate,
    version: FunctionVersionWithCode,
    options: LoadOptions,
    secrets: Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>> = {},
  ): Promise<FunctionInstance> {
    // A failure before the await below is reported instead; this one must not go unhandled.
    if (secrets instanceof Promise) secrets.catch(() => undefined);
    const { isolate, context } = prepared;
    const limits = version.manifest.limits;
    prepared.owner.key = instanceKey(version);
    const { bindings } = version.manifest;
    const bindingNames = Object.keys(bindings);
    prepared.bridges.configure({
      egress: version.manifest.egress,
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      maxFetches: options.maxFetches,
      maxFetchResponseBytes: options.maxResponseBytes,
      ...(bindingNames.length > 0 && options.sidecar !== undefined
        ? {
            bindings: {
              bindings,
              client: options.sidecar.client,
              functionName: version.name,
              version: version.version,
              maxCalls: options.sidecar.maxCalls,
              maxRequestBytes: options.maxResponseBytes,
            },
          }
        : {}),
    });
    try {
      if (bindingNames.length > 0 && options.sidecar === undefined) throw new Error('this worker has no sidecar to send binding calls to');
      const cachedData = options.codeCache.get(version.codeHash);
      const filename = `isola:///${version.name}@${version.version}.js`;
      // Compiling, linking and install run no user code and are bounded by the bundle's size:
      // synchronous calls, saving a thread hop each. Evaluation runs the module's top level,
      // which may take as long as limits.timeoutMs: that stays off this thread.
      const module = isolate.compileModuleSync(
        version.code,
        cachedData ? { filename, cachedData } : { filename, produceCachedData: true },
      ) as ivm.Module & CompiledWithCache;
      if (cachedData === undefined && module.cachedData !== undefined) options.codeCache.set(version.codeHash, module.cachedData);
      module.instantiateSync(context, (specifier) => {
        throw new Error(`import "${specifier}" cannot be resolved: the bundle must be self-contained`);
      });
      await module.evaluate({ timeout: limits.timeoutMs });
      const secretValues = await secrets;
      const env = JSON.stringify({ ...version.manifest.vars, ...secretValues });
      // The runtime needs only each binding's type: what it refers to stays on this side.
      const bindingTypes = bindingNames.length === 0 ? undefined : JSON.stringify(Object.fromEntries(bindingNames.map((name) => [name, bindings[name]?.type])));
      prepared.install.applySync(undefined, [module.namespace.derefInto(), env, options.maxLogBytes, bindingTypes], { timeout: limits.timeoutMs });
      return new FunctionInstance(prepared, version, options, SecretRedactor.for(secretValues));
    } catch (error) {
      prepared.bridges.close();
      if (!isolate.isDisposed) isolate.dispose();
      throw classifyVmError(error, { ...limits, phase: 'load' });
    }
  }

  async dispatch(request: InvocationRequest): Promise<DispatchOutcome> {
    if (request.trigger !== 'http') return this.dispatchEvent(request);
    const { method, url, headers, body } = request.request;
    const meta = JSON.stringify({ invocationId: request.invocationId, method, url, headers, maxResponseBytes: this.options.maxResponseBytes });
    const args = [meta, body === undefined ? undefined : plainBytes(body)];
    return this.run<RuntimeResult>(request, this.version.manifest.limits.timeoutMs, { start: this.prepared.start, dispatch: this.prepared.dispatch }, args, (result, cpuBefore) =>
      this.toOutcome(result, cpuBefore),
    );
  }

  /**
   * A scheduled, queue or RPC invocation, under the same limits as fetch. When the handler never
   * finishes (timeout, memory, crash) the outcome carries no decisions and no noRetry: the
   * trigger then treats every message, or the tick, as failed. An RPC call may come with a
   * shorter timeout than the version's (its caller's deadline).
   */
  private dispatchEvent(request: EventRequest): Promise<DispatchOutcome> {
    const timeoutMs = Math.min(request.limits.timeoutMs, this.version.manifest.limits.timeoutMs);
    const entries = { start: this.prepared.startEvent, dispatch: this.prepared.dispatchEvent };
    return this.run<RuntimeEventResult>(request, timeoutMs, entries, eventArguments(request), (result, cpuBefore) => this.toEventOutcome(request, result, cpuBefore));
  }

  /**
   * Runs one invocation in the isolate. On the fast path (the instance runs synchronously) the
   * runtime's start entry runs the handler on this thread and collect takes its result, at once
   * or when the runtime says it settled; otherwise the asynchronous entry runs it off this thread.
   * CPU time is bounded by isolated-vm's `timeout`, wall time by a deadline that discards the
   * instance (a promise that never settles).
   */
  private async run<R extends RuntimeResult | RuntimeEventResult>(
    request: InvocationRequest,
    timeoutMs: number,
    entries: { start: ivm.Reference<(...args: never[]) => number>; dispatch: ivm.Reference<(...args: never[]) => Promise<unknown>> },
    args: unknown[],
    outcomeOf: (result: R, cpuBefore: bigint) => DispatchOutcome,
  ): Promise<DispatchOutcome> {
    const { memoryMb } = this.version.manifest.limits;
    const { isolate } = this.prepared;
    const cpuBefore = isolate.cpuTime;
    const startedAt = performance.now();
    this.prepared.bridges.beginInvocation(request.invocationId, timeoutMs, this.prepared.bridges.hasBindings ? bindingCallContext(request) : undefined);
    let deadline: NodeJS.Timeout | undefined;
    let awaited: number | undefined;
    try {
      let run: Promise<R>;
      if (this.runsSynchronously) {
        const ticket = entries.start.applySync(undefined, args as never[], { arguments: { copy: true }, timeout: timeoutMs }) as number;
        const settled = this.prepared.collect.applySync(undefined, [ticket], { result: { copy: true }, timeout: timeoutMs }) as R | null;
        // Work that holds the thread this long belongs off it, where it cannot delay other
        // invocations and heartbeats. CPU time, not wall time: a busy machine must not demote.
        const syncMs = Number(isolate.cpuTime - cpuBefore) / 1e6;
        if (syncMs > demoteAfterMs) {
          this.runsSynchronously = false;
          this.demoted = true;
        }
        if (settled !== null) return outcomeOf(settled, cpuBefore);
        awaited = ticket;
        run = new Promise<R>((resolve, reject) => this.awaitedDispatches.set(ticket, { resolve: resolve as (result: unknown) => void, reject }));
      } else {
        run = entries.dispatch.apply(undefined, args as never[], {
          arguments: { copy: true },
          result: { promise: true, copy: true },
          timeout: timeoutMs,
        }) as unknown as Promise<R>;
      }
      // `timeout` bounds synchronous runs only; a promise that never settles needs a wall clock
      // (what the synchronous start already used counts against it).
      const expired = new Promise<'expired'>((resolve) => {
        deadline = setTimeout(() => resolve('expired'), Math.max(0, timeoutMs - (performance.now() - startedAt)));
      });
      const result = await Promise.race([run, expired]);
      if (result === 'expired') {
        run.catch(() => undefined);
        return this.timedOut(timeoutMs);
      }
      const outcome = outcomeOf(result, cpuBefore);
      // A handler that used little CPU may take the fast path next time.
      if (!this.demoted && (outcome.cpuMs ?? Infinity) < promoteBelowMs) this.runsSynchronously = true;
      return outcome;
    } catch (error) {
      return this.failed(error, timeoutMs, memoryMb);
    } finally {
      clearTimeout(deadline);
      if (awaited !== undefined) this.awaitedDispatches.delete(awaited);
      this.prepared.bridges.endInvocation(request.invocationId);
    }
  }

  dispose(): void {
    this.prepared.bridges.close();
    if (!this.prepared.isolate.isDisposed) this.prepared.isolate.dispose();
    for (const waiter of this.awaitedDispatches.values()) waiter.reject(new Error('the function instance was discarded'));
    this.awaitedDispatches.clear();
  }

  /** The runtime said the fast-path dispatch `ticket` settled: hand its result to the invocation waiting for it. */
  private collectSettled(ticket: number): void {
    const waiter = this.awaitedDispatches.get(ticket);
    if (waiter === undefined) return; // its time ran out meanwhile
    this.awaitedDispatches.delete(ticket);
    try {
      waiter.resolve(this.prepared.collect.applySync(undefined, [ticket], { result: { copy: true } }));
    } catch (error) {
      waiter.reject(error);
    }
  }

  private toOutcome(unredacted: RuntimeResult, cpuBefore: bigint): DispatchOutcome {
    const usage = this.usageSince(cpuBefore);
    const result = this.redactor === null ? unredacted : this.redacted(unredacted);
    if (!result.ok) return { ...result, ...usage };
    const { status, statusText, headers, body, logs, logsTruncated } = result;
    if (body !== null && body.byteLength > this.options.maxResponseBytes) {
      const error: ErrorShape = {
        code: 'FUNCTION_RESPONSE_TOO_LARGE',
        message: `the response body is ${body.byteLength} bytes, over the limit of ${this.options.maxResponseBytes}`,
      };
      return { ok: false, error, logs, logsTruncated, ...usage };
    }
    const response: HttpResponsePayload = body === null ? { status, statusText, headers } : { status, statusText, headers, body };
    return { ok: true, response, logs, logsTruncated, ...usage };
  }

  private toEventOutcome(request: EventRequest, result: RuntimeEventResult, cpuBefore: bigint): DispatchOutcome {
    const usage = this.usageSince(cpuBefore);
    const logs = this.redactor === null || result.logs.length === 0 ? result.logs : this.redactor.redactLogs(result.logs);
    const report: EventReport = {};
    if (request.trigger === 'queue' && result.decisions !== undefined) {
      const decisions = checkedDecisions(result.decisions, request.batch.messages);
      if (decisions !== undefined) report.decisions = decisions;
    }
    if (result.noRetry === true) report.noRetry = true;
    const common = { logs, logsTruncated: result.logsTruncated, ...report, ...usage };
    if (!result.ok) return { ok: false, error: this.redactor === null ? result.error : this.redactor.redactError(result.error), ...common };
    const response = eventResponse(result.resultJson);
    if (response.body !== undefined && response.body.byteLength > this.options.maxResponseBytes) {
      const error: ErrorShape = {
        code: 'FUNCTION_RESPONSE_TOO_LARGE',
        message: `the handler's return value is ${response.body.byteLength} bytes of JSON, over the response limit of ${this.options.maxResponseBytes}`,
      };
      return { ok: false, error, ...common };
    }
    return { ok: true, response, ...common };
  }

  /** The handler ran out of wall-clock time (a promise that never settled): the instance goes. */
  private timedOut(timeoutMs: number): DispatchOutcome {
    const error: ErrorShape = { code: 'FUNCTION_TIMEOUT', message: `the function ran longer than limits.timeoutMs (${timeoutMs} ms)` };
    this.discard(error);
    return { ok: false, error, logs: [], logsTruncated: false };
  }

  /** isolated-vm threw: a limit, or a fault while running (the instance goes for limits). */
  private failed(error: unknown, timeoutMs: number, memoryMb: number): DispatchOutcome {
    const shape = this.discardReason ?? classifyVmError(error, { timeoutMs, memoryMb, phase: 'run' });
    if (shape.code === 'FUNCTION_TIMEOUT' || shape.code === 'FUNCTION_MEMORY_LIMIT') this.discard(shape);
    return { ok: false, error: this.redactor === null ? shape : this.redactor.redactError(shape), logs: [], logsTruncated: false };
  }

  /** The result with secret values replaced in its console lines and error (not in the response: that is the function's output). */
  private redacted(result: RuntimeResult): RuntimeResult {
    const redactor = this.redactor as SecretRedactor;
    const logs = result.logs.length === 0 ? result.logs : redactor.redactLogs(result.logs);
    return result.ok ? { ...result, logs } : { ...result, logs, error: redactor.redactError(result.error) };
  }

  /** CPU the isolate used since `cpuBefore`, and its used heap now. */
  private usageSince(cpuBefore: bigint): { cpuMs: number; heapBytes: number } {
    const { isolate } = this.prepared;
    const heap = isolate.getHeapStatisticsSync();
    this.heapTotalBytes = heap.total_heap_size;
    return { cpuMs: Number(isolate.cpuTime - cpuBefore) / 1e6, heapBytes: heap.used_heap_size };
  }

  private discard(reason: ErrorShape): void {
    this.discardReason ??= {
      code: reason.code,
      message: reason.message,
    };
    this.dispose();
  }
}

/** What the invocation's binding calls tell the sidecar: its call depth, and the trace context an HTTP caller sent. */
function bindingCallContext(request: InvocationRequest): BindingCallContext {
  const callDepth = request.callDepth ?? 0;
  const traceparent = request.trigger === 'http' ? request.request.headers.find(([name]) => name.toLowerCase() === 'traceparent')?.[1] : undefined;
  return traceparent === undefined ? { callDepth } : { callDepth, traceparent };
}

/** A Node Buffer from IPC may view a larger pooled ArrayBuffer; hand the isolate just the bytes. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes);
}
