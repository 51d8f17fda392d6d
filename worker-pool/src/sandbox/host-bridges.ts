// The host side of an isolate's bridges: the capabilities the in-isolate runtime may call
// (random bytes, digests and HMACs, timers, fetch, binding calls), wired in once when a pool
// isolate is prepared, and the per-function state they enforce (egress, bindings, limits), set
// when a function is loaded. Used by prepared-isolate.ts and by the runtime's conformance tests, so both connect
// the runtime the same way.
import ivm from 'isolated-vm';
import type { ErrorShape } from '@isola/core';
import { BindingBridge, type BindingCallContext, type BindingSettings, type SidecarCallResult } from './bridges/binding-bridge.js';
import { compileEgress, type EgressRule } from './bridges/egress.js';
import { digest, hmac, randomBytes } from './bridges/host-crypto.js';
import { HostTimers } from './bridges/host-timers.js';
import { OpenSlots } from './bridges/open-slots.js';
import { abortedResult, FetchTimeout, performFetch, requestProblem, type OutboundRequest, type OutboundResult } from './bridges/outbound-fetch.js';
import { classifyVmError } from './vm-errors.js';

/** Per-function settings, from the manifest and the platform config. */
export interface BridgeSettings {
  /** Manifest `egress`: hosts fetch may reach. */
  egress: readonly string[];
  /** limits.timeoutMs: CPU time of each timer callback. */
  timeoutMs: number;
  memoryMb: number;
  /** Outbound requests one invocation may make (ISOLA_MAX_FETCHES). */
  maxFetches: number;
  /** Largest response body fetch buffers (ISOLA_MAX_BODY_BYTES). */
  maxFetchResponseBytes: number;
  /** The manifest's bindings and how to reach the sidecar; absent or empty: the function has none. */
  bindings?: BindingSettings;
}

/** Timers before a function is loaded cannot exist; this bounds a stray callback anyway. */
const DEFAULT_CPU_TIMEOUT_MS = 1_000;
/**
 * Requests one isolate may have open at once; more wait their turn (within the function's time),
 * as in Cloudflare Workers. Bodies are buffered here, outside the isolate's heap limit: this keeps
 * that memory to a few bodies per instance.
 */
export const MAX_OPEN_FETCHES_PER_ISOLATE = 6;

/**
 * One per isolate. Until configure() runs (a pool isolate waiting for a function) fetch is
 * refused; crypto works. close() stops everything the isolate started on the host: the wake-up
 * timer and in-flight requests.
 */
export class HostBridges {
  private settings: BridgeSettings | null = null;
  /** Compiled on the first fetch: most functions never make one, and a cold start should not pay. */
  private rules: readonly EgressRule[] | null = null;
  /** Running invocations: performance.now() at which each one's time is up. */
  private readonly deadlines = new Map<string, number>();
  /** Outbound requests made, for invocations that made any. */
  private readonly fetchCounts = new Map<string, number>();
  private readonly inFlight = new Map<number, AbortController>();
  private readonly fetchSlots = new OpenSlots(MAX_OPEN_FETCHES_PER_ISOLATE);
  private readonly timers: HostTimers;
  /** Only for functions with bindings. */
  private bindings: BindingBridge | null = null;
  private closed = false;
  /**
   * Bridged work broke a limit outside any dispatch call (a timer callback ran out of CPU time
   * or memory): the owner must discard the instance.
   */
  onFault: (error: ErrorShape) => void = () => undefined;
  /**
   * Whether binding results go back into the isolate synchronously (on this thread, no trip
   * through isolated-vm's thread pool): true while the owner runs its invocations on the fast
   * path, where a handler holds the isolate only briefly. Otherwise asynchronously, so a handler
   * busy on another thread never blocks this one.
   */
  completesSynchronously: () => boolean = () => false;
  /** A fast-path dispatch that was still running when collected has settled (the owner collects it). */
  onDispatchSettled: (ticket: number) => void = () => undefined;

