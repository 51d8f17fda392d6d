import type ivm from 'isolated-vm';
import { instanceKey, type ErrorShape, type FunctionVersionWithCode, type HttpResponsePayload, type InvocationRequest, type LogLine } from '@isola/core';
import type { PreparedIsolate } from './prepared-isolate.js';
import type { CompiledWithCache } from './runtime-script.js';
import { classifyVmError } from './vm-errors.js';

/** What the runtime's dispatch resolves with (copied out of the isolate). */
type RuntimeResult =
  | { ok: true; status: number; statusText: string; headers: [string, string][]; body: Uint8Array | null; logs: LogLine[]; logsTruncated: boolean }
  | { ok: false; error: ErrorShape; logs: LogLine[]; logsTruncated: boolean };

export type DispatchOutcome =
  | { ok: true; response: HttpResponsePayload; logs: LogLine[]; logsTruncated: boolean }
  | { ok: false; error: ErrorShape; logs: LogLine[]; logsTruncated: boolean };

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
}

/**
 * One function version loaded into its own isolate. Invocations run concurrently inside it
 * (like a Worker). An instance that broke a limit is discarded: `usable` turns false and the
 * caller drops it.
 */
export class FunctionInstance {
  private discardReason: ErrorShape | null = null;
  inFlight = 0;

  private constructor(
    private readonly prepared: PreparedIsolate,
    private readonly version: FunctionVersionWithCode,
    private readonly options: LoadOptions,
  ) {
    // A timer callback that breaks a limit runs outside any dispatch call: discard from here.
    prepared.bridges.onFault = (error) => this.discard(error);
  }

  get usable(): boolean {
    return this.discardReason === null && !this.prepared.isolate.isDisposed;
  }

  /** Compiles, instantiates and evaluates the bundle, then hands its namespace to the runtime. */
  static async load(prepared: PreparedIsolate, version: FunctionVersionWithCode, options: LoadOptions): Promise<FunctionInstance> {
    const { isolate, context } = prepared;
    const limits = version.manifest.limits;
    prepared.owner.key = instanceKey(version);
    prepared.bridges.configure({
      egress: version.manifest.egress,
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      maxFetches: options.maxFetches,
      maxFetchResponseBytes: options.maxResponseBytes,
    });
    try {
      const cachedData = options.codeCache.get(version.codeHash);
      const filename = `isola:///${version.name}@${version.version}.js`;
      const module = (await isolate.compileModule(
        version.code,
        cachedData ? { filename, cachedData } : { filename, produceCachedData: true },
      )) as ivm.Module & CompiledWithCache;
      if (cachedData === undefined && module.cachedData !== undefined) options.codeCache.set(version.codeHash, module.cachedData);
      await module.instantiate(context, (specifier) => {
        throw new Error(`import "${specifier}" cannot be resolved: the bundle must be self-contained`);
      });
      await module.evaluate({ timeout: limits.timeoutMs });
      const env = JSON.stringify(version.manifest.vars);
      await prepared.install.apply(undefined, [module.namespace.derefInto(), env, options.maxLogBytes], { timeout: limits.timeoutMs });
      return new FunctionInstance(prepared, version, options);
    } catch (error) {
      prepared.bridges.close();
      if (!isolate.isDisposed) isolate.dispose();
      throw classifyVmError(error, { ...limits, phase: 'load' });
    }
  }

  async dispatch(request: InvocationRequest): Promise<DispatchOutcome> {
    const { timeoutMs, memoryMb } = this.version.manifest.limits;
    const { method, url, headers, body } = request.request;
    const meta = JSON.stringify({ invocationId: request.invocationId, method, url, headers });
    this.inFlight += 1;
    this.prepared.bridges.beginInvocation(request.invocationId, timeoutMs);
    let deadline: NodeJS.Timeout | undefined;
    try {
      const run = this.prepared.dispatch.apply(undefined, [meta, body === undefined ? undefined : plainBytes(body)], {
        arguments: { copy: true },
        result: { promise: true, copy: true },
        timeout: timeoutMs,
      }) as unknown as Promise<RuntimeResult>;
      // `timeout` bounds synchronous runs only; a promise that never settles needs a wall clock.
      const expired = new Promise<'expired'>((resolve) => {
        deadline = setTimeout(() => resolve('expired'), timeoutMs);
      });
      const result = await Promise.race([run, expired]);
      if (result === 'expired') {
        run.catch(() => undefined);
        const error: ErrorShape = { code: 'FUNCTION_TIMEOUT', message: `the function ran longer than limits.timeoutMs (${timeoutMs} ms)` };
        this.discard(error);
        return { ok: false, error, logs: [], logsTruncated: false };
      }
      return this.toOutcome(result);
    } catch (error) {
      const shape = this.discardReason ?? classifyVmError(error, { timeoutMs, memoryMb, phase: 'run' });
      if (shape.code === 'FUNCTION_TIMEOUT' || shape.code === 'FUNCTION_MEMORY_LIMIT') this.discard(shape);
      return { ok: false, error: shape, logs: [], logsTruncated: false };
    } finally {
      clearTimeout(deadline);
      this.prepared.bridges.endInvocation(request.invocationId);
      this.inFlight -= 1;
    }
  }

  dispose(): void {
    this.prepared.bridges.close();
    if (!this.prepared.isolate.isDisposed) this.prepared.isolate.dispose();
  }

  private toOutcome(result: RuntimeResult): DispatchOutcome {
    if (!result.ok) return result;
    const { status, statusText, headers, body, logs, logsTruncated } = result;
    if (body !== null && body.byteLength > this.options.maxResponseBytes) {
      const error: ErrorShape = {
        code: 'FUNCTION_RESPONSE_TOO_LARGE',
        message: `the response body is ${body.byteLength} bytes, over the limit of ${this.options.maxResponseBytes}`,
      };
      return { ok: false, error, logs, logsTruncated };
    }
    const response: HttpResponsePayload = body === null ? { status, statusText, headers } : { status, statusText, headers, body };
    return { ok: true, response, logs, logsTruncated };
  }

  private discard(reason: ErrorShape): void {
    this.discardReason ??= {
      code: reason.code,
      message: reason.message,
    };
    this.dispose();
  }
}

/** A Node Buffer from IPC may view a larger pooled ArrayBuffer; hand the isolate just the bytes. */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.constructor === Uint8Array
    ? bytes
    : new Uint8Array(bytes);
}
