// WHATWG Fetch `Headers`. Names are stored lowercased (HTTP field names are case-insensitive
// and iteration is specified lowercase); iteration is sorted with repeated values combined by
// ", " except `set-cookie`, whose values cannot be combined and stay separate.
import { HTTP_TOKEN, isObject, toByteString } from './webidl.js';
import { append, jsonStringify } from '../primordials.js';

/** What the host-facing code calls a header list: [lowercase name, value] pairs. */
export type HeaderEntry = [name: string, value: string];

/**
 * `immutable` is used for incoming requests (as in Cloudflare Workers), Response.error() and
 * Response.redirect(); `none` is everything a user constructs.
 */
export type HeadersGuard = 'none' | 'immutable';

type IterationKind = 'entries' | 'keys' | 'values';

// Leading/trailing HTTP whitespace is stripped from values; NUL, CR and LF are forbidden inside.
const HTTP_WHITESPACE_EDGES = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const FORBIDDEN_VALUE_CHARACTERS = /[\0\r\n]/;

function normalizeName(name: unknown): string {
  const text = toByteString(name, 'Header name');
  if (!HTTP_TOKEN.test(text)) throw new TypeError(`Invalid header name: ${jsonStringify(text)}`);
  return text.toLowerCase();
}

function normalizeValue(value: unknown): string {
  const text = toByteString(value, 'Header value').replace(HTTP_WHITESPACE_EDGES, '');
  if (FORBIDDEN_VALUE_CHARACTERS.test(text)) throw new TypeError(`Invalid header value: ${jsonStringify(text)}`);
  return text;
}

/** Internal accessors, assigned in Headers' static block so the private state stays private. */
export let headersGuardOf: (headers: Headers) => HeadersGuard;
export let setHeadersGuard: (headers: Headers, guard: HeadersGuard) => void;
/** The iteration list: sorted, lowercase, combined except set-cookie. Do not mutate it. */
export let sortedHeaderEntries: (headers: Headers) => readonly HeaderEntry[];

/** WHATWG Fetch Headers. */
export class Headers {
  #list: HeaderEntry[] = [];
  #guard: HeadersGuard = 'none';
  // Iteration re-reads the sorted list at every step (WebIDL), so cache it until a mutation.
  #sorted: HeaderEntry[] | null = null;

  static {
    headersGuardOf = (headers) => headers.#guard;
    setHeadersGuard = (headers, guard) => {
      headers.#guard = guard;
    };
    sortedHeaderEntries = (headers) => headers.#sortAndCombine();
    // WebIDL: the default iterator *is* entries().
    Object.defineProperty(this.prototype, Symbol.iterator, {
      value: this.prototype.entries,
      writable: true,
      configurable: true,
    });
  }

  declare [Symbol.iterator]: () => HeadersIterator;

