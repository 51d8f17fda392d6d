// RPC methods (SPEC §2): every function-valued property of the default export other than the
// trigger handlers is a method callers reach by name (the gRPC trigger, the RPC route, other
// functions' service bindings). A method is called with the call's arguments and, as in a
// Cloudflare WorkerEntrypoint, `this.env` and `this.ctx`; `this` inherits from the default
// export, so `this.otherMethod()` works too. Runs through dispatchEvent() (event-dispatch.ts).
//
// Only own data properties count: looking a method up never runs user code (no getters), and
// nothing inherited from Object.prototype (toString, hasOwnProperty...) can be called.
import type { DispatchError, EventResult, RpcMeta, WithoutLogs } from './contract.js';
import { createExecutionContext, logWaitUntilRejections, type ExecutionContext } from './execution-context.js';
import { functionError } from './function-error.js';
import type { InstalledFunction } from './installed-function.js';
import type { InvocationLog } from './log-capture.js';
import { jsonParse, jsonStringify, promiseAllSettled } from './primordials.js';

/** Why `name` is never an RPC method (a trigger handler, or what every object has); null for other names. */
function reservedReason(name: string): string | null {
  switch (name) {
    case 'fetch':
      return 'the HTTP trigger calls it';
    case 'scheduled':
      return 'cron triggers call it';
    case 'queue':
      return 'message triggers call it';
    case 'constructor':
    case '__proto__':
      return 'every object has one';
    default:
      return null;
  }
}
const identifier = /^[A-Za-z_$][\w$]*$/;

// Captured at load: user code may replace them.
const reflectApply = Reflect.apply;
const freeze = Object.freeze;
const objectCreate = Object.create;
const getOwnPropertyNames = Object.getOwnPropertyNames;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const isArray = Array.isArray;
const regExpTest = RegExp.prototype.test;

/** What an RPC method sees as `this.ctx`: the usual ExecutionContext plus the caller's metadata. */
export interface RpcContext extends ExecutionContext {
  readonly metadata: Readonly<Record<string, string>>;
}

/** Calls the method `meta.method` names and returns a plain, copyable result. */
export async function runRpc(installed: InstalledFunction, meta: RpcMeta, log: InvocationLog): Promise<WithoutLogs<EventResult>> {
  const args = jsonParse(meta.argsJson);
  // The triggers check the arguments: anything else here is a host fault.
  if (!isArray(args)) throw new TypeError('dispatchEvent: an RPC call needs argsJson to be a JSON array');
  const { handlers, env } = installed;
  let outcome: WithoutLogs<EventResult>;
  const waitUntilPromises: Promise<unknown>[] = [];
  try {
    // Inside the try: the default export may be a Proxy whose traps throw.
    const method = findMethod(handlers, meta.method);
    if (typeof method === 'string') return { ok: false, error: { code: 'RPC_METHOD_NOT_FOUND', message: method } };
    const ctx: RpcContext = freeze({ ...createExecutionContext(meta.invocationId, waitUntilPromises), metadata: freeze({ ...meta.metadata }) });
    const self: unknown = objectCreate(handlers, { env: { value: env }, ctx: { value: ctx } });
    const returned: unknown = await reflectApply(method, self, args);
    outcome = resultOf(meta.method, returned);
  } catch (thrown) {
    outcome = { ok: false, error: functionError(thrown) };
  }
  logWaitUntilRejections(await promiseAllSettled(waitUntilPromises), log);
  return outcome;
}

/** The method, or why there is none (the message of RPC_METHOD_NOT_FOUND, listing the methods there are). */
function findMethod(handlers: Record<string, unknown>, name: string): ((...args: unknown[]) => unknown) | string {
  const reserved = reservedReason(name);
  const reason = !reflectApply(regExpTest, identifier, [name])
    ? 'that is not a method name'
    : reserved !== null
      ? `"${name}" is not an RPC method: ${reserved}`
      : null;
  if (reason === null) {
    const method = methodOf(handlers, name);
    if (method !== undefined) return method;
  }
  const shown = name.length > 100 ? `${name.slice(0, 100)}…` : name;
  const methods = methodNames(handlers);
  const available =
    methods.length === 0
      ? 'it has none: every function-valued property of its default export other than fetch, scheduled and queue is one (export default { async add(a, b) { return a + b } })'
      : `its RPC methods: ${methods.join(', ')}`;
  return `the function has no RPC method ${jsonStringify(shown) ?? ''}${reason === null ? '' : ` (${reason})`}; ${available}`;
}

function methodOf(handlers: Record<string, unknown>, name: string): ((...args: unknown[]) => unknown) | undefined {
  const value: unknown = getOwnPropertyDescriptor(handlers, name)?.value;
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown) : undefined;
}

/** The default export's RPC methods, in property order. */
function methodNames(handlers: Record<string, unknown>): string[] {
  const names: string[] = [];
  for (const name of getOwnPropertyNames(handlers)) {
    if (reservedReason(name) === null && reflectApply(regExpTest, identifier, [name]) && methodOf(handlers, name) !== undefined) names[names.length] = name;
  }
  return names;
}

/** The JSON of the return value (`null` for undefined); a value JSON cannot express fails the call. */
function resultOf(method: string, returned: unknown): WithoutLogs<EventResult> {
  if (returned === undefined) return { ok: true, resultJson: 'null' };
  let resultJson: string | undefined;
  try {
    resultJson = jsonStringify(returned);
  } catch (thrown) {
    return { ok: false, error: invalidResult(method, functionError(thrown).message) };
  }
  if (resultJson === undefined) return { ok: false, error: invalidResult(method, `a ${typeof returned} has no JSON form`) };
  return { ok: true, resultJson };
}

function invalidResult(method: string, reason: string): DispatchError {
  return {
    code: 'FUNCTION_INVALID_RESPONSE',
    message: `the RPC method ${method} returned a value JSON cannot express (${reason}); return plain data: objects, arrays, strings, numbers, booleans or null`,
  };
}
