// The host side of env bindings for one isolate: sidecarCall() requests from the runtime are
// checked (the binding must be one the function's manifest declares), counted against the
// invocation's cap, bounded by its remaining time and by a number of open calls per isolate,
// and handed to the binding's operation (binding-operations.ts), which talks to the sidecar.
// Config subscriptions keep a server-sent event stream open per subscription and deliver each
// change into the isolate; unsubscribe and close() end them. Only functions with bindings get
// one of these: the others pay nothing for bindings.
import type { Binding } from '@isola/core';
import {
  BindingFailure,
  configSubscriptionPath,
  expectSuccess,
  operationFor,
  requestsOf,
  type BindingErrorCode,
  type BindingOf,
  type RemoteError,
} from './binding-operations.js';
import { OpenSlots } from './open-slots.js';
import { ResponseTooLarge, type ServerSentEvent, type SidecarCaller, type SidecarClient, type SidecarRequest as DaprRequest } from './sidecar-client.js';

/** What the runtime sends (mirrors SidecarRequest in src/runtime/contract.ts). */
interface SidecarCallRequest {
  invocationId: string | null;
  binding: string;
  operation: string;
  argsJson: string;
  subscriptionId?: number;
}

/** What the runtime receives (mirrors SidecarResult in src/runtime/contract.ts). */
export type SidecarCallResult = { ok: true; resultJson: string } | { ok: false; code: BindingErrorCode; message: string; remote?: RemoteError };

/** Per-function settings (set when the function is loaded). */
export interface BindingSettings {
  /** The manifest's `bindings`. */
  bindings: Readonly<Record<string, Binding>>;
  client: SidecarClient;
  functionName: string;
  version: number;
  /** Sidecar requests one invocation may make (ISOLA_MAX_BINDING_CALLS). */
  maxCalls: number;
  /** Largest argsJson the runtime may send (ISOLA_MAX_BODY_BYTES). */
  maxRequestBytes: number;
}

/** What a binding call needs to know of the invocation it is made for. */
export interface BindingCallContext {
  /** Function-to-function calls that led to the invocation (0: a trigger's). */
  callDepth: number;
  /** The invocation's W3C trace context, when it has one. */
  traceparent?: string;
}

/** Binding calls one isolate may have open at once; more wait their turn (within the function's time). */
export const MAX_OPEN_BINDING_CALLS_PER_ISOLATE = 6;
/** Config subscriptions one instance may hold. */
export const MAX_SUBSCRIPTIONS_PER_ISOLATE = 16;

/** The abort reason when the invocation's time runs out. */
class CallTimeout extends Error {}

interface RunningInvocation extends BindingCallContext {
  /** performance.now() at which its time is up. */
  deadline: number;
  calls: number;
}

export class BindingBridge {
  private readonly invocations = new Map<string, RunningInvocation>();
  private readonly slots = new OpenSlots(MAX_OPEN_BINDING_CALLS_PER_ISOLATE);
  private readonly inFlight = new Set<AbortController>();
  private readonly subscriptions = new Map<number, AbortController>();
  private closed = false;

  constructor(
    private readonly settings: BindingSettings,
    /** Hands a subscription's changed items (JSON), or null for its end, to the runtime's deliverConfigUpdate. */
    private readonly deliver: (subscriptionId: number, itemsJson: string | null) => Promise<void>,
  ) {}

  beginInvocation(invocationId: string, deadline: number, context: BindingCallContext): void {
    this.invocations.set(invocationId, { ...context, deadline, calls: 0 });
  }

  endInvocation(invocationId: string): void {
    this.invocations.delete(invocationId);
  }

