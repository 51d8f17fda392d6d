// Values that bindings send (state values, messages, RPC arguments) must survive JSON unchanged.
// JSON.stringify would quietly turn NaN into null, drop functions, turn a Map into {} and a Date
// into a string: here such values are refused with a TypeError that says where the problem is,
// before anything leaves the isolate. Undefined object properties are left out, as JSON does.
import { jsonStringify } from '../primordials.js';

// Captured before user code runs.
const isArray = Array.isArray;
const getPrototypeOf = Object.getPrototypeOf;
const objectKeys = Object.keys;
const objectPrototype = Object.prototype;
const numberIsFinite = Number.isFinite;

/** Deeper than this is refused (and would risk the stack). */
const MAX_DEPTH = 512;

const HOW_TO_FIX = 'pass plain objects, arrays, strings, finite numbers, booleans and null';

/** JSON of `value`, or a TypeError naming `what` (e.g. "env.CART.put(): the value") and the path of the problem. */
export function jsonOf(value: unknown, what: string): string {
  const path: (string | number)[] = [];
  const ancestors: object[] = [];
  const problem = check(value, path, ancestors);
  if (problem !== null) {
    const where = path.length === 0 ? '' : ` at ${path.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('')}`;
    throw new TypeError(`${what}${where} ${problem}, which JSON cannot represent; ${HOW_TO_FIX}`);
  }
  return jsonStringify(value) as string;
}

/** The problem with `value`, or null; on a problem `path` is left pointing at it. */
function check(value: unknown, path: (string | number)[], ancestors: object[]): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return numberIsFinite(value) ? null : `is ${String(value)}`;
    case 'undefined':
      return 'is undefined';
    case 'function':
      return 'is a function';
    case 'symbol':
      return 'is a symbol';
    case 'bigint':
      return 'is a BigInt (write it as a string)';
  }
  if (value === null) return null;
  const object = value as object;
  if (contains(ancestors, object)) return 'refers back to an object that contains it (a cycle)';
  if (ancestors.length >= MAX_DEPTH) return `is nested more than ${MAX_DEPTH} levels deep`;
  ancestors[ancestors.length] = object;
  let problem: string | null = null;
  if (isArray(object)) {
    const items = object as unknown[];
    for (let index = 0; index < items.length && problem === null; index += 1) {
      path[path.length] = index;
      problem = check(items[index], path, ancestors);
      if (problem === null) path.length -= 1;
    }
  } else {
    const prototype: unknown = getPrototypeOf(object);
    if (prototype !== objectPrototype && prototype !== null) {
      ancestors.length -= 1;
      const kind = describeClass(object);
      return `is ${kind}${kind === 'a Date' ? ' (use date.toISOString())' : ''}`;
    }
    const record = object as Record<string, unknown>;
    const keys = objectKeys(record);
    for (let index = 0; index < keys.length && problem === null; index += 1) {
      const key = keys[index] as string;
      const property = record[key];
      if (property === undefined) continue;
      path[path.length] = key;
      problem = check(property, path, ancestors);
      if (problem === null) path.length -= 1;
    }
  }
  ancestors.length -= 1;
  return problem;
}

/** `list.includes(item)` that does not go through Array.prototype. */
function contains(list: readonly object[], item: object): boolean {
  for (let index = 0; index < list.length; index += 1) if (list[index] === item) return true;
  return false;
}

function describeClass(object: object): string {
  try {
    const name: unknown = (object as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a prototype other than Object';
  } catch {
    return 'an object with a prototype other than Object';
  }
}
