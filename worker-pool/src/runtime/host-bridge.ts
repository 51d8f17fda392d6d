// The host's capabilities (random bytes, hashing, timers, fetch, binding calls) as isolated-vm References,
// handed over by connectHost() when the pool isolate is prepared, before any user code runs.
// They live only in this module's closure. User code must never reach a Reference: one that
// points at a host function lets its holder call into the host with arguments of its choice,
// and `reference.get('constructor', { reference: true })` leads out of the sandbox.
import type { HostFunctionName, HostFunctions } from './contract.js';

/** The part of isolated-vm's Reference the runtime uses (the class exists only in isolates). */
interface HostReference {
  applySync(thisArg: undefined, args: unknown[], options: object): unknown;
  apply(thisArg: undefined, args: unknown[], options: object): Promise<unknown>;
}

const hostFunctionNames: readonly string[] = [
  'randomBytes',
  'digest',
  'hmac',
  'scheduleTimers',
  'fetch',
  'abortFetch',
  'sidecarCall',
  'dispatchSettled',
] satisfies HostFunctionName[];

// isolated-vm reads transfer options through the prototype chain: with ordinary objects, user
// code could add `reference: true` to Object.prototype and have results arrive as References.
// Null-prototype, frozen option objects made before user code runs close that door.
function frozenOptions(fields: Record<string, unknown>): object {
  const options = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    options[key] = typeof value === 'object' && value !== null ? frozenOptions(value as Record<string, unknown>) : value;
  }
  return Object.freeze(options);
}
const syncOptions = frozenOptions({ arguments: { copy: true }, result: { copy: true } });
const asyncOptions = frozenOptions({ arguments: { copy: true }, result: { promise: true, copy: true } });

const references = Object.create(null) as Partial<Record<HostFunctionName, HostReference>>;

/** Stores the host's capabilities, given as (name, reference) pairs; each may be connected once. */
export function connectHost(...pairs: unknown[]): void {
  for (let index = 0; index + 1 < pairs.length; index += 2) {
    const name = pairs[index] as HostFunctionName;
    const reference = pairs[index + 1];
    if (!hostFunctionNames.includes(name)) throw new TypeError(`connectHost: unknown host function "${String(name)}"`);
    if (references[name] !== undefined) throw new Error(`connectHost: "${name}" is already connected`);
    if (typeof reference !== 'object' || reference === null) throw new TypeError(`connectHost: "${name}" needs a Reference`);
    references[name] = reference as HostReference;
  }
}

function referenceTo(name: HostFunctionName): HostReference {
  const reference = references[name];
  if (reference === undefined) throw new Error(`the host did not connect "${name}" to this isolate`);
  return reference;
}

type AsyncHostFunctionName = 'fetch';
type Call<K extends HostFunctionName> = HostFunctions[K] extends (...args: infer A) => infer R ? { args: A; result: R } : never;

/** Calls a synchronous host function; arguments and result are copied. */
export function callHost<K extends Exclude<HostFunctionName, AsyncHostFunctionName>>(name: K, args: Call<K>['args']): Call<K>['result'] {
  return referenceTo(name).applySync(undefined, args, syncOptions) as Call<K>['result'];
}

/** Calls an asynchronous host function; the isolate is free while the host works. */
export function callHostAsync<K extends AsyncHostFunctionName>(name: K, args: Call<K>['args']): Call<K>['result'] {
  return referenceTo(name).apply(undefined, args, asyncOptions) as Call<K>['result'];
}