  /** Ends every call in flight and every subscription (the instance is being disposed). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const reason = new Error('the function instance was discarded');
    for (const controller of this.inFlight) controller.abort(reason);
    for (const controller of this.subscriptions.values()) controller.abort(reason);
    this.inFlight.clear();
    this.subscriptions.clear();
  }

  /** One binding call from the runtime. Never rejects: failures are results the runtime turns into BindingErrors. */
  async call(raw: unknown): Promise<SidecarCallResult> {
    const request = checkedRequest(raw);
    if (typeof request === 'string') return failed('BAD_REQUEST', `sidecarCall: malformed request from the runtime (${request})`);
    const what = `env.${request.binding}.${request.operation}()`;
    const binding = Object.hasOwn(this.settings.bindings, request.binding) ? this.settings.bindings[request.binding] : undefined;
    if (binding === undefined) {
      return failed('PERMISSION_DENIED', `${what}: function ${this.settings.functionName} has no binding ${request.binding}; declare it under bindings: in isola.yaml`);
    }
    const where = `${what} (${describeTarget(binding)})`;
    if (request.operation === 'unsubscribe') return this.unsubscribe(request.subscriptionId);
    if (this.closed) return failed('UNAVAILABLE', `${where}: the function instance was discarded`);
    const invocation = request.invocationId === null ? undefined : this.invocations.get(request.invocationId);
    if (invocation === undefined) {
      return failed('BAD_REQUEST', `${where}: the invocation that made the call has already ended; use ctx.waitUntil(promise) for work after the response`);
    }
    let args: unknown;
    try {
      if (request.argsJson.length > this.settings.maxRequestBytes) throw new Error(`over ${this.settings.maxRequestBytes} bytes (ISOLA_MAX_BODY_BYTES)`);
      args = JSON.parse(request.argsJson);
      if (!Array.isArray(args)) throw new Error('not an array');
    } catch (error) {
      return failed('BAD_REQUEST', `${where}: the arguments were refused: ${(error as Error).message}`);
    }
    const subscribing = request.operation === 'subscribe' && binding.type === 'config';
    const operation = subscribing ? null : operationFor(binding, request.operation);
    if (!subscribing && operation === null) return failed('BAD_REQUEST', `${where}: a ${binding.type} binding has no method ${request.operation}`);

    const requests = requestsOf(request.operation, args);
    if (invocation.calls + requests > this.settings.maxCalls) {
      return failed('TOO_MANY_CALLS', `${where}: this invocation already made ${invocation.calls} binding calls; the limit per invocation is ${this.settings.maxCalls} (ISOLA_MAX_BINDING_CALLS)`);
    }
    invocation.calls += requests;
    const remainingMs = Math.floor(invocation.deadline - performance.now());
    if (remainingMs <= 0) return failed('TIMEOUT', `${where}: the function has no time left (limits.timeoutMs)`);

    const caller: SidecarCaller = {
      name: this.settings.functionName,
      version: this.settings.version,
      invocationId: request.invocationId,
      callDepth: invocation.callDepth,
      ...(invocation.traceparent === undefined ? {} : { traceparent: invocation.traceparent }),
    };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new CallTimeout(`the call did not finish within the ${remainingMs} ms the invocation had left (limits.timeoutMs)`)), remainingMs);
    this.inFlight.add(controller);
    let holdsSlot = false;
    try {
      holdsSlot = await this.slots.take(controller.signal);
      if (!holdsSlot) throw abortFailure(controller.signal);
      const send = (daprRequest: DaprRequest) => this.send(daprRequest, caller, controller.signal);
      const result = subscribing
        ? await this.subscribe(binding as BindingOf<'config'>, args[0], request.subscriptionId, caller, controller)
        : await (operation as NonNullable<typeof operation>)({ binding, send }, args);
      return { ok: true, resultJson: JSON.stringify(result ?? null) };
    } catch (error) {
      if (error instanceof BindingFailure) return failed(error.code, `${where}: ${error.message}`, error.remote);
      return failed('INTERNAL', `${where}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
      if (holdsSlot) this.slots.release();
    }
  }

  private async send(request: DaprRequest, caller: SidecarCaller, signal: AbortSignal) {
    try {
      return await this.settings.client.send(request, caller, signal);
    } catch (error) {
      if (signal.aborted) throw abortFailure(signal);
      if (error instanceof ResponseTooLarge) throw new BindingFailure('BAD_REQUEST', error.message);
      throw unreachable(this.settings.client.url, error);
    }
  }

  /**
   * Opens the subscription's stream and resolves once the sidecar confirms it; changes are then
   * delivered in the background, in order, until unsubscribe, close() or the stream's end.
   */
  private async subscribe(binding: BindingOf<'config'>, keys: unknown, subscriptionId: number | undefined, caller: SidecarCaller, call: AbortController): Promise<null> {
    if (subscriptionId === undefined || this.subscriptions.has(subscriptionId)) throw new BindingFailure('BAD_REQUEST', 'malformed subscription id from the runtime');
    if (this.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_ISOLATE) {
      throw new BindingFailure('BAD_REQUEST', `this instance already holds ${MAX_SUBSCRIPTIONS_PER_ISOLATE} config subscriptions, the limit; unsubscribe from some first`);
    }
    // The stream outlives the call: its own controller, aborted by the call's timeout only until it is confirmed.
    const stream = new AbortController();
    const onCallAbort = () => stream.abort(call.signal.reason);
    call.signal.addEventListener('abort', onCallAbort, { once: true });
    this.subscriptions.set(subscriptionId, stream);
    try {
      let opened: Awaited<ReturnType<SidecarClient['openStream']>>;
      try {
        opened = await this.settings.client.openStream(configSubscriptionPath(binding, keys), caller, stream.signal);
      } catch (error) {
        if (stream.signal.aborted) throw abortFailure(stream.signal);
        throw unreachable(this.settings.client.url, error);
      }
      if ('status' in opened) {
        expectSuccess(opened);
        throw new BindingFailure('INTERNAL', `the sidecar answered ${opened.status} instead of an event stream`);
      }
      const first = await opened.next().catch(() => ({ done: true as const, value: undefined }));
      if (first.done === true || first.value.event !== 'subscribed') {
        if (stream.signal.aborted) throw abortFailure(stream.signal);
        throw new BindingFailure('UNAVAILABLE', 'the sidecar ended the subscription before confirming it; retry later');
      }
      void this.follow(subscriptionId, opened, stream.signal);
      return null;
    } catch (error) {
      this.subscriptions.delete(subscriptionId);
      stream.abort();
      throw error;
    } finally {
      call.signal.removeEventListener('abort', onCallAbort);
    }
  }

  private async follow(subscriptionId: number, events: AsyncGenerator<ServerSentEvent>, signal: AbortSignal): Promise<void> {
    try {
      for await (const { event, data } of events) {
        if (event !== 'update') continue;
        const items = (JSON.parse(data) as { items?: unknown }).items;
        if (typeof items === 'object' && items !== null) await this.deliver(subscriptionId, JSON.stringify(items));
      }
    } catch {
      // A dropped connection or a malformed event ends the subscription, as the stream's end does.
    }
    if (signal.aborted) return; // unsubscribed, or the instance went
    this.subscriptions.delete(subscriptionId);
    await this.deliver(subscriptionId, null);
  }

  private unsubscribe(subscriptionId: number | undefined): SidecarCallResult {
    if (subscriptionId !== undefined) {
      this.subscriptions.get(subscriptionId)?.abort();
      this.subscriptions.delete(subscriptionId);
    }
    return { ok: true, resultJson: 'null' };
  }
}

function failed(code: BindingErrorCode, message: string, remote?: RemoteError): SidecarCallResult {
  return remote === undefined ? { ok: false, code, message } : { ok: false, code, message, remote };
}

function describeTarget(binding: Binding): string {
  switch (binding.type) {
    case 'service':
      return `function "${binding.function}"`;
    case 'pubsub':
    case 'queue':
      return `topic "${binding.topic}" on pub/sub "${binding.pubsub}"`;
    default:
      return `${binding.type} store "${binding.store}"`;
  }
}

function abortFailure(signal: AbortSignal): BindingFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof CallTimeout) return new BindingFailure('TIMEOUT', reason.message);
  return new BindingFailure('UNAVAILABLE', reason instanceof Error ? reason.message : 'the call was aborted');
}

function unreachable(url: string, error: unknown): BindingFailure {
  const cause = error as { code?: unknown; message?: unknown };
  const detail = typeof cause.code === 'string' ? cause.code : String(cause.message);
  return new BindingFailure('UNAVAILABLE', `cannot reach the sidecar at ${url} (${detail}); it may be restarting: retry later (is \`isola sidecar\` running, and ISOLA_SIDECAR_URL or ISOLA_SIDECAR_PORT right?)`);
}

/** The request, checked; a string says what is wrong with it. */
function checkedRequest(raw: unknown): SidecarCallRequest | string {
  if (typeof raw !== 'object' || raw === null) return 'not an object';
  const { invocationId, binding, operation, argsJson, subscriptionId } = raw as Record<string, unknown>;
  if (typeof binding !== 'string' || typeof operation !== 'string' || typeof argsJson !== 'string') return 'bad binding, operation or argsJson';
  if (invocationId !== null && typeof invocationId !== 'string') return 'bad invocationId';
  if (invocationId === null && operation !== 'unsubscribe') return 'only unsubscribe may come without an invocation';
  if (subscriptionId !== undefined && !Number.isSafeInteger(subscriptionId)) return 'bad subscriptionId';
  return { invocationId, binding, operation, argsJson, ...(subscriptionId === undefined ? {} : { subscriptionId: subscriptionId as number }) };
}
