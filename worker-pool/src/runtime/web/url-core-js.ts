// The full WHATWG URL parser, for every input the fast path (url-fast-path.ts) does not take
// and for the URL setters: core-js's (~50 KB minified; whatwg-url would be ~490 KB). Its
// records are copied into our URL, so core-js objects never reach user code.
//
// core-js is loaded on first use. Running its URL modules costs ~4.7 ms, which every pool
// isolate would otherwise pay at load although most functions only ever parse URLs the fast
// path takes. A `require()` call (not an import) is what makes esbuild keep a CommonJS module
// in a closure that runs on its first call. scripts/build-runtime.mjs gives core-js a private
// global object, so it installs its URL there: never on the real global, where it would
// replace ours.
//
// Known differences from Node 20, all on this path (the fast path only takes inputs where
// both agree): core-js gives hosts lowercasing and punycode but not the full UTS #46 mapping
// ("Ⅷ.com" is not mapped to "viii.com") and accepts invalid punycode ("xn--a.com"). Where
// Node 20's parser (Ada) departs from the standard or predates a change in it, core-js
// follows the standard: "^" in a path is percent-encoded, a space before "?" or "#" in an opaque path becomes %20, a
// non-special path ending in ".." keeps its "/", "/b/.a/.." is resolved to "/b/", a relative
// reference other than "#..." against an opaque-path base fails, and file: URLs differ in
// corner cases. A slow-path parse that runs after user code has patched built-in prototypes
// (String.prototype.slice...) sees the patches, as core-js captures them when it loads.
import { UrlRecord } from './url-fast-path.js';

/** The URL members with a setter, all of which core-js applies for us. */
export type UrlSetter = 'protocol' | 'username' | 'password' | 'host' | 'hostname' | 'port' | 'pathname' | 'search' | 'hash';

/** core-js's URL, as far as we use it. */
type CoreJsUrl = Record<UrlSetter | 'href', string>;
type CoreJsUrlConstructor = new (url: string, base?: string) => CoreJsUrl;

// Only the bundler sees this require (see above); there is no CommonJS loader in the isolate.
declare const require: (specifier: string) => unknown;

let coreJsUrl: CoreJsUrlConstructor | undefined;

function loadCoreJsUrl(): CoreJsUrlConstructor {
  coreJsUrl = require('core-js/web/url.js') as CoreJsUrlConstructor;
  return coreJsUrl;
}

/** Parses with the full parser; null where the standard says failure. */
export function parseSlow(input: string, base: string | undefined): UrlRecord | null {
  const CoreJsUrl = coreJsUrl ?? loadCoreJsUrl();
  let url: CoreJsUrl;
  try {
    url = base === undefined ? new CoreJsUrl(input) : new CoreJsUrl(input, base);
  } catch {
    return null;
  }
  return recordOf(url);
}

/** Applies a setter to a copy of `href` with the full parser (which ignores invalid values, as the standard says). */
export function applySetter(href: string, setter: UrlSetter, value: string): UrlRecord {
  const CoreJsUrl = coreJsUrl ?? loadCoreJsUrl();
  const url = new CoreJsUrl(href);
  url[setter] = value;
  return recordOf(url);
}

function recordOf(url: CoreJsUrl): UrlRecord {
  const href = url.href;
  // The getters show an empty query or fragment as '', but href keeps its "?" or "#".
  const hash = url.hash !== '' ? url.hash : href.endsWith('#') ? '#' : '';
  const beforeHash = href.length - hash.length;
  const search = url.search !== '' ? url.search : href.charCodeAt(beforeHash - 1) === 0x3f ? '?' : '';
  return new UrlRecord(href, url.protocol, url.username, url.password, url.hostname, url.port, url.pathname, search, hash);
}
