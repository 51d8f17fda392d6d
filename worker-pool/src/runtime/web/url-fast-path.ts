// The URL fast path: URLs that are already in the form the WHATWG URL parser would serialize
// them to, which is what request URLs and most URLs in code look like. For those, parsing is
// finding where the components start, and the result is what the full parser would give.
// Every condition below is a sufficient condition, deliberately narrower than the standard:
// anything else returns null and goes to the full parser (core-js, url-core-js.ts). The
// conformance tests try inputs on both sides of each condition against Node's URL.

/** A parsed URL: its serialization and components, each as it appears in `href`. */
export class UrlRecord {
  constructor(
    public href: string,
    /** Scheme with its colon, `https:`. */
    public protocol: string,
    public username: string,
    public password: string,
    public hostname: string,
    /** '' for none (or the scheme's default). */
    public port: string,
    public pathname: string,
    /** `?query`, `?` for an empty query, '' for none: exactly as in href (the getter hides a lone `?`). */
    public search: string,
    /** `#fragment`, `#` or '', as `search`. */
    public hash: string,
  ) {}

  get host(): string {
    return this.port === '' ? this.hostname : `${this.hostname}:${this.port}`;
  }
}

const HOST = 1;
const PATH = 2;
const QUERY = 4;
const FRAGMENT = 8;

/** For each ASCII character, the components in which the parser leaves it as it is (a subset). */
const UNCHANGED = new Uint8Array(128);
function mark(characters: string, where: number): void {
  for (let i = 0; i < characters.length; i++) UNCHANGED[characters.charCodeAt(i)]! |= where;
}
// Hosts: only lowercase letters, digits, "-", "_" and "." (UTS #46 maps none of them; an
// uppercase letter would be lowercased). Paths, queries and fragments: unreserved and
// sub-delimiter characters, ":" "@" "/", none of which the percent-encode sets contain. Not
// "'" in a query (the special-query set has it); "?" in a path ends it. "%" is checked apart.
mark('abcdefghijklmnopqrstuvwxyz0123456789-._', HOST | PATH | QUERY | FRAGMENT);
mark('ABCDEFGHIJKLMNOPQRSTUVWXYZ~!$&()*+,;=:@/', PATH | QUERY | FRAGMENT);
mark("'", PATH | FRAGMENT);
mark('?', QUERY | FRAGMENT);

const PERCENT = 0x25;
const DOT = 0x2e;
const SLASH = 0x2f;
const COLON = 0x3a;
const QUESTION = 0x3f;
const HASH = 0x23;

/** Longest host the fast path takes (DNS limits, well inside what the parser accepts). */
const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/**
 * Parses an absolute http, https, ws or wss URL that is already canonical, or returns null.
 * "Canonical" allows one non-canonical detail: a missing path (`http://a.com?x`) becomes "/".
 */
export function parseAbsoluteFast(input: string): UrlRecord | null {
  const first = input.charCodeAt(0);
  if (first === 0x68) {
    // h
    if (input.startsWith('http://')) return parseAfterScheme(input, 'http:', 7, '80');
    if (input.startsWith('https://')) return parseAfterScheme(input, 'https:', 8, '443');
  } else if (first === 0x77) {
    // w
    if (input.startsWith('ws://')) return parseAfterScheme(input, 'ws:', 5, '80');
    if (input.startsWith('wss://')) return parseAfterScheme(input, 'wss:', 6, '443');
  }
  return null;
}

