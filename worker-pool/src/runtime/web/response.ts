// WHATWG Fetch `Response`.
import { Body, isBodyUnusable, cloneBodySource, extractBody, type BodySource, type ExtractedBody } from './body.js';
import { encodeUtf8 } from './text-encoding.js';
import { cloneHeaders, Headers, setHeadersGuard } from './headers.js';
import { parseAbsoluteUrl } from './url.js';
import { toByteString, toDictionary, toUnsignedShort } from './webidl.js';
import { jsonStringify } from '../primordials.js';

type ResponseType = 'default' | 'error';

/** Everything a Response holds; also the argument of the internal construction path. */
export interface ResponseState {
  type: ResponseType;
  status: number;
  statusText: string;
  headers: Headers;
  body: BodySource | null;
  /** Set for responses of fetch(): the final URL and whether redirects led there. */
  url?: string;
  redirected?: boolean;
}

const NULL_BODY_STATUSES = [101, 103, 204, 205, 304];
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
// RFC 9110 reason-phrase: HTAB, SP, VCHAR, obs-text.
const REASON_PHRASE = /^[\t\x20-\x7E\x80-\xFF]*$/;
const FROM_STATE = Symbol('Response.fromState');

/** The spec's "initialize a response" steps: validates init and attaches the body. */
function initializeResponse(initArgument: unknown, body: ExtractedBody | null): ResponseState {
  const init = toDictionary(initArgument, 'Response init');
  const status = init['status'] === undefined ? 200 : toUnsignedShort(init['status']);
  if (status < 200 || status > 599) {
    throw new RangeError(`Response status must be in the range 200 to 599, got ${status}`);
  }
  const statusText = init['statusText'] === undefined ? '' : toByteString(init['statusText'], 'Response statusText');
  if (!REASON_PHRASE.test(statusText)) throw new TypeError(`Invalid Response statusText: ${jsonStringify(statusText)}`);
  const headers = new Headers(init['headers']);
  if (body !== null) {
    if (NULL_BODY_STATUSES.includes(status)) {
      throw new TypeError(`Response with status ${status} cannot have a body (use null)`);
    }
    if (body.contentType !== null && !headers.has('content-type')) headers.append('content-type', body.contentType);
  }
  return { type: 'default', status, statusText, headers, body: body === null ? null : body.source };
}

/** Internal state, read without going through (user-patchable) prototype getters. */
export let responseStateOf: (response: Response) => Readonly<Omit<ResponseState, 'body'>>;
/** True only for real Responses (a brand check, so Object.create(Response.prototype) fails). */
export let isResponse: (value: unknown) => value is Response;
/** Builds a Response from ready state (fetch's responses), skipping validation. */
export let responseFromState: (state: ResponseState) => Response;

/** WHATWG Fetch Response. */
export class Response extends Body {
  readonly #type: ResponseType;
  readonly #status: number;
  readonly #statusText: string;
  readonly #headers: Headers;
  readonly #url: string;
  readonly #redirected: boolean;

  static {
    responseFromState = (state) => new Response(FROM_STATE, state);
    isResponse = (value): value is Response => typeof value === 'object' && value !== null && #status in value;
    responseStateOf = (response) => ({
      type: response.#type,
      status: response.#status,
      statusText: response.#statusText,
      headers: response.#headers,
    });
  }

  constructor(body: unknown = null, init?: unknown) {
    const state = body === FROM_STATE ? (init as ResponseState) : initializeResponse(init, extractBody(body));
    super(state.body);
    this.#type = state.type;
    this.#status = state.status;
    this.#statusText = state.statusText;
    this.#headers = state.headers;
    this.#url = state.url ?? '';
    this.#redirected = state.redirected ?? false;
  }

  /** A network error: status 0, type "error", immutable empty headers. */
  static error(): Response {
    const headers = new Headers();
    setHeadersGuard(headers, 'immutable');
    return new Response(FROM_STATE, { type: 'error', status: 0, statusText: '', headers, body: null } satisfies ResponseState);
  }

  /** A redirect to an absolute URL with immutable headers. */
  static redirect(url: unknown, status: unknown = 302): Response {
    const location = parseAbsoluteUrl(String(url), 'Response.redirect').href;
    const code = toUnsignedShort(status);
    if (!REDIRECT_STATUSES.includes(code)) {
      throw new RangeError(`Response.redirect status must be one of ${REDIRECT_STATUSES.join(', ')}, got ${code}`);
    }
    const headers = new Headers([['location', location]]);
    setHeadersGuard(headers, 'immutable');
    return new Response(FROM_STATE, { type: 'default', status: code, statusText: '', headers, body: null } satisfies ResponseState);
  }

  /** A JSON response; Content-Type defaults to application/json. */
  static json(data: unknown, init?: unknown): Response {
    const text: unknown = jsonStringify(data);
    if (typeof text !== 'string') throw new TypeError('Response.json: the value is not JSON serializable');
    const state = initializeResponse(init, { source: { bytes: encodeUtf8(text), stream: null }, contentType: 'application/json' });
    return new Response(FROM_STATE, state);
  }

  get type(): string {
    return this.#type;
  }

  get url(): string {
    return this.#url;
  }

  get redirected(): boolean {
    return this.#redirected;
  }

  get status(): number {
    return this.#status;
  }

  get ok(): boolean {
    return this.#status >= 200 && this.#status <= 299;
  }

  get statusText(): string {
    return this.#statusText;
  }

  get headers(): Headers {
    return this.#headers;
  }

  clone(): Response {
    if (isBodyUnusable(this)) throw new TypeError('Cannot clone a Response whose body has been used or is being read');
    return new Response(FROM_STATE, {
      type: this.#type,
      status: this.#status,
      statusText: this.#statusText,
      headers: cloneHeaders(this.#headers),
      body: cloneBodySource(this),
      url: this.#url,
      redirected: this.#redirected,
    } satisfies ResponseState);
  }
}