  constructor(
    runTimers: ivm.Reference<() => number>,
    private readonly deliverConfigUpdate: ivm.Reference<(subscriptionId: number, itemsJson: string | null) => void>,
    private readonly completeSidecarCall: ivm.Reference<(callId: number, result: SidecarCallResult) => void>,
  ) {
    this.timers = new HostTimers(
      runTimers,
      () => this.settings?.timeoutMs ?? DEFAULT_CPU_TIMEOUT_MS,
      (error) => this.bridgedWorkFault(error, 'a setTimeout/setInterval callback'),
    );
  }

  configure(settings: BridgeSettings): void {
    this.settings = settings;
    this.rules = null;
    this.bindings?.close();
    const bindings = settings.bindings;
    this.bindings = bindings !== undefined && Object.keys(bindings.bindings).length > 0 ? new BindingBridge(bindings, (id, items) => this.deliver(id, items)) : null;
  }

  /**
   * An invocation enters the isolate; `timeoutMs` from now its time is up. `call` (only needed
   * when the function has bindings) is what its binding calls tell the sidecar.
   */
  beginInvocation(invocationId: string, timeoutMs: number, call?: BindingCallContext): void {
    const deadline = performance.now() + timeoutMs;
    this.deadlines.set(invocationId, deadline);
    this.bindings?.beginInvocation(invocationId, deadline, call ?? { callDepth: 0 });
  }

  endInvocation(invocationId: string): void {
    this.deadlines.delete(invocationId);
    if (this.fetchCounts.size > 0) this.fetchCounts.delete(invocationId);
    this.bindings?.endInvocation(invocationId);
  }

  /** Whether the loaded function has bindings (its invocations then pass a BindingCallContext). */
  get hasBindings(): boolean {
    return this.bindings !== null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timers.close();
    this.bindings?.close();
    for (const controller of this.inFlight.values()) controller.abort(new Error('the function instance was discarded'));
    this.inFlight.clear();
  }

  /** The functions the runtime may call, by the names of its contract (runtime/contract.ts HostFunctions). */
  hostFunctions(): Record<string, (...args: never[]) => unknown> {
    return {
      randomBytes,
      digest,
      hmac,
      scheduleTimers: (delayMs: unknown) => this.timers.request(delayMs),
      fetch: (request: unknown) => this.fetch(request),
      abortFetch: (fetchId: unknown) => {
        if (typeof fetchId === 'number') this.inFlight.get(fetchId)?.abort(new Error('The operation was aborted.'));
      },
      sidecarCall: (callId: unknown, request: unknown) => this.sidecarCall(callId, request),
      dispatchSettled: (ticket: unknown) => {
        if (typeof ticket === 'number') this.onDispatchSettled(ticket);
      },
    };
  }

  /** Starts a binding call; its result goes back through completeSidecarCall. */
  private sidecarCall(callId: unknown, request: unknown): void {
    if (typeof callId !== 'number') throw new TypeError('sidecarCall: the call needs a numeric id');
    const result: Promise<SidecarCallResult> =
      this.bindings === null
        ? Promise.resolve({ ok: false, code: 'PERMISSION_DENIED', message: 'this function has no bindings; declare them under bindings: in isola.yaml' })
        : this.bindings.call(request);
    void result.then((settled) => this.complete(callId, settled));
  }

  /** Hands a binding call's result to the isolate, where the caller's code goes on (under the CPU time limit). */
  private complete(callId: number, result: SidecarCallResult): void {
    if (this.closed) return;
    const options = { arguments: { copy: true }, timeout: this.settings?.timeoutMs ?? DEFAULT_CPU_TIMEOUT_MS } as const;
    const fault = (error: unknown) => {
      if (this.closed) return;
      this.close();
      this.bridgedWorkFault(error, 'the code after a binding call');
    };
    if (this.completesSynchronously()) {
      try {
        this.completeSidecarCall.applySync(undefined, [callId, result], options);
      } catch (error) {
        fault(error);
      }
    } else {
      this.completeSidecarCall.apply(undefined, [callId, result], options).catch(fault);
    }
  }

