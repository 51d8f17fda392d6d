// WHATWG URLSearchParams, with the application/x-www-form-urlencoded parser and serializer.
// Written here (not core-js's) so that a URL's searchParams can be linked to our URL class
// both ways. Argument handling, error types and iteration follow Node's implementation
// (lib/internal/url.js), which the conformance tests compare against.
import { TextDecoder, encodeUtf8 } from './text-encoding.js';
import { isObject, toUSVString } from './webidl.js';

// Captured at load, like the runtime's other primordials: user code may replace the globals.
const encodeComponent = encodeURIComponent;
const decodeComponent = decodeURIComponent;
const arraySplice = Array.prototype.splice;
const utf8WithoutBom = new TextDecoder('utf-8', { ignoreBOM: true });

/** Called with the serialized list after every mutation of a URL's searchParams. */
export type SearchParamsUpdate = (serialized: string) => void;

/** Internal accessors, assigned in the class's static block so the state stays private. */
export let createLinkedSearchParams: (query: string, update: SearchParamsUpdate) => URLSearchParams;
/** Replaces the list from a URL's query (`?a=b` or ``), as the URL's search or href setter does. */
export let resetSearchParams: (params: URLSearchParams, query: string) => void;
let listOf: (params: URLSearchParams) => string[];

/** WHATWG URLSearchParams. The list is flat: name, value, name, value... */
export class URLSearchParams {
  #list: string[] = [];
  /** The associated URL's update steps, when this is a URL's searchParams. */
  #update: SearchParamsUpdate | null = null;

  static {
    createLinkedSearchParams = (query, update) => {
      const params = new URLSearchParams();
      params.#list = parseFormUrlencoded(query);
      params.#update = update;
      return params;
    };
    resetSearchParams = (params, query) => {
      params.#list = parseFormUrlencoded(query);
    };
    listOf = (params) => params.#list;
  }

  // `init = undefined` keeps URLSearchParams.length at 0, as WebIDL (and Node) have it.
  constructor(init: unknown = undefined) {
    if (init === undefined || init === null) return;
    if (!isObject(init)) {
      this.#list = parseFormUrlencoded(toUSVString(init));
      return;
    }
    const method: unknown = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    // Not in the spec, as in Node: another URLSearchParams (with the same iterator) is copied.
    if (method === this[Symbol.iterator] && #list in init) {
      this.#list = init.#list.slice();
    } else if (method !== undefined && method !== null) {
      if (typeof method !== 'function') throw new TypeError('Query pairs must be iterable');
      this.#list = listFromPairs(init as Iterable<unknown>);
    } else {
      this.#list = listFromRecord(init);
    }
  }

  get size(): number {
    return this.#list.length / 2;
  }

  append(name: unknown, value: unknown): void {
    requireArguments(arguments.length, 2, 'name and value');
    const list = this.#list;
    list[list.length] = toUSVString(name);
    list[list.length] = toUSVString(value);
    this.#updateUrl();
  }

  delete(name: unknown, value: unknown = undefined): void {
    requireArguments(arguments.length, 1, 'name');
    const list = this.#list;
    const key = toUSVString(name);
    const expected = value === undefined ? undefined : toUSVString(value);
    for (let i = 0; i < list.length; ) {
      if (list[i] === key && (expected === undefined || list[i + 1] === expected)) arraySplice.call(list, i, 2);
      else i += 2;
    }
    this.#updateUrl();
  }

