// The one way the console talks to the gateway: JSON over fetch with the session's bearer
// token. A 401 ends the session (expired or revoked token); other failures become ApiError
// with the gateway's code, message and per-path problems.
import type { ErrorBody, Problem } from './types.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: Problem[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any failure as an ApiError: API failures as they are, anything else (a bug, a browser refusal) as CLIENT. */
export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CLIENT', error instanceof Error ? error.message : String(error));
}

/** Whether a failure is only the abort of a request that is no longer wanted. */
export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

type Unauthorized = (message: string) => void;

let currentToken: string | null = null;
let onUnauthorized: Unauthorized = () => {};

export function useToken(token: string | null, unauthorized: Unauthorized): void {
  currentToken = token;
  onUnauthorized = unauthorized;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Token to use instead of the session's (sign-in checks a token before keeping it). */
  token?: string;
}

/** Builds `/api/v1/...?query` with the parameters that are set. */
export function apiPath(path: string, query: Record<string, string | number | boolean | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const text = params.toString();
  return `/api/v1${path}${text === '' ? '' : `?${text}`}`;
}

/** A 401 from a request made outside api() (a log stream): ends the session like api() does. */
export function reportUnauthorized(message: string): void {
  onUnauthorized(message);
}

export function authHeaders(token = currentToken): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (typeof body.error?.message === 'string') {
      return new ApiError(response.status, body.error.code, body.error.message, body.error.details?.problems ?? []);
    }
  } catch {
    // not our error format: fall through
  }
  return new ApiError(response.status, `HTTP_${response.status}`, text.trim() === '' ? `${response.status} ${response.statusText}` : text.slice(0, 500));
}

/** Calls the control-plane API; resolves with the parsed JSON (undefined for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token ?? currentToken;
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(token), ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path.startsWith('/') ? path : apiPath(path), {
      method: options.method ?? 'GET',
      headers,
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    if (isAbortError(error)) throw error;
    throw new ApiError(0, 'UNREACHABLE', 'The gateway cannot be reached. Is `isola up` still running?');
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && options.token === undefined) onUnauthorized(error.message);
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}
