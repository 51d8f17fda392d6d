// WHATWG URL. Parsing has two paths: URLs already in canonical form (request URLs, most URLs
// in code) and common relative references take a fast path (url-fast-path.ts, ~1 µs); every
// other input, and the setters, go through the full parser (core-js, url-core-js.ts, loaded on
// first use), whose result is copied in. Members, argument handling and errors follow Node's
// URL (lib/internal/url.js), which the conformance tests compare against.
import { jsonStringify } from '../primordials.js';
import { applySetter, parseSlow, type UrlSetter } from './url-core-js.js';
import { applySetterFast, parseAbsoluteFast, resolveRelativeFast, type UrlRecord } from './url-fast-path.js';
import { URLSearchParams, createLinkedSearchParams, resetSearchParams } from './url-search-params.js';

export { URLSearchParams };
export type { UrlRecord };

/** Parses `input` against an optional base; null where the standard says failure. */
function parseRecord(input: string, base: string | undefined): UrlRecord | null {
  if (base === undefined) return parseAbsoluteFast(input) ?? parseSlow(input, undefined);
  const baseRecord = parseAbsoluteFast(base) ?? parseSlow(base, undefined);
  if (baseRecord === null) return null;
  const record = parseAbsoluteFast(input) ?? resolveRelativeFast(input, baseRecord);
  if (record !== null) return record;
  const slow = parseSlow(input, base);
  return slow !== null && baseRecord.search === '?' && slow.search === '?' ? withoutCopiedEmptyQuery(slow, input, baseRecord.protocol) : slow;
}

const C0_OR_SPACE_EDGES = /^[\0- ]+|[\0- ]+$/g;
const TAB_OR_NEWLINE = /[\t\n\r]/g;

const SPECIAL_SCHEMES = ['http:', 'https:', 'ws:', 'wss:', 'ftp:', 'file:'];

/**
 * Node 20 (Ada) drops a base URL's empty query ("?") where a reference copies it (a reference
 * that is empty or only a fragment, possibly after the base's special scheme); the standard
 * keeps it. We follow Node, which the conformance tests compare against. (url-fast-path.ts
 * does the same for the inputs it takes.)
 */
function withoutCopiedEmptyQuery(record: UrlRecord, input: string, baseProtocol: string): UrlRecord {
  let reference = input.replace(C0_OR_SPACE_EDGES, '').replace(TAB_OR_NEWLINE, '');
  if (SPECIAL_SCHEMES.includes(baseProtocol) && reference.slice(0, baseProtocol.length).toLowerCase() === baseProtocol) {
    reference = reference.slice(baseProtocol.length);
  }
  if (reference !== '' && reference.charCodeAt(0) !== 0x23) return record;
  record.href = record.href.slice(0, record.href.length - record.hash.length - 1) + record.hash;
  record.search = '';
  return record;
}

/** Node's ERR_INVALID_URL: a TypeError with `code`, `input` and (if given) `base`. */
function invalidUrl(input: string, base: string | undefined): TypeError {
  const error = new TypeError('Invalid URL') as TypeError & { code: string; input: string; base?: string };
  error.code = 'ERR_INVALID_URL';
  error.input = input;
  if (base !== undefined) error.base = base;
  return error;
}

function requireUrlArgument(given: number): void {
  if (given === 0) throw new TypeError('The "url" argument must be specified');
}

/** Passed by URL.parse() to build a URL from a record it has already parsed. */
const fromRecord = Symbol('fromRecord');

/** Whether the URL's path is opaque (`mailto:x`, `data:...`): no "/" right after the scheme. */
function hasOpaquePath(record: UrlRecord): boolean {
  return record.href.charCodeAt(record.protocol.length) !== 0x2f;
}

/** WHATWG URL. */
export class URL {
  #record: UrlRecord;
  #searchParams: URLSearchParams | undefined;

  // `base = undefined` keeps URL.length at 1, as WebIDL (and Node) have it.
  constructor(url: unknown, base: unknown = undefined, internal: unknown = undefined) {
    if (internal === fromRecord) {
      this.#record = url as UrlRecord;
      return;
    }
    requireUrlArgument(arguments.length);
    const input = `${url}`;
    const baseText = base === undefined ? undefined : `${base}`;
    const record = parseRecord(input, baseText);
    if (record === null) throw invalidUrl(input, baseText);
    this.#record = record;
  }

  static parse(url: unknown, base: unknown = undefined): URL | null {
    requireUrlArgument(arguments.length);
    const input = `${url}`;
    const record = parseRecord(input, base === undefined ? undefined : `${base}`);
    return record === null ? null : new URL(record, undefined, fromRecord);
  }