  /** Runs a config subscription's onChange in the isolate, under the CPU time limit of a timer callback. */
  private async deliver(subscriptionId: number, itemsJson: string | null): Promise<void> {
    if (this.closed) return;
    try {
      await this.deliverConfigUpdate.apply(undefined, [subscriptionId, itemsJson], { timeout: this.settings?.timeoutMs ?? DEFAULT_CPU_TIMEOUT_MS });
    } catch (error) {
      if (this.closed) return;
      this.close();
      this.bridgedWorkFault(error, "a config subscription's onChange callback");
    }
  }

  private async fetch(request: unknown): Promise<OutboundResult> {
    const refuse = (message: string): OutboundResult => ({ ok: false, errorName: 'TypeError', message });
    const problem = requestProblem(request);
    if (problem !== null) return refuse(`fetch: malformed request from the runtime (${problem})`);
    const outbound = request as OutboundRequest;
    const settings = this.settings;
    if (settings === null || this.closed) return refuse('fetch: no function is loaded in this isolate');
    const deadline = this.deadlines.get(outbound.invocationId);
    if (deadline === undefined) return refuse('fetch: the invocation that called fetch has already ended');
    const made = this.fetchCounts.get(outbound.invocationId) ?? 0;
    if (made >= settings.maxFetches) {
      return refuse(`fetch: this invocation already made ${settings.maxFetches} outbound requests, the limit per invocation (ISOLA_MAX_FETCHES)`);
    }
    this.fetchCounts.set(outbound.invocationId, made + 1);

    const remainingMs = Math.floor(deadline - performance.now());
    if (remainingMs <= 0) return { ok: false, errorName: 'TimeoutError', message: `fetch to ${outbound.url}: the function has no time left (limits.timeoutMs)` };
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new FetchTimeout(`fetch to ${outbound.url} timed out after ${remainingMs} ms, the time the function had left (limits.timeoutMs)`)),
      remainingMs,
    );
    this.inFlight.set(outbound.fetchId, controller);
    let holdsSlot = false;
    try {
      holdsSlot = await this.fetchSlots.take(controller.signal);
      if (!holdsSlot) return abortedResult(controller.signal);
      this.rules ??= compileEgress(settings.egress);
      return await performFetch(outbound, { rules: this.rules, maxResponseBytes: settings.maxFetchResponseBytes }, controller.signal);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(outbound.fetchId);
      if (holdsSlot) this.fetchSlots.release();
    }
  }

  /** Work the host started in the isolate outside any dispatch (`what`) broke a limit. */
  private bridgedWorkFault(error: unknown, what: string): void {
    const limits = { timeoutMs: this.settings?.timeoutMs ?? DEFAULT_CPU_TIMEOUT_MS, memoryMb: this.settings?.memoryMb ?? 0, phase: 'run' as const };
    const shape = classifyVmError(error, limits);
    if (shape.code === 'FUNCTION_TIMEOUT') {
      shape.message = `${what} ran longer than limits.timeoutMs (${limits.timeoutMs} ms); the instance was discarded`;
    }
    this.onFault(shape);
  }
}

/**
 * Takes the runtime's connectHost and runTimers from `__isolaRuntime` and hands the runtime a
 * Reference to each host function. Call before the global is deleted and before user code
 * runs, while the isolate is idle (the calls are synchronous: a fraction of a millisecond).
 */
export function connectHostBridges(runtimeEntry: ivm.Reference<Record<string, unknown>>): HostBridges {
  const connectHost = runtimeEntry.getSync('connectHost', { reference: true }) as ivm.Reference<(...pairs: unknown[]) => void>;
  const runTimers = runtimeEntry.getSync('runTimers', { reference: true }) as ivm.Reference<() => number>;
  const deliverConfigUpdate = runtimeEntry.getSync('deliverConfigUpdate', { reference: true }) as ivm.Reference<(subscriptionId: number, itemsJson: string | null) => void>;
  const completeSidecarCall = runtimeEntry.getSync('completeSidecarCall', { reference: true }) as ivm.Reference<(callId: number, result: SidecarCallResult) => void>;
  const bridges = new HostBridges(runTimers, deliverConfigUpdate, completeSidecarCall);
  const pairs = Object.entries(bridges.hostFunctions()).flatMap(([name, hostFunction]) => [name, new ivm.Reference(hostFunction)]);
  connectHost.applySync(undefined, pairs);
  connectHost.release();
  return bridges;
}