function parseAfterScheme(input: string, protocol: string, hostStart: number, defaultPort: string): UrlRecord | null {
  const length = input.length;
  let hostEnd = hostStart;
  while (hostEnd < length) {
    const code = input.charCodeAt(hostEnd);
    if (code >= 128 || (UNCHANGED[code]! & HOST) === 0) break;
    hostEnd++;
  }
  if (!isCanonicalHost(input, hostStart, hostEnd)) return null;

  let port = '';
  let pathStart = hostEnd;
  if (input.charCodeAt(hostEnd) === COLON) {
    pathStart = hostEnd + 1;
    while (pathStart < length && isDigit(input.charCodeAt(pathStart))) pathStart++;
    port = input.slice(hostEnd + 1, pathStart);
    if (!isCanonicalPort(port, defaultPort)) return null;
  }

  let pathEnd = pathStart;
  const next = input.charCodeAt(pathStart);
  if (next === SLASH) {
    pathEnd = scanPath(input, pathStart + 1);
    if (pathEnd === -1) return null;
  } else if (pathStart < length && next !== QUESTION && next !== HASH) {
    return null; // "@" (credentials), an uppercase letter, "\", a space...
  }
  const queryEnd = input.charCodeAt(pathEnd) === QUESTION ? scanQueryOrFragment(input, pathEnd + 1, QUERY) : pathEnd;
  if (queryEnd === -1) return null;
  const fragmentEnd = input.charCodeAt(queryEnd) === HASH ? scanQueryOrFragment(input, queryEnd + 1, FRAGMENT) : queryEnd;
  if (fragmentEnd !== length) return null;

  const hostname = input.slice(hostStart, hostEnd);
  const search = input.slice(pathEnd, queryEnd);
  const hash = input.slice(queryEnd, length);
  if (pathEnd === pathStart) {
    // No path: the parser's path is "/".
    const href = `${input.slice(0, pathStart)}/${input.slice(pathStart)}`;
    return new UrlRecord(href, protocol, '', '', hostname, port, '/', search, hash);
  }
  return new UrlRecord(input, protocol, '', '', hostname, port, input.slice(pathStart, pathEnd), search, hash);
}

/**
 * Resolves a relative reference against a parsed base when the result is cheap and certain:
 * `/path`, `//host/path`, `?query`, `#fragment`, `` and `segment/...` against an http(s)/ws(s)
 * base. Returns null for anything else (other schemes, dot segments, a colon that could make
 * the input a scheme, characters the parser would change).
 */
export function resolveRelativeFast(input: string, base: UrlRecord): UrlRecord | null {
  const protocol = base.protocol;
  if (protocol !== 'http:' && protocol !== 'https:' && protocol !== 'ws:' && protocol !== 'wss:') return null;
  const length = input.length;
  const first = input.charCodeAt(0);
  const baseHref = base.href;
  const withoutHash = baseHref.length - base.hash.length;

  const prefixLength = withoutHash - base.search.length - base.pathname.length;
  if (length === 0 || first === HASH) {
    if (length > 0 && scanQueryOrFragment(input, 1, FRAGMENT) !== length) return null;
    // The standard keeps the base's query; Node 20 (Ada) drops it when it is empty ("?"), and
    // we follow Node, which the conformance tests compare against.
    const search = base.search === '?' ? '' : base.search;
    const href = baseHref.slice(0, prefixLength) + base.pathname + search + input;
    return new UrlRecord(href, protocol, base.username, base.password, base.hostname, base.port, base.pathname, search, input);
  }
  if (first === QUESTION) {
    const queryEnd = scanQueryOrFragment(input, 1, QUERY);
    const end = queryEnd !== -1 && input.charCodeAt(queryEnd) === HASH ? scanQueryOrFragment(input, queryEnd + 1, FRAGMENT) : queryEnd;
    if (end !== length) return null;
    const href = baseHref.slice(0, prefixLength) + base.pathname + input;
    return new UrlRecord(href, protocol, base.username, base.password, base.hostname, base.port, base.pathname, input.slice(0, queryEnd), input.slice(queryEnd));
  }
  if (first === SLASH && input.charCodeAt(1) === SLASH) return parseAbsoluteFast(protocol + input);

  // A path: absolute ("/a") or relative to the base's directory ("a/b"), then query and fragment.
  let directory = '';
  if (first !== SLASH) {
    // "a:b" is a URL with scheme "a"; "http:b" is relative to an http base: the full parser decides.
    for (let i = 0; i < length; i++) {
      const code = input.charCodeAt(i);
      if (code === COLON) return null;
      if (code === SLASH || code === QUESTION || code === HASH) break;
    }
    directory = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  }
  const pathEnd = scanPath(input, first === SLASH ? 1 : 0);
  if (pathEnd === -1) return null;
  const queryEnd = input.charCodeAt(pathEnd) === QUESTION ? scanQueryOrFragment(input, pathEnd + 1, QUERY) : pathEnd;
  if (queryEnd === -1) return null;
  const fragmentEnd = input.charCodeAt(queryEnd) === HASH ? scanQueryOrFragment(input, queryEnd + 1, FRAGMENT) : queryEnd;
  if (fragmentEnd !== length) return null;
  const pathname = directory + input.slice(0, pathEnd);
  const href = baseHref.slice(0, prefixLength) + directory + input;
  return new UrlRecord(href, protocol, base.username, base.password, base.hostname, base.port, pathname, input.slice(pathEnd, queryEnd), input.slice(queryEnd));
}

