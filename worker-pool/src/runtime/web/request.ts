// WHATWG Fetch `Request` for a server runtime: no mode/credentials/cache semantics (as in
// Cloudflare Workers). A ReadableStream body needs no `duplex: 'half'` (Workers does not ask for
// it; Node and browsers do), but a given `duplex` must be 'half'. `signal` follows the signal
// given in init (or the input Request's); it is made on first access, which is equivalent.
import { followSignal, isAbortSignal, type AbortSignal } from './abort.js';
import { Body, isBodyUnusable, bodySourceOf, cloneBodySource, extractBody, takeBodySource, type BodySource } from './body.js';
import { cloneHeaders, Headers } from './headers.js';
import { parseAbsoluteUrl } from './url.js';
import { HTTP_TOKEN, toByteString, toDictionary, toUSVString } from './webidl.js';
import { jsonStringify } from '../primordials.js';

type RedirectMode = 'follow' | 'error' | 'manual';

/** Everything a Request holds; also the argument of the internal construction path. */
export interface RequestState {
  url: string;
  method: string;
  headers: Headers;
  redirect: RedirectMode;
  body: BodySource | null;
  /** The signal this request's `signal` follows, if any. */
  followedSignal: AbortSignal | null;
}

const NORMALIZED_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];
const FORBIDDEN_METHODS = ['CONNECT', 'TRACE', 'TRACK'];
const REDIRECT_MODES: readonly string[] = ['follow', 'error', 'manual'] satisfies RedirectMode[];

// Lets clone() and the dispatcher build a Request from ready state without the init
// algorithm; not reachable from user code because the symbol is never exposed.
const FROM_STATE = Symbol('Request.fromState');

/** Validates and normalizes an HTTP method as the Request constructor does. */
export function normalizeMethod(value: unknown): string {
  const method = toByteString(value, 'Request method');
  if (!HTTP_TOKEN.test(method)) throw new TypeError(`${jsonStringify(method)} is not a valid HTTP method`);
  const upper = method.toUpperCase();
  if (FORBIDDEN_METHODS.includes(upper)) throw new TypeError(`HTTP method ${upper} is not allowed`);
  // Only these are uppercased; "patch" stays "patch", as the Fetch spec says.
  return NORMALIZED_METHODS.includes(upper) ? upper : method;
}

/** The Fetch spec's Request constructor steps, reduced to what a server runtime has. */
function initialRequestState(input: unknown, initArgument: unknown): RequestState {
  const init = toDictionary(initArgument, 'Request init');
  let state: RequestState;
  if (input instanceof Request) {
    state = {
      url: input.url,
      method: input.method,
      headers: input.headers,
      redirect: input.redirect as RedirectMode,
      body: null,
      followedSignal: followedSignalOf(input),
    };
  } else {
    const url = parseAbsoluteUrl(toUSVString(input), 'Request');
    if (url.username !== '' || url.password !== '') {
      throw new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url.href}`);
    }
    state = { url: url.href, method: 'GET', headers: new Headers(), redirect: 'follow', body: null, followedSignal: null };
  }

  if (init['method'] !== undefined) state.method = normalizeMethod(init['method']);
  if (init['redirect'] !== undefined) {
    const redirect = String(init['redirect']);
    if (!REDIRECT_MODES.includes(redirect)) throw new TypeError(`Request redirect must be one of ${REDIRECT_MODES.join(', ')}`);
    state.redirect = redirect as RedirectMode;
  }
  if (init['signal'] !== undefined) {
    const signal = init['signal'];
    if (signal !== null && !isAbortSignal(signal)) throw new TypeError('Request signal must be an AbortSignal');
    state.followedSignal = signal;
  }
  if (init['duplex'] !== undefined && String(init['duplex']) !== 'half') throw new TypeError("Request duplex must be 'half'");
  state.headers = new Headers(init['headers'] !== undefined ? init['headers'] : state.headers);

  const initBody = extractBody(init['body']);
  const inputBody = input instanceof Request ? bodySourceOf(input) : null;
  if ((initBody !== null || inputBody !== null) && (state.method === 'GET' || state.method === 'HEAD')) {
    throw new TypeError(`Request with ${state.method} method cannot have a body`);
  }
  if (initBody !== null) {
    if (initBody.contentType !== null && !state.headers.has('content-type')) {
      state.headers.append('content-type', initBody.contentType);
    }
    state.body = initBody.source;
  } else if (input instanceof Request && inputBody !== null) {
    // The new request takes over the input's body: the input becomes used, as in the spec.
    if (isBodyUnusable(input)) {
      throw new TypeError('Cannot construct a Request from a Request whose body has been used');
    }
    state.body = takeBodySource(input);
  }
  return state;
}

/** Builds a Request from ready state (the dispatcher's incoming request), skipping validation. */
export let requestFromState: (state: RequestState) => Request;
let followedSignalOf: (request: Request) => AbortSignal | null;

/** WHATWG Fetch Request. */
export class Request extends Body {
  readonly #url: string;
  readonly #method: string;
  readonly #headers: Headers;
  readonly #redirect: RedirectMode;
  readonly #followedSignal: AbortSignal | null;
  #signal: AbortSignal | null = null;

  static {
    requestFromState = (state) => new Request(FROM_STATE, state);
    followedSignalOf = (request) => request.#followedSignal;
  }

  constructor(input: unknown, init?: unknown) {
    // `arguments.length` check as WebIDL requires: `new Request()` is a TypeError.
    if (arguments.length === 0) throw new TypeError('Request constructor: 1 argument required, but only 0 present');
    const state = input === FROM_STATE ? (init as RequestState) : initialRequestState(input, init);
    super(state.body);
    this.#url = state.url;
    this.#method = state.method;
    this.#headers = state.headers;
    this.#redirect = state.redirect;
    this.#followedSignal = state.followedSignal;
  }

  get url(): string {
    return this.#url;
  }

  get method(): string {
    return this.#method;
  }

  get headers(): Headers {
    return this.#headers;
  }

  get redirect(): string {
    return this.#redirect;
  }

  get signal(): AbortSignal {
    this.#signal ??= followSignal(this.#followedSignal);
    return this.#signal;
  }

  clone(): Request {
    if (isBodyUnusable(this)) throw new TypeError('Cannot clone a Request whose body has been used or is being read');
    return new Request(FROM_STATE, {
      url: this.#url,
      method: this.#method,
      headers: cloneHeaders(this.#headers),
      redirect: this.#redirect,
      body: cloneBodySource(this),
      followedSignal: this.#followedSignal,
    } satisfies RequestState);
  }
}