  static canParse(url: unknown, base: unknown = undefined): boolean {
    requireUrlArgument(arguments.length);
    const input = `${url}`;
    return parseRecord(input, base === undefined ? undefined : `${base}`) !== null;
  }

  toString(): string {
    return this.#record.href;
  }

  get href(): string {
    return this.#record.href;
  }

  set href(value: unknown) {
    const input = `${value}`;
    const record = parseRecord(input, undefined);
    if (record === null) throw invalidUrl(input, undefined);
    this.#replace(record);
  }

  get origin(): string {
    const record = this.#record;
    switch (record.protocol) {
      case 'http:':
      case 'https:':
      case 'ws:':
      case 'wss:':
      case 'ftp:':
        return `${record.protocol}//${this.host}`;
      case 'blob:': {
        // The origin of the URL in the path, if that is an http(s) URL (as Node has it).
        const inner = record.pathname === '' ? null : parseRecord(record.pathname, undefined);
        return inner !== null && (inner.protocol === 'http:' || inner.protocol === 'https:')
          ? `${inner.protocol}//${inner.host}`
          : 'null';
      }
      default:
        return 'null';
    }
  }

  get protocol(): string {
    return this.#record.protocol;
  }

  set protocol(value: unknown) {
    this.#set('protocol', value);
  }

  get username(): string {
    return this.#record.username;
  }

  set username(value: unknown) {
    this.#set('username', value);
  }

  get password(): string {
    return this.#record.password;
  }

  set password(value: unknown) {
    this.#set('password', value);
  }

  get host(): string {
    return this.#record.host;
  }

  set host(value: unknown) {
    this.#set('host', value);
  }

  get hostname(): string {
    return this.#record.hostname;
  }

  set hostname(value: unknown) {
    this.#set('hostname', value);
  }

  get port(): string {
    return this.#record.port;
  }

  set port(value: unknown) {
    this.#set('port', value);
  }

  get pathname(): string {
    return this.#record.pathname;
  }

  set pathname(value: unknown) {
    this.#set('pathname', value);
  }

  get search(): string {
    const search = this.#record.search;
    return search.length > 1 ? search : '';
  }

  set search(value: unknown) {
    this.#set('search', value);
  }

  get searchParams(): URLSearchParams {
    // Created on first use: most URLs never need theirs.
    this.#searchParams ??= createLinkedSearchParams(this.#record.search, (serialized) => this.#setQueryFromSearchParams(serialized));
    return this.#searchParams;
  }

  get hash(): string {
    const hash = this.#record.hash;
    return hash.length > 1 ? hash : '';
  }

  set hash(value: unknown) {
    this.#set('hash', value);
  }

  toJSON(): string {
    return this.#record.href;
  }

  #set(setter: UrlSetter, value: unknown): void {
    const text = `${value}`;
    this.#replace(applySetterFast(this.#record, setter, text) ?? applySetter(this.#record.href, setter, text));
  }

  /** A new record from a setter; the search params follow a changed query. */
  #replace(record: UrlRecord): void {
    const previousSearch = this.#record.search;
    this.#record = record;
    if (this.#searchParams !== undefined && record.search !== previousSearch) resetSearchParams(this.#searchParams, record.search);
  }

  /** The URL side of URLSearchParams' update steps. */
  #setQueryFromSearchParams(serialized: string): void {
    const record = this.#record;
    const search = serialized === '' ? '' : `?${serialized}`;
    const beforeSearch = record.href.length - record.hash.length - record.search.length;
    let href = record.href.slice(0, beforeSearch) + search + record.hash;
    if (search === '' && record.hash === '' && hasOpaquePath(record)) {
      // The standard strips trailing spaces from an opaque path left at the end of the URL.
      const pathname = record.pathname.replace(/ +$/, '');
      href = href.slice(0, href.length - (record.pathname.length - pathname.length));
      record.pathname = pathname;
    }
    record.href = href;
    record.search = search;
  }
}

// WebIDL attributes and operations are enumerable (as in Node), static ones too.
for (const key of Reflect.ownKeys(URL.prototype)) {
  if (key !== 'constructor') Object.defineProperty(URL.prototype, key, { enumerable: true });
}
Object.defineProperty(URL, 'parse', { enumerable: true });
Object.defineProperty(URL, 'canParse', { enumerable: true });

/**
 * Parses an absolute URL for the runtime's own use (request URLs, redirects), throwing a
 * TypeError that names the input. Returns the record, which user code cannot reach or patch.
 */
export function parseAbsoluteUrl(input: string, what: string): UrlRecord {
  const record = parseRecord(input, undefined);
  if (record === null) throw new TypeError(`${what}: invalid URL ${jsonStringify(input)} (it must be absolute)`);
  return record;
}