/**
 * A setter's result when it is certain without the full parser: the URL with the new
 * component is parsed again by the fast path, and kept only if that component came out
 * exactly as given (nothing encoded, resolved, ignored or cut off) and the others did not
 * change. For pathname, search, hash, host and hostname; null for anything else.
 */
export function applySetterFast(record: UrlRecord, setter: string, value: string): UrlRecord | null {
  const { href, pathname, search, hash, port } = record;
  switch (setter) {
    case 'pathname': {
      if (value.charCodeAt(0) !== SLASH) return null;
      const prefix = href.slice(0, href.length - hash.length - search.length - pathname.length);
      const parsed = parseAbsoluteFast(prefix + value + search + hash);
      return parsed !== null && parsed.pathname === value ? parsed : null;
    }
    case 'search': {
      // The setter drops one leading "?"; an empty value removes the query.
      const query = value === '' || value.charCodeAt(0) === QUESTION ? value : `?${value}`;
      const parsed = parseAbsoluteFast(href.slice(0, href.length - hash.length - search.length) + query + hash);
      return parsed !== null && parsed.search === query ? parsed : null;
    }
    case 'hash': {
      const fragment = value === '' || value.charCodeAt(0) === HASH ? value : `#${value}`;
      const parsed = parseAbsoluteFast(href.slice(0, href.length - hash.length) + fragment);
      return parsed !== null && parsed.hash === fragment ? parsed : null;
    }
    case 'host':
    case 'hostname': {
      if (record.username !== '' || record.password !== '') return null;
      // A host without a port keeps the URL's port; hostname never sets one.
      const newPort = setter === 'host' && value.includes(':');
      const authority = newPort || port === '' ? value : `${value}:${port}`;
      const parsed = parseAbsoluteFast(record.protocol + '//' + authority + pathname + search + hash);
      if (parsed === null || parsed.pathname !== pathname) return null;
      return (newPort ? parsed.host === value : parsed.hostname === value && parsed.port === port) ? parsed : null;
    }
    default:
      return null;
  }
}

/**
 * A host the host parser returns unchanged: lowercase ASCII labels that no IDNA processing
 * touches (no "xn--" or other "??--" label, no leading or trailing "-", none empty), whose last
 * label is not numeric (which would make it an IPv4 address), or else a canonical dotted-decimal
 * IPv4 address.
 */