  get(name: unknown): string | null {
    requireArguments(arguments.length, 1, 'name');
    const list = this.#list;
    const key = toUSVString(name);
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) return list[i + 1]!;
    return null;
  }

  getAll(name: unknown): string[] {
    requireArguments(arguments.length, 1, 'name');
    const list = this.#list;
    const key = toUSVString(name);
    const values: string[] = [];
    for (let i = 0; i < list.length; i += 2) if (list[i] === key) values[values.length] = list[i + 1]!;
    return values;
  }

  has(name: unknown, value: unknown = undefined): boolean {
    requireArguments(arguments.length, 1, 'name');
    const list = this.#list;
    const key = toUSVString(name);
    const expected = value === undefined ? undefined : toUSVString(value);
    for (let i = 0; i < list.length; i += 2) {
      if (list[i] === key && (expected === undefined || list[i + 1] === expected)) return true;
    }
    return false;
  }

  set(name: unknown, value: unknown): void {
    requireArguments(arguments.length, 2, 'name and value');
    const list = this.#list;
    const key = toUSVString(name);
    const text = toUSVString(value);
    // The first pair with this name takes the value; later ones are removed.
    let found = false;
    for (let i = 0; i < list.length; ) {
      if (list[i] !== key) i += 2;
      else if (found) arraySplice.call(list, i, 2);
      else {
        list[i + 1] = text;
        found = true;
        i += 2;
      }
    }
    if (!found) {
      list[list.length] = key;
      list[list.length] = text;
    }
    this.#updateUrl();
  }

  /** Stable sort by name, comparing UTF-16 code units. */
  sort(): void {
    const list = this.#list;
    if (list.length >= 100) {
      this.#list = sortedPairs(list);
      this.#updateUrl();
      return;
    }
    // Insertion sort in place: most lists are short.
    for (let i = 2; i < list.length; i += 2) {
      const name = list[i]!;
      const value = list[i + 1]!;
      let j = i - 2;
      for (; j >= 0 && list[j]! > name; j -= 2) {
        list[j + 2] = list[j]!;
        list[j + 3] = list[j + 1]!;
      }
      list[j + 2] = name;
      list[j + 3] = value;
    }
    this.#updateUrl();
  }

  entries(): URLSearchParamsIterator {
    return new URLSearchParamsIterator(this, 'entries');
  }

  forEach(callback: unknown, thisArg: unknown = undefined): void {
    void this.#list; // the brand check comes first, as in Node
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    // Re-read the list after every call: the callback may change it (or the URL's search).
    for (let i = 0; i < this.#list.length; i += 2) {
      const list = this.#list;
      Reflect.apply(callback, thisArg, [list[i + 1], list[i], this]);
    }
  }

  keys(): URLSearchParamsIterator {
    return new URLSearchParamsIterator(this, 'keys');
  }

  values(): URLSearchParamsIterator {
    return new URLSearchParamsIterator(this, 'values');
  }

  toString(): string {
    return serializeFormUrlencoded(this.#list);
  }

  declare [Symbol.iterator]: () => URLSearchParamsIterator;

  #updateUrl(): void {
    if (this.#update !== null) this.#update(serializeFormUrlencoded(this.#list));
  }
}

// WebIDL: the default iterator *is* entries(); members are enumerable. Property order as in
// Node (index.ts sets the toStringTag again, which keeps its place).
for (const key of Reflect.ownKeys(URLSearchParams.prototype)) {
  if (key !== 'constructor') Object.defineProperty(URLSearchParams.prototype, key, { enumerable: true });
}
Object.defineProperty(URLSearchParams.prototype, Symbol.toStringTag, { value: 'URLSearchParams', configurable: true });
Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
  value: URLSearchParams.prototype.entries,
  writable: true,
  configurable: true,
});

function requireArguments(given: number, required: number, names: string): void {
  if (given < required) throw new TypeError(`The ${names} arguments must be specified`);
}

function sortedPairs(list: readonly string[]): string[] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < list.length; i += 2) pairs[pairs.length] = [list[i]!, list[i + 1]!];
  // Array#sort is stable.
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const sorted: string[] = [];
  for (const [name, value] of pairs) {
    sorted[sorted.length] = name;
    sorted[sorted.length] = value;
  }
  return sorted;
}

