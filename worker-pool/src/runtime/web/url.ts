// URL and URLSearchParams come from core-js (~50 KB minified; whatwg-url would be ~490 KB).
// The `web/` entry points are the narrowest that include the newer members Node 20 has too
// (URL.canParse, URLSearchParams#size, has/delete with a value).
//
// This module must be imported before any module that defines Headers/Request/Response
// globals: core-js wraps an existing global `Request`/`fetch` to accept its polyfilled
// URLSearchParams, and we want it to find none (our Request handles URLSearchParams itself).
//
// Known differences from Node (core-js limitations): hosts get lowercasing and punycode but not
// the full UTS #46 mapping (e.g. "Ⅷ.com" is not mapped to "viii.com"), and invalid punycode
// labels such as "xn--a.com" are accepted instead of rejected.
import 'core-js/web/url.js';
import 'core-js/web/url-search-params.js';
import { jsonStringify } from '../primordials.js';

/** The parts of URL the runtime itself uses. */
export interface RuntimeURL {
  readonly href: string;
  readonly username: string;
  readonly password: string;
}

/** The parts of URLSearchParams the runtime itself uses. */
export interface RuntimeURLSearchParams {
  toString(): string;
}

interface UrlGlobals {
  URL: new (url: string, base?: string) => RuntimeURL;
  URLSearchParams: new (init?: unknown) => RuntimeURLSearchParams;
}

const globals = globalThis as unknown as UrlGlobals;

// Captured now so that user code replacing the globals cannot change how the runtime parses.
export const URL = globals.URL;
export const URLSearchParams = globals.URLSearchParams;

/** Parses an absolute URL, throwing a TypeError that names the input (as Node does). */
export function parseAbsoluteUrl(input: string, what: string): RuntimeURL {
  try {
    return new URL(input);
  } catch {
    throw new TypeError(`${what}: invalid URL ${jsonStringify(input)} (it must be absolute)`);
  }
}