function isCanonicalHost(input: string, start: number, end: number): boolean {
  if (end === start || end - start > MAX_HOST_LENGTH) return false;
  let labels = 0;
  let digitLabels = 0;
  let labelStart = start;
  let allDigits = true;
  for (let i = start; i <= end; i++) {
    const code = i < end ? input.charCodeAt(i) : DOT;
    if (code !== DOT) {
      if (!isDigit(code)) allDigits = false;
      continue;
    }
    const labelLength = i - labelStart;
    if (labelLength === 0 || labelLength > MAX_LABEL_LENGTH) return false;
    if (input.charCodeAt(labelStart) === 0x2d || input.charCodeAt(i - 1) === 0x2d) return false;
    if (labelLength >= 4 && input.charCodeAt(labelStart + 2) === 0x2d && input.charCodeAt(labelStart + 3) === 0x2d) return false;
    labels++;
    if (allDigits) {
      // Dotted-decimal parts: 0-255 without leading zeros.
      if (labelLength > 3 || (labelLength > 1 && input.charCodeAt(labelStart) === 0x30)) return false;
      if (Number(input.slice(labelStart, i)) > 255) return false;
      digitLabels++;
    }
    if (i === end) {
      // The last label decides whether the host is an IPv4 address ("ends in a number").
      if (allDigits) return labels === 4 && digitLabels === 4;
      if (input.charCodeAt(labelStart) === 0x30 && input.charCodeAt(labelStart + 1) === 0x78) return false; // 0x...
    }
    labelStart = i + 1;
    allDigits = true;
  }
  return true;
}

/** 1-5 digits without leading zeros, at most 65535, and not the scheme's default port. */
function isCanonicalPort(port: string, defaultPort: string): boolean {
  if (port.length === 0 || port.length > 5 || port === defaultPort) return false;
  if (port.length > 1 && port.charCodeAt(0) === 0x30) return false;
  return Number(port) <= 65535;
}

/**
 * Scans path segments from `start` (just after a "/", or the start of a relative path) to the
 * first "?" or "#" or the end. Returns that index, or -1 if a character could change or a
 * segment is a dot segment ("." or "..", also as %2e).
 */
function scanPath(input: string, start: number): number {
  const length = input.length;
  let segmentStart = start;
  for (let i = start; ; i++) {
    const code = i < length ? input.charCodeAt(i) : -1;
    if (code === SLASH || code === QUESTION || code === HASH || code === -1) {
      if (isDotSegment(input, segmentStart, i)) return -1;
      if (code !== SLASH) return i;
      segmentStart = i + 1;
    } else if (code === PERCENT) {
      if (!isHexDigit(input.charCodeAt(i + 1)) || !isHexDigit(input.charCodeAt(i + 2))) return -1;
      i += 2;
    } else if (code >= 128 || (UNCHANGED[code]! & PATH) === 0) {
      return -1;
    }
  }
}

/** Scans a query (to "#" or the end) or a fragment (to the end); -1 if a character could change. */
function scanQueryOrFragment(input: string, start: number, component: typeof QUERY | typeof FRAGMENT): number {
  const length = input.length;
  for (let i = start; i < length; i++) {
    const code = input.charCodeAt(i);
    if (code === PERCENT) {
      if (!isHexDigit(input.charCodeAt(i + 1)) || !isHexDigit(input.charCodeAt(i + 2))) return -1;
      i += 2;
    } else if (code >= 128 || (UNCHANGED[code]! & component) === 0) {
      return code === HASH && component === QUERY ? i : -1;
    }
  }
  return length;
}

/** ".", "..", and the same with any dot written as %2e or %2E. */
function isDotSegment(input: string, start: number, end: number): boolean {
  switch (end - start) {
    case 1:
      return input.charCodeAt(start) === DOT;
    case 2:
      return input.charCodeAt(start) === DOT && input.charCodeAt(start + 1) === DOT;
    case 3:
      return isEncodedDot(input, start);
    case 4:
      return (input.charCodeAt(start) === DOT && isEncodedDot(input, start + 1)) || (isEncodedDot(input, start) && input.charCodeAt(start + 3) === DOT);
    case 6:
      return isEncodedDot(input, start) && isEncodedDot(input, start + 3);
    default:
      return false;
  }
}

function isEncodedDot(input: string, at: number): boolean {
  return input.charCodeAt(at) === PERCENT && input.charCodeAt(at + 1) === 0x32 && (input.charCodeAt(at + 2) | 0x20) === 0x65;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isHexDigit(code: number): boolean {
  const lower = code | 0x20;
  return (code >= 0x30 && code <= 0x39) || (lower >= 0x61 && lower <= 0x66);
}