function listFromPairs(pairs: Iterable<unknown>): string[] {
  const list: string[] = [];
  for (const pair of pairs) {
    if (Array.isArray(pair)) {
      if (pair.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
      list[list.length] = toUSVString(pair[0]);
      list[list.length] = toUSVString(pair[1]);
      continue;
    }
    if (!isObject(pair) || typeof (pair as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw new TypeError('Each query pair must be an iterable [name, value] tuple');
    }
    let length = 0;
    for (const item of pair as Iterable<unknown>) {
      length++;
      list[list.length] = toUSVString(item);
    }
    if (length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
  }
  return list;
}

function listFromRecord(record: object): string[] {
  const list: string[] = [];
  // Two keys can become the same USVString (lone surrogates): the later value wins, in place.
  const indexByName = new Map<string, number>();
  for (const key of Reflect.ownKeys(record)) {
    const descriptor = Reflect.getOwnPropertyDescriptor(record, key);
    if (descriptor === undefined || !descriptor.enumerable) continue;
    const name = toUSVString(key);
    const value = toUSVString((record as Record<PropertyKey, unknown>)[key]);
    const index = indexByName.get(name);
    if (index !== undefined) list[index] = value;
    else {
      indexByName.set(name, list.length + 1);
      list[list.length] = name;
      list[list.length] = value;
    }
  }
  return list;
}

// ---------------------------------------------------------------------------------------------
// application/x-www-form-urlencoded

/** The urlencoded parser; a leading "?" is skipped (URLSearchParams' string init, URL#search). */
export function parseFormUrlencoded(input: string): string[] {
  const list: string[] = [];
  const length = input.length;
  let start = input.charCodeAt(0) === 0x3f ? 1 : 0;
  let equals = -1;
  for (let i = start; i <= length; i++) {
    const code = i < length ? input.charCodeAt(i) : 0x26;
    if (code === 0x3d && equals === -1) equals = i;
    else if (code === 0x26) {
      if (i > start) {
        list[list.length] = decodeFormComponent(input.slice(start, equals === -1 ? i : equals));
        list[list.length] = equals === -1 ? '' : decodeFormComponent(input.slice(equals + 1, i));
      }
      start = i + 1;
      equals = -1;
    }
  }
  return list;
}

/** "+" to space, then percent-decoding and UTF-8 decoding without BOM, invalid bytes as U+FFFD. */
function decodeFormComponent(text: string): string {
  let decoded = text;
  if (decoded.includes('+')) decoded = decoded.replace(/\+/g, ' ');
  if (!decoded.includes('%')) return decoded;
  try {
    // Equal to the spec's result whenever it succeeds; it throws on anything it cannot decode.
    return decodeComponent(decoded);
  } catch {
    return utf8WithoutBom.decode(percentDecode(encodeUtf8(decoded)));
  }
}

function percentDecode(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const high = byte === 0x25 && i + 2 < bytes.length ? hexValue(bytes[i + 1]!) : -1;
    const low = high === -1 ? -1 : hexValue(bytes[i + 2]!);
    if (low === -1) out[length++] = byte;
    else {
      out[length++] = high * 16 + low;
      i += 2;
    }
  }
  return out.subarray(0, length);
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The urlencoded serializer over a flat name/value list. */
export function serializeFormUrlencoded(list: readonly string[]): string {
  let output = '';
  for (let i = 0; i < list.length; i += 2) {
    if (i > 0) output += '&';
    output += encodeFormComponent(list[i]!) + '=' + encodeFormComponent(list[i + 1]!);
  }
  return output;
}

// Left as they are by the urlencoded serializer; encodeURIComponent also leaves !'()~.
const FORM_SAFE = /^[\w*.-]*$/;
const ENCODE_AFTER_URI_COMPONENT = /%20|[!'()~]/g;

function encodeFormComponent(text: string): string {
  if (FORM_SAFE.test(text)) return text;
  // List strings are USVStrings, so encodeURIComponent cannot throw on a lone surrogate.
  return encodeComponent(text).replace(ENCODE_AFTER_URI_COMPONENT, (match) =>
    match === '%20' ? '+' : `%${match.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Iterators

type IterationKind = 'entries' | 'keys' | 'values';

// Iterators inherit %IteratorPrototype% like built-in ones, so they are iterable themselves.
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

/** The `URLSearchParams Iterator` of WebIDL pair iterables: live, by index into the list. */
class URLSearchParamsIterator {
  readonly #params: URLSearchParams;
  readonly #kind: IterationKind;
  #index = 0;

  constructor(params: URLSearchParams, kind: IterationKind) {
    this.#params = params;
    this.#kind = kind;
  }

  next(): IteratorResult<string | [string, string], undefined> {
    const list = listOf(this.#params);
    const index = this.#index;
    if (index >= list.length) return { value: undefined, done: true };
    this.#index = index + 2;
    const name = list[index]!;
    const value = list[index + 1]!;
    if (this.#kind === 'keys') return { value: name, done: false };
    if (this.#kind === 'values') return { value, done: false };
    return { value: [name, value], done: false };
  }
}
Reflect.deleteProperty(URLSearchParamsIterator.prototype, 'constructor');
Object.setPrototypeOf(URLSearchParamsIterator.prototype, IteratorPrototype);
Object.defineProperty(URLSearchParamsIterator.prototype, 'next', { enumerable: true });
Object.defineProperty(URLSearchParamsIterator.prototype, Symbol.toStringTag, { value: 'URLSearchParams Iterator', configurable: true });
