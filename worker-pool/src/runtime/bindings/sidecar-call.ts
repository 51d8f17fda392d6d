// The one way binding methods leave the isolate: a SidecarRequest to the host's sidecarCall,
// whose failure results become BindingErrors here. Arguments arrive already checked and written
// as JSON by the binding's method (env-bindings.ts).
import type { SidecarRequest } from '../contract.js';
import { callHostAsync } from '../host-bridge.js';
import { requireInvocation } from '../invocation-scope.js';
import { jsonParse, jsonStringify } from '../primordials.js';
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

async function send(request: SidecarRequest): Promise<unknown> {
  const result = await callHostAsync('sidecarCall', [request]);
  if (!result.ok) throw new BindingError(result.code, result.message, request.binding, request.operation, result.remote);
  return jsonParse(result.resultJson);
}

/** `[a, b, ...]` from values that are JSON already (no Array.prototype.join: user code may patch it). */
export function jsonArray(items: readonly string[]): string {
  let text = '[';
  for (let index = 0; index < items.length; index += 1) text += (index === 0 ? '' : ',') + items[index];
  return `${text}]`;
}

/** JSON of a string or another value the runtime built itself (known to be plain). */
export const plainJson = (value: unknown): string => jsonStringify(value) as string;
