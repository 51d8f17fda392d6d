// The Test invoke tab's request (kept per function in sessionStorage) and how a response is
// read into something the panel can show.
import { loadJson, saveJson } from '../../../session-storage.js';

export const httpMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof httpMethods)[number];
export type BodyType = 'json' | 'text' | 'none';

export interface HeaderRow {
  /** Stable key for the list; not sent. */
  key: number;
  name: string;
  value: string;
}

export interface InvokeRequest {
  mode: 'http' | 'rpc';
  method: HttpMethod;
  path: string;
  headers: HeaderRow[];
  body: string;
  bodyType: BodyType;
  rpcMethod: string;
  rpcArgs: string;
}

export const defaultRequest: InvokeRequest = { mode: 'http', method: 'GET', path: '/', headers: [], body: '', bodyType: 'json', rpcMethod: '', rpcArgs: '[]' };

export const hasBody = (method: HttpMethod) => method !== 'GET' && method !== 'HEAD';

const storageKey = (name: string) => `isola.invoke.${name}`;

export function loadRequest(name: string): InvokeRequest {
  const saved = loadJson(storageKey(name)) as Partial<InvokeRequest> | null;
  if (saved === null || typeof saved !== 'object') return defaultRequest;
  const request = { ...defaultRequest, ...saved };
  if (!httpMethods.includes(request.method)) request.method = 'GET';
  const rows: unknown[] = Array.isArray(request.headers) ? request.headers : [];
  request.headers = rows.map((row, index) => {
    const { name: header, value } = (row ?? {}) as Partial<HeaderRow>;
    return { key: index, name: String(header ?? ''), value: String(value ?? '') };
  });
  return request;
}

export function saveRequest(name: string, request: InvokeRequest): void {
  saveJson(storageKey(name), request);
}

export interface TimingEntry {
  name: string;
  durMs: number | null;
  description: string | null;
}

/** Splits `text` on `separator` where it is not inside a double-quoted string. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index] as string;
    if (quoted && char === '\\') {
      current += char + (text[index + 1] ?? '');
      index++;
    } else if (char === '"') {
      quoted = !quoted;
      current += char;
    } else if (char === separator && !quoted) {
      parts.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current.trim());
  return parts.filter((part) => part !== '');
}

/** Parses a Server-Timing header: `isola;dur=2.5;desc="platform", fn;dur=3.7;desc="function"`. */
export function parseServerTiming(header: string | null): TimingEntry[] {
  if (header === null) return [];
  return splitOutsideQuotes(header, ',').flatMap((metric) => {
    const [name, ...params] = splitOutsideQuotes(metric, ';');
    if (name === undefined) return [];
    let durMs: number | null = null;
    let description: string | null = null;
    for (const param of params) {
      const equals = param.indexOf('=');
      const key = (equals === -1 ? param : param.slice(0, equals)).trim().toLowerCase();
      let value = equals === -1 ? '' : param.slice(equals + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
      if (key === 'dur' && value !== '' && Number.isFinite(Number(value))) durMs = Number(value);
      if (key === 'desc') description = value;
    }
    return [{ name, durMs, description }];
  });
}

export type ShownBody =
  | { kind: 'empty' }
  | { kind: 'json'; text: string; clipped: boolean }
  | { kind: 'text'; text: string; clipped: boolean }
  | { kind: 'image'; url: string }
  | { kind: 'binary'; url: string };

/** Frees what a shown body holds (the object URL of an image or a binary). */
export function releaseBody(body: ShownBody): void {
  if (body.kind === 'image' || body.kind === 'binary') URL.revokeObjectURL(body.url);
}

/** More than this is cut for display: a multi-megabyte body would freeze the page. */
const shownLimit = 256 * 1024;

const textual = (type: string) => type === '' || type.startsWith('text/') || /json|xml|javascript|ecmascript|x-www-form-urlencoded|yaml|csv|graphql/.test(type);

/** Reads a response body into what the panel shows; images and binaries become object URLs (revoke them). */
export async function readBody(blob: Blob, contentType: string): Promise<{ body: ShownBody; parsed: unknown }> {
  const type = contentType.toLowerCase();
  if (blob.size === 0) return { body: { kind: 'empty' }, parsed: undefined };
  if (type.startsWith('image/')) return { body: { kind: 'image', url: URL.createObjectURL(blob) }, parsed: undefined };
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: !textual(type) }).decode(bytes);
  } catch {
    return { body: { kind: 'binary', url: URL.createObjectURL(blob) }, parsed: undefined };
  }
  const clipped = text.length > shownLimit;
  if (type.includes('json') || (type === '' && /^\s*[[{]/.test(text))) {
    try {
      const parsed = JSON.parse(text) as unknown;
      const pretty = JSON.stringify(parsed, null, 2);
      return { body: { kind: 'json', text: pretty.slice(0, shownLimit), clipped: pretty.length > shownLimit }, parsed };
    } catch {
      // not JSON after all: show it as text
    }
  }
  return { body: { kind: 'text', text: clipped ? text.slice(0, shownLimit) : text, clipped }, parsed: undefined };
}

export interface InvokeResult {
  mode: 'http' | 'rpc';
  /** What was sent, e.g. `GET /fn/cart-api/items` or `quote(…)`. */
  summary: string;
  status: number;
  statusText: string;
  /** From sending to the last byte, measured in the browser. */
  elapsedMs: number;
  headers: [string, string][];
  timing: TimingEntry[];
  coldStart: boolean | null;
  version: string | null;
  invocationId: string | null;
  contentType: string;
  size: number;
  body: ShownBody;
  /** The parsed JSON body, if it was JSON (RPC answers, error bodies). */
  parsed: unknown;
}

/** The invocation id a response names: the header, or an error body's `error.invocationId`. */
export function invocationIdOf(headers: Headers, parsed: unknown): string | null {
  const header = headers.get('x-isola-invocation-id');
  if (header !== null && header !== '') return header;
  const id = (parsed as { error?: { invocationId?: unknown } } | undefined)?.error?.invocationId;
  return typeof id === 'string' ? id : null;
}

/** Sends a request and reads everything the panel shows. Throws on network failure or abort. */
export async function sendRequest(url: string, init: RequestInit, mode: 'http' | 'rpc', summary: string): Promise<InvokeResult> {
  const started = performance.now();
  const response = await fetch(url, { ...init, cache: 'no-store' });
  const blob = await response.blob();
  const elapsedMs = performance.now() - started;
  const contentType = response.headers.get('content-type') ?? '';
  const { body, parsed } = await readBody(blob, contentType);
  const cold = response.headers.get('x-isola-cold-start');
  return {
    mode,
    summary,
    status: response.status,
    statusText: response.statusText,
    elapsedMs,
    headers: [...response.headers.entries()].sort(([a], [b]) => a.localeCompare(b)),
    timing: parseServerTiming(response.headers.get('server-timing')),
    coldStart: cold === null ? null : cold === 'true',
    version: response.headers.get('x-isola-version'),
    invocationId: invocationIdOf(response.headers, parsed),
    contentType,
    size: blob.size,
    body,
    parsed,
  };
}
