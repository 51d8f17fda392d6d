// The one way binding methods leave the isolate: a SidecarRequest to the host's sidecarCall,
// whose failure results become BindingErrors here. Arguments arrive already checked and written
// as JSON by the binding's method (env-bindings.ts).
import type { SidecarRequest, SidecarResult } from '../contract.js';
import { callHost } from '../host-bridge.js';
import { requireInvocation } from '../invocation-scope.js';
import { jsonParse, jsonStringify, pendingPromise } from '../primordials.js';
import { BindingError } from './binding-error.js';

/** Calls `operation` of binding `binding` for the running invocation; resolves with the parsed result. */
export async function callBinding(binding: string, operation: string, argsJson: string, subscriptionId?: number): Promise<unknown> {
  const { invocationId } = requireInvocation(`env.${binding}.${operation}()`);
  return send({ invocationId, binding, operation, argsJson, ...(subscriptionId === undefined ? {} : { subscriptionId }) });
}

/** Ends a config subscription; needs no invocation (onChange callbacks run between them). */
export function closeSubscription(binding: string, subscriptionId: number): Promise<unknown> {
  return send({ invocationId: null, binding, operation: 'unsubscribe', argsJson: '[]', subscriptionId });
}

/** Calls waiting for completeSidecarCall, by id. */
const waiting = new Map<number, (result: SidecarResult) => void>();
let lastCallId = 0;

async function send(request: SidecarRequest): Promise<unknown> {
  lastCallId += 1;
  const callId = lastCallId;
  const { promise, resolve } = pendingPromise<SidecarResult>();
  waiting.set(callId, resolve);
  try {
    callHost('sidecarCall', [callId, request]);
  } catch (error) {
    waiting.delete(callId);
    throw error;
  }
  const result = await promise;
  if (!result.ok) throw new BindingError(result.code, result.message, request.binding, request.operation, result.remote);
  return jsonParse(result.resultJson);
}

/** See IsolaRuntime.completeSidecarCall. */
export function completeSidecarCall(callId: number, result: SidecarResult): void {
  const resolve = waiting.get(callId);
  if (resolve === undefined) return;
  waiting.delete(callId);
  resolve(result);
}

/** `[a, b, ...]` from values that are JSON already (no Array.prototype.join: user code may patch it). */
export function jsonArray(items: readonly string[]): string {
  let text = '[';
  for (let index = 0; index < items.length; index += 1) text += (index === 0 ? '' : ',') + items[index];
  return `${text}]`;
}

/** JSON of a string or another value the runtime built itself (known to be plain). */
export const plainJson = (value: unknown): string => jsonStringify(value) as string;
