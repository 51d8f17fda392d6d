// Built-ins captured when the runtime loads, before any user code runs. User code shares the
// isolate's built-ins and may replace them (JSON.stringify = ..., Array.prototype.push = ...);
// the runtime's own paths call these captured copies so that a function that tampers with its
// globals still gets its responses and logs delivered. Only what the runtime needs is here.
const json = JSON;

export const jsonParse: (text: string) => unknown = json.parse.bind(json);
export const jsonStringify: (value: unknown, replacer?: (this: unknown, key: string, value: unknown) => unknown) => string | undefined =
  json.stringify.bind(json) as never;

/** `list.push(item)` that does not go through Array.prototype. */
export function append<T>(list: T[], item: T): void {
  list[list.length] = item;
}

const promise = Promise;
export const promiseResolve: <T>(value: T) => Promise<Awaited<T>> = promise.resolve.bind(promise);
export const promiseAllSettled: <T>(values: readonly T[]) => Promise<PromiseSettledResult<Awaited<T>>[]> = promise.allSettled.bind(promise);
/** A promise of the Promise the runtime loaded with, and the function that resolves it. */
export function pendingPromise<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: ((value: T) => void) | undefined;
  const created = new promise<T>((settle) => {
    resolve = settle;
  });
  return { promise: created, resolve: resolve as (value: T) => void };
}

/** `value instanceof Promise` against the Promise the runtime loaded with, not the current global. */
export function isPromise(value: unknown): value is Promise<unknown> {
  return value instanceof promise;
}

/** A getter of a built-in prototype, as it was at load (a no-op when this engine lacks it). */
export function capturedGetter(prototype: object, key: PropertyKey): (this: unknown, ...args: never[]) => unknown {
  return Object.getOwnPropertyDescriptor(prototype, key)?.get ?? (() => undefined);
}

/** A method of a built-in prototype, as it was at load. */
export function capturedMethod(prototype: object, key: PropertyKey): (...args: never[]) => unknown {
  return (prototype as Record<PropertyKey, (...args: never[]) => unknown>)[key]!;
}

// ArrayBuffer, typed array and DataView accessors, called with Reflect.apply. They double as
// brand checks: called on anything but the real thing, they throw.
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
export const arrayBufferByteLength = capturedGetter(ArrayBuffer.prototype, 'byteLength');
export const typedArrayName = capturedGetter(typedArrayPrototype, Symbol.toStringTag);
export const typedArrayBuffer = capturedGetter(typedArrayPrototype, 'buffer');
export const typedArrayByteOffset = capturedGetter(typedArrayPrototype, 'byteOffset');
export const typedArrayByteLength = capturedGetter(typedArrayPrototype, 'byteLength');
export const typedArrayLength = capturedGetter(typedArrayPrototype, 'length');
export const typedArraySet = capturedMethod(typedArrayPrototype, 'set');
export const dataViewBuffer = capturedGetter(DataView.prototype, 'buffer');
export const dataViewByteOffset = capturedGetter(DataView.prototype, 'byteOffset');
export const dataViewByteLength = capturedGetter(DataView.prototype, 'byteLength');
