// structuredClone, following V8's ValueSerializer (what Node, browsers and workerd use): what it
// copies, in what order, and its DataCloneError messages. Hand-written because the lean
// polyfills diverge where functions notice: @ungap/structured-clone throws TypeError instead of
// DataCloneError, drops error stacks and causes, loses DataView offsets and buffer sharing
// between views, and rebuilds unknown types by calling whatever global constructor an object's
// Symbol.toStringTag names. This clones in one pass, with no intermediate records.
//
// Known differences: a Proxy is cloned through its traps (V8 refuses it; JS cannot detect one);
// transferred ArrayBuffers are copied, not detached, unless ArrayBuffer.prototype.transfer
// exists (V8 11.3, under Node 20, has none); SharedArrayBuffer is refused.
import { DOMException } from './dom-exception.js';
import {
  arrayBufferByteLength,
  capturedGetter,
  capturedMethod,
  dataViewBuffer,
  dataViewByteLength,
  dataViewByteOffset,
  typedArrayBuffer,
  typedArrayByteOffset,
  typedArrayLength,
  typedArrayName,
  typedArraySet,
} from '../primordials.js';

// Built-ins captured at load: user code may replace prototype methods.
const reflectApply = Reflect.apply;
const objectKeys = Object.keys;
const defineProperty = Object.defineProperty;
const getOwnPropertyDescriptor = Object.getOwnPropertyDescriptor;
const objectToString = Object.prototype.toString;
const isPrototypeOf = Object.prototype.isPrototypeOf;

const method = capturedMethod;
const getter = capturedGetter;
const call = (fn: (...args: never[]) => unknown, thisArg: unknown, ...args: unknown[]): unknown => reflectApply(fn, thisArg, args);

const functionToString = method(Function.prototype, 'toString');
const symbolToString = method(Symbol.prototype, 'toString');
const dateGetTime = method(Date.prototype, 'getTime');
const regExpSource = getter(RegExp.prototype, 'source');
const regExpFlags = getter(RegExp.prototype, 'flags');
const mapSize = getter(Map.prototype, 'size');
const mapForEach = method(Map.prototype, 'forEach');
const mapSet = method(Map.prototype, 'set');
const mapGet = method(Map.prototype, 'get');
const mapHas = method(Map.prototype, 'has');
const setSize = getter(Set.prototype, 'size');
const setForEach = method(Set.prototype, 'forEach');
const setAdd = method(Set.prototype, 'add');
const arrayBufferSlice = method(ArrayBuffer.prototype, 'slice');
const arrayBufferResizable = getter(ArrayBuffer.prototype, 'resizable');
const arrayBufferMaxByteLength = getter(ArrayBuffer.prototype, 'maxByteLength');
const arrayBufferTransfer = (ArrayBuffer.prototype as { transfer?: () => ArrayBuffer }).transfer;
const boxedValueOf: Record<string, (...args: never[]) => unknown> = {
  '[object Number]': method(Number.prototype, 'valueOf'),
  '[object String]': method(String.prototype, 'valueOf'),
  '[object Boolean]': method(Boolean.prototype, 'valueOf'),
  '[object BigInt]': method(BigInt.prototype, 'valueOf'),
};

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => object;
const typedArrayConstructors: Record<string, TypedArrayConstructor> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
};

/** The error constructors V8 keeps across a clone; any other name comes back as Error. */
const errorConstructors: Record<string, ErrorConstructor> = {
  Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError,
};

/** Built-in types V8 refuses, by Object.prototype.toString tag, with the name its message uses. */
const uncloneableTags: Record<string, string> = {
  '[object WeakMap]': 'WeakMap',
  '[object WeakSet]': 'WeakSet',
  '[object WeakRef]': 'WeakRef',
  '[object FinalizationRegistry]': 'FinalizationRegistry',
  '[object Promise]': 'Promise',
  '[object Arguments]': 'Object',
  '[object Generator]': 'Generator',
  '[object AsyncGenerator]': 'AsyncGenerator',
  '[object Module]': 'Module',
  '[object SharedArrayBuffer]': 'SharedArrayBuffer',
};

/** The runtime's Web API classes: platform objects, which are not serializable (as in browsers). */
const platformClasses = new Map<string, { prototype: object }>();

/** Registers Web API classes whose instances structuredClone refuses, by their toStringTag. */
export function registerPlatformClasses(classes: Record<string, { prototype: object }>): void {
  for (const name of objectKeys(classes)) platformClasses.set(name, classes[name]!);
}

function dataCloneError(message: string): DOMException {
  return new DOMException(message, 'DataCloneError');
}