  constructor(init?: unknown) {
    if (init === undefined) return;
    if (!isObject(init)) throw new TypeError('Headers init must be an object, an iterable of pairs or a Headers');
    if (init instanceof Headers) {
      for (const [name, value] of init.#list) append(this.#list, [name, value]);
      return;
    }
    const iterator = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (iterator !== undefined && iterator !== null) {
      if (typeof iterator !== 'function') throw new TypeError('Headers init has a non-callable Symbol.iterator');
      for (const pair of init as Iterable<unknown>) {
        if (!isObject(pair) || typeof (pair as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
          throw new TypeError('Each Headers init entry must be a [name, value] pair');
        }
        const items = Array.from(pair as Iterable<unknown>);
        if (items.length !== 2) throw new TypeError(`A Headers init pair must have exactly 2 items, got ${items.length}`);
        this.append(items[0], items[1]);
      }
      return;
    }
    for (const key of Reflect.ownKeys(init)) {
      const descriptor = Reflect.getOwnPropertyDescriptor(init, key);
      if (descriptor === undefined || !descriptor.enumerable) continue;
      if (typeof key === 'symbol') throw new TypeError('Headers init record keys must be strings');
      this.append(key, (init as Record<string, unknown>)[key]);
    }
  }

  append(name: unknown, value: unknown): void {
    const entry: HeaderEntry = [normalizeName(name), normalizeValue(value)];
    this.#assertMutable();
    append(this.#list, entry);
    this.#sorted = null;
  }

  delete(name: unknown): void {
    const key = normalizeName(name);
    this.#assertMutable();
    this.#list = this.#list.filter(([entryName]) => entryName !== key);
    this.#sorted = null;
  }

  get(name: unknown): string | null {
    const key = normalizeName(name);
    const values = this.#list.filter(([entryName]) => entryName === key).map(([, value]) => value);
    return values.length === 0 ? null : values.join(', ');
  }

  getSetCookie(): string[] {
    return this.#list.filter(([name]) => name === 'set-cookie').map(([, value]) => value);
  }

  has(name: unknown): boolean {
    const key = normalizeName(name);
    return this.#list.some(([entryName]) => entryName === key);
  }

  set(name: unknown, value: unknown): void {
    const entry: HeaderEntry = [normalizeName(name), normalizeValue(value)];
    this.#assertMutable();
    // The first occurrence keeps its position and takes the value; later ones are removed.
    const first = this.#list.findIndex(([entryName]) => entryName === entry[0]);
    if (first === -1) append(this.#list, entry);
    else this.#list = this.#list.flatMap((current, index) => (index === first ? [entry] : current[0] === entry[0] ? [] : [current]));
    this.#sorted = null;
  }

  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError('Headers#forEach callback must be a function');
    // WebIDL re-reads the list after every call, so a callback that mutates sees the change.
    for (let index = 0; index < this.#sortAndCombine().length; index++) {
      const [name, value] = this.#sortAndCombine()[index]!;
      callback.call(thisArg, value, name, this);
    }
  }

  entries(): HeadersIterator {
    return new HeadersIterator(this, 'entries');
  }

  keys(): HeadersIterator {
    return new HeadersIterator(this, 'keys');
  }

  values(): HeadersIterator {
    return new HeadersIterator(this, 'values');
  }

  #assertMutable(): void {
    if (this.#guard === 'immutable') throw new TypeError('Headers are immutable and cannot be modified');
  }

  #sortAndCombine(): HeaderEntry[] {
    if (this.#sorted !== null) return this.#sorted;
    const valuesByName = new Map<string, string[]>();
    for (const [name, value] of this.#list) {
      const values = valuesByName.get(name);
      if (values === undefined) valuesByName.set(name, [value]);
      else append(values, value);
    }
    const sorted: HeaderEntry[] = [];
    for (const name of [...valuesByName.keys()].sort()) {
      const values = valuesByName.get(name)!;
      if (name === 'set-cookie') for (const value of values) append(sorted, [name, value]);
      else append(sorted, [name, values.join(', ')]);
    }
    this.#sorted = sorted;
    return sorted;
  }
}

/** A copy that keeps the guard, as Request#clone() and Response#clone() do in the spec. */
export function cloneHeaders(source: Headers): Headers {
  const copy = new Headers(source);
  setHeadersGuard(copy, headersGuardOf(source));
  return copy;
}

// Iterators inherit %IteratorPrototype% like built-in ones, so they are iterable themselves.
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as object;

/** The `Headers Iterator` of WebIDL pair iterables. */
class HeadersIterator {
  readonly #headers: Headers;
  readonly #kind: IterationKind;
  #index = 0;

  constructor(headers: Headers, kind: IterationKind) {
    this.#headers = headers;
    this.#kind = kind;
  }

  next(): IteratorResult<string | HeaderEntry, undefined> {
    const pairs = sortedHeaderEntries(this.#headers);
    const pair = pairs[this.#index];
    if (pair === undefined) return { value: undefined, done: true };
    this.#index++;
    if (this.#kind === 'keys') return { value: pair[0], done: false };
    if (this.#kind === 'values') return { value: pair[1], done: false };
    return { value: [pair[0], pair[1]], done: false };
  }
}
Object.setPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
Object.defineProperty(HeadersIterator.prototype, Symbol.toStringTag, { value: 'Headers Iterator', configurable: true });
