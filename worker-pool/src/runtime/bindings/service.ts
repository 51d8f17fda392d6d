// env.NAME for `{ type: service }`: any property is a method calling the bound function's RPC
// method of that name, arguments and result as JSON. A Proxy, since the methods are whatever the
// other function exports. `then` is not a method, so `await env.PRICER` (and a promise resolved
// with it) does not make a call; nor are `toJSON` and `constructor`, which JSON.stringify and
// console formatting look up.
import { callName } from './arguments.js';
import { jsonOf } from './json-value.js';
import { callBinding, jsonArray } from './sidecar-call.js';
import type { ServiceBinding } from './types.js';

const NOT_METHODS: readonly string[] = ['then', 'toJSON', 'constructor'];
const ProxyConstructor = Proxy;
const freeze = Object.freeze;
const objectCreate = Object.create;

export function serviceBinding(name: string): ServiceBinding {
  const call = (method: string) =>
    async function (...args: unknown[]): Promise<unknown> {
      const parts: string[] = [];
      for (let index = 0; index < args.length; index += 1) parts[index] = jsonOf(args[index], `${callName(name, method)}: argument ${index + 1}`);
      return callBinding(name, method, jsonArray(parts));
    };
  const target = freeze(objectCreate(null) as object);
  return new ProxyConstructor(target, {
    get(_target, property) {
      if (typeof property !== 'string' || isNotMethod(property)) return undefined;
      return call(property);
    },
  }) as ServiceBinding;
}

function isNotMethod(property: string): boolean {
  for (let index = 0; index < NOT_METHODS.length; index += 1) if (NOT_METHODS[index] === property) return true;
  return false;
}