function cannotClone(description: string): DOMException {
  return dataCloneError(`${description} could not be cloned.`);
}

/** Calls a brand-checking built-in; undefined when `value` lacks the internal slot it needs. */
function tryBrand(fn: (...args: never[]) => unknown, value: object): { value: unknown } | undefined {
  try {
    return { value: call(fn, value) };
  } catch {
    return undefined;
  }
}

/** WHATWG structuredClone(value, { transfer }). */
export function structuredClone(value: unknown, options?: unknown): unknown {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'structuredClone': 1 argument required, but only 0 present.");
  const memory = new Map<object, unknown>();
  if (options !== undefined && options !== null) {
    if (typeof options !== 'object' && typeof options !== 'function') throw new TypeError('structuredClone: options must be an object');
    const transfer = (options as { transfer?: unknown }).transfer;
    if (transfer !== undefined) transferBuffers(transfer, memory);
  }
  return cloneValue(value, memory);
}

// `memory` (original → clone) is a Map too: it goes through the captured Map methods as well.

/** Validates the transfer list; moves each buffer when the engine can, else copies it on sight. */
function transferBuffers(transfer: unknown, memory: Map<object, unknown>): void {
  if (typeof transfer !== 'object' || transfer === null || typeof (transfer as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
    throw new TypeError('structuredClone: options.transfer must be an iterable of objects');
  }
  const seen: object[] = [];
  for (const item of transfer as Iterable<unknown>) {
    if ((typeof item !== 'object' && typeof item !== 'function') || item === null) {
      throw new TypeError('structuredClone: options.transfer must contain only objects');
    }
    if (tryBrand(arrayBufferByteLength, item) === undefined) {
      throw dataCloneError(`${describe(item)} could not be transferred: only ArrayBuffer is transferable here.`);
    }
    if (seen.includes(item)) throw dataCloneError('Transfer list contains duplicate ArrayBuffer');
    seen[seen.length] = item;
  }
  if (arrayBufferTransfer === undefined) return;
  for (const buffer of seen) {
    try {
      call(mapSet, memory, buffer, call(arrayBufferTransfer, buffer));
    } catch {
      throw dataCloneError('An ArrayBuffer is detached and could not be transferred.');
    }
  }
}

function cloneValue(value: unknown, memory: Map<object, unknown>): unknown {
  if (typeof value === 'symbol') throw cannotClone(call(symbolToString, value) as string);
  if (typeof value === 'function') throw cannotClone(functionSource(value));
  if (typeof value !== 'object' || value === null) return value;
  if (call(mapHas, memory, value) === true) return call(mapGet, memory, value);
  return cloneObject(value, memory);
}

function cloneObject(value: object, memory: Map<object, unknown>): unknown {
  const tag = call(objectToString, value) as string;
  switch (tag) {
    case '[object Object]':
      return clonePlainObject(value, {}, memory);
    case '[object Array]':
      return clonePlainObject(value, new Array((value as unknown[]).length) as unknown as Record<string, unknown>, memory);
    case '[object Date]': {
      const time = tryBrand(dateGetTime, value);
      if (time !== undefined) return remember(memory, value, new Date(time.value as number));
      break;
    }
    case '[object RegExp]': {
      const source = tryBrand(regExpSource, value);
      if (source !== undefined) return remember(memory, value, new RegExp(source.value as string, call(regExpFlags, value) as string));
      break;
    }
    case '[object Map]': {
      const entries: unknown[] = [];
      if (tryBrand(mapSize, value) === undefined) break;
      call(mapForEach, value, (entry: unknown, key: unknown) => {
        entries[entries.length] = key;
        entries[entries.length] = entry;
      });
      const map = remember(memory, value, new Map());
      for (let i = 0; i < entries.length; i += 2) call(mapSet, map, cloneValue(entries[i], memory), cloneValue(entries[i + 1], memory));
      return map;
    }
    case '[object Set]': {
      const entries: unknown[] = [];
      if (tryBrand(setSize, value) === undefined) break;
      call(setForEach, value, (entry: unknown) => {
        entries[entries.length] = entry;
      });
      const set = remember(memory, value, new Set());
      for (const entry of entries) call(setAdd, set, cloneValue(entry, memory));
      return set;
    }
    case '[object ArrayBuffer]':
      if (tryBrand(arrayBufferByteLength, value) !== undefined) return remember(memory, value, cloneArrayBuffer(value as ArrayBuffer));
      break;
    case '[object DataView]': {
      const buffer = tryBrand(dataViewBuffer, value);
      if (buffer === undefined) break;
      const clonedBuffer = cloneValue(buffer.value, memory) as ArrayBuffer;
      return remember(memory, value, new DataView(clonedBuffer, call(dataViewByteOffset, value) as number, call(dataViewByteLength, value) as number));
    }
    case '[object Error]':
      return cloneError(value as Error, memory);
    case '[object Symbol]':
      throw cannotClone('[object Symbol]');
    default: {
      const valueOf = boxedValueOf[tag];
      if (valueOf !== undefined) {
        const primitive = tryBrand(valueOf, value);
        if (primitive !== undefined) return remember(memory, value, Object(primitive.value));
        break;
      }
      const refused = uncloneableTags[tag];
      if (refused !== undefined) throw cannotClone(`#<${refused}>`);
      const typedArray = call(typedArrayName, value) as string | undefined;
      if (typedArray !== undefined) return cloneTypedArray(value, typedArrayConstructors[typedArray]!, memory);
      if (value instanceof DOMException) {
        return remember(memory, value, new DOMException(value.message, value.name));
      }
      const platformClass = platformClasses.get(tag.slice(8, -1));
      if (platformClass !== undefined && call(isPrototypeOf, platformClass.prototype, value) === true) throw cannotClone(`#<${tag.slice(8, -1)}>`);
      if (value instanceof Error) return cloneError(value, memory);
    }
  }
  // A toStringTag that names a type the object is not: V8 sees an ordinary object.
  return clonePlainObject(value, {}, memory);
}

function remember<T>(memory: Map<object, unknown>, original: object, clone: T): T {
  call(mapSet, memory, original, clone);
  return clone;
}

/** Own enumerable string-keyed properties, read with [[Get]] (getters run), in key order. */
function clonePlainObject(value: object, out: Record<string, unknown>, memory: Map<object, unknown>): object {
  call(mapSet, memory, value, out);
  const source = value as Record<string, unknown>;
  for (const key of objectKeys(value)) {
    const cloned = cloneValue(source[key], memory);
    if (key === '__proto__') defineProperty(out, key, { value: cloned, writable: true, enumerable: true, configurable: true });
    else out[key] = cloned;
  }
  return out;
}

function cloneArrayBuffer(buffer: ArrayBuffer): ArrayBuffer {
  let copy: ArrayBuffer;
  try {
    copy = call(arrayBufferSlice, buffer, 0) as ArrayBuffer;
  } catch {
    throw dataCloneError('An ArrayBuffer is detached and could not be cloned.');
  }
  if (call(arrayBufferResizable, buffer) !== true) return copy;
  const ResizableArrayBuffer = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ArrayBuffer;
  const resizable = new ResizableArrayBuffer(copy.byteLength, { maxByteLength: call(arrayBufferMaxByteLength, buffer) as number });
  call(typedArraySet, new Uint8Array(resizable), new Uint8Array(copy));
  return resizable;
}

function cloneTypedArray(view: object, constructor: TypedArrayConstructor, memory: Map<object, unknown>): object {
  const buffer = cloneValue(call(typedArrayBuffer, view), memory) as ArrayBuffer;
  return remember(memory, view, new constructor(buffer, call(typedArrayByteOffset, view) as number, call(typedArrayLength, view) as number));
}

/** name (one of the seven kept, else Error), message if an own data property, stack, cause. */
function cloneError(error: Error, memory: Map<object, unknown>): Error {
  const messageDescriptor = getOwnPropertyDescriptor(error, 'message');
  const causeDescriptor = getOwnPropertyDescriptor(error, 'cause');
  const name = String(error.name);
  const constructor = errorConstructors[name] ?? Error;
  const hasMessage = messageDescriptor !== undefined && 'value' in messageDescriptor;
  const clone = hasMessage ? new constructor(String(messageDescriptor.value)) : new constructor();
  call(mapSet, memory, error, clone);
  const stack: unknown = error.stack;
  defineProperty(clone, 'stack', { value: typeof stack === 'string' ? stack : undefined, writable: true, enumerable: false, configurable: true });
  if (causeDescriptor !== undefined && 'value' in causeDescriptor) {
    defineProperty(clone, 'cause', { value: cloneValue(causeDescriptor.value, memory), writable: true, enumerable: false, configurable: true });
  }
  return clone;
}

function functionSource(fn: unknown): string {
  try {
    return call(functionToString, fn) as string;
  } catch {
    return 'function';
  }
}

function describe(value: object): string {
  const tag = call(objectToString, value) as string;
  return `#<${tag.slice(8, -1)}>`;
}
