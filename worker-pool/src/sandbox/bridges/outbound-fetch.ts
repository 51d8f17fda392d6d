// The host half of fetch(): one outbound HTTP(S) exchange per hop with node:http/https,
// redirects followed by hand (each hop re-checked against `egress`), the response body
// buffered up to a cap and decoded (gzip, deflate, br) as fetch does, all bounded by the
// function's remaining time. Nothing leaves for a host that `egress` does not list: the check
// runs before the request is made, so not even a DNS lookup happens. Hosts given by name must
// resolve to public addresses; that check runs in the socket's `lookup`, on the addresses it
// actually connects to.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { addressOf, egressEntryFor, matchEgress, restrictedAddressKind, sameAddress, type AddressKind, type EgressRule } from './egress.js';

/** What the runtime sends (mirrors OutboundRequest in src/runtime/contract.ts). */
export interface OutboundRequest {
  fetchId: number;
  invocationId: string;
  url: string;
  method: string;
  headers: [string, string][];
  body: Uint8Array | null;
  redirect: 'follow' | 'error' | 'manual';
}

/** What the runtime receives (mirrors OutboundResult in src/runtime/contract.ts). */
export type OutboundResult =
  | { ok: true; status: number; statusText: string; headers: [string, string][]; url: string; redirected: boolean; body: Uint8Array | null }
  | { ok: false; errorName: 'TypeError' | 'TimeoutError' | 'AbortError'; message: string };

export interface OutboundLimits {
  rules: readonly EgressRule[];
  maxResponseBytes: number;
}

export const MAX_REDIRECTS = 20;
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REDIRECT_STATUSES = [301, 302, 303, 307, 308];
// Set by the host from the body and URL, or hop-by-hop: never taken from the function.
const HOST_MANAGED_HEADERS = ['host', 'content-length', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect'];
const BODY_HEADERS = ['content-type', 'content-encoding', 'content-language', 'content-location'];
const CROSS_ORIGIN_DROPPED_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
const METHODS_WITH_EMPTY_LENGTH = ['POST', 'PUT', 'PATCH'];

// One keep-alive pool per worker process. A pooled socket was checked when it connected, and
// is reused only for the same host and port, which the reusing function's egress must list.
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** A refusal that is the function's to fix: becomes a TypeError in the isolate. */
class FetchRefused extends Error {}

/**
 * A `lookup` for net.connect that resolves as usual, then refuses restricted addresses unless
 * the egress rule that allowed the host names that very address. Exported for tests, which
 * pass their own resolver.
 */
export function guardedLookup(rule: EgressRule, url: URL, resolve: typeof dnsLookup = dnsLookup) {
  return (hostname: string, options: { all?: boolean; family?: number | string; hints?: number }, callback: (...args: unknown[]) => void): void => {
    resolve(hostname, { ...options, all: true } as LookupAllOptions, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error !== null) return callback(error);
      for (const { address } of addresses) {
        const kind = restrictedAddressKind(address);
        if (kind !== null && (rule.address === null || !sameAddress(rule.address, address))) {
          return callback(new FetchRefused(restrictedMessage(url, hostname, address, kind)));
        }
      }
      const first = addresses[0];
      if (first === undefined) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      if (options.all === true) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
}

function restrictedMessage(url: URL, hostname: string, address: string, kind: AddressKind): string {
  const port = url.port === '' ? '' : `:${url.port}`;
  const literal = address.includes(':') ? `[${address}]${port}` : `${address}${port}`;
  return (
    `fetch to ${url.origin} was refused: ${hostname} resolves to ${address}, a ${kind} address. Private, loopback, link-local ` +
    `and other non-public addresses are reachable only through an egress entry that names the address itself (e.g. "${literal}")`
  );
}

function notAllowedMessage(url: URL, redirectedFrom: URL | null): string {
  const entry = egressEntryFor(url);
  const what = redirectedFrom === null ? `fetch to ${url.origin}` : `fetch to ${redirectedFrom.origin} was redirected to ${url.origin}, which`;
  return `${what} is not allowed: ${entry} is not in this function's egress list; add "${entry}" to egress in isola.yaml`;
}

/**
 * Performs one fetch() for the isolate. Never rejects: failures are results the runtime turns
 * into errors. `signal` aborts it (timeout, the function's abort, the instance's disposal).
 */
export async function performFetch(request: OutboundRequest, limits: OutboundLimits, signal: AbortSignal): Promise<OutboundResult> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return { ok: false, errorName: 'TypeError', message: `fetch: invalid URL ${JSON.stringify(request.url)}` };
  }
  let method = request.method;
  let body = request.body;
  let headers = request.headers.filter(([name]) => !HOST_MANAGED_HEADERS.includes(name.toLowerCase()));
  if (!headers.some(([name]) => name.toLowerCase() === 'accept')) headers.push(['accept', '*/*']);
  if (!headers.some(([name]) => name.toLowerCase() === 'accept-encoding')) headers.push(['accept-encoding', 'gzip, deflate, br']);
  let redirectedFrom: URL | null = null;
  try {
    for (let redirects = 0; ; redirects += 1) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new FetchRefused(`fetch supports http: and https: URLs only, not ${url.protocol} (${url.href})`);
      }
      const rule = matchEgress(limits.rules, url);
      if (rule === null) throw new FetchRefused(notAllowedMessage(url, redirectedFrom));
      const address = addressOf(url.hostname);
      const kind = address === null ? null : restrictedAddressKind(address);
      if (address !== null && kind !== null && (rule.address === null || !sameAddress(rule.address, address))) {
        throw new FetchRefused(restrictedMessage(url, url.hostname, address, kind));
      }

      const response = await exchange(url, method, headers, body, rule, signal);
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECT_STATUSES.includes(status) && location !== undefined && request.redirect !== 'manual') {
        response.resume();
        if (request.redirect === 'error') throw new FetchRefused(`fetch to ${url.href} was redirected (${status}) and its redirect mode is "error"`);
        if (redirects === MAX_REDIRECTS) throw new FetchRefused(`fetch to ${request.url} was redirected more than ${MAX_REDIRECTS} times`);
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          throw new FetchRefused(`fetch to ${url.href} was redirected to an invalid URL: ${JSON.stringify(location)}`);
        }
        // The Fetch standard's method rewrite: 303 (but HEAD) and POST after 301/302 become GET without a body.
        if ((status === 303 && method !== 'GET' && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
          method = 'GET';
          body = null;
          headers = headers.filter(([name]) => !BODY_HEADERS.includes(name.toLowerCase()));
        }
        if (next.origin !== url.origin) headers = headers.filter(([name]) => !CROSS_ORIGIN_DROPPED_HEADERS.includes(name.toLowerCase()));
        redirectedFrom = url;
        url = next;
        continue;
      }
      if (status < 200 || status > 599) {
        response.destroy();
        throw new FetchRefused(`fetch to ${url.href} got status ${status}, which is not a final HTTP status a Response can hold`);
      }
      const responseBody = await readBody(response, url, method, limits.maxResponseBytes);
      url.hash = '';
      return {
        ok: true,
        status,
        statusText: response.statusMessage ?? '',
        headers: pairs(response.rawHeaders),
        url: url.href,
        redirected: redirects > 0,
        body: responseBody,
      };
    }
  } catch (error) {
    return failure(error, url, signal);
  }
}

/** The result of a request cut off by its signal: the function's time ran out, or it was aborted. */
export function abortedResult(signal: AbortSignal): OutboundResult {
  const reason: unknown = signal.reason;
  if (reason instanceof FetchTimeout) return { ok: false, errorName: 'TimeoutError', message: reason.message };
  return { ok: false, errorName: 'AbortError', message: reason instanceof Error ? reason.message : 'The operation was aborted.' };
}

function failure(error: unknown, url: URL, signal: AbortSignal): OutboundResult {
  if (signal.aborted) return abortedResult(signal);
  if (error instanceof FetchRefused) return { ok: false, errorName: 'TypeError', message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, errorName: 'TypeError', message: `fetch to ${url.href} failed: ${message}` };
}

/** The abort reason when the function's time runs out. */
export class FetchTimeout extends Error {}

function exchange(url: URL, method: string, headers: [string, string][], body: Uint8Array | null, rule: EgressRule, signal: AbortSignal): Promise<IncomingMessage> {
  const raw: string[] = ['host', url.host];
  for (const [name, value] of headers) raw.push(name, value);
  if (body !== null && body.byteLength > 0) raw.push('content-length', String(body.byteLength));
  else if (METHODS_WITH_EMPTY_LENGTH.includes(method)) raw.push('content-length', '0');
  return new Promise<IncomingMessage>((resolve, reject) => {
    const transport = url.protocol === 'https:' ? https : http;
    const request = transport.request(url, {
      method,
      headers: raw,
      agent: agents[url.protocol === 'https:' ? 'https:' : 'http:'],
      lookup: guardedLookup(rule, url) as unknown as typeof dnsLookup,
      signal,
    });
    request.once('response', resolve);
    request.once('error', reject);
    request.end(body !== null && body.byteLength > 0 ? body : undefined);
  });
}

/** The body as one exactly sized Uint8Array (null for HEAD and empty null-body statuses), decoded and capped. */
async function readBody(response: IncomingMessage, url: URL, method: string, maxBytes: number): Promise<Uint8Array | null> {
  const tooLarge = (bytes: string) =>
    new FetchRefused(`the response body from ${url.href} is ${bytes} bytes, over the limit of ${maxBytes} bytes for fetch responses`);
  const declared = Number(response.headers['content-length']);
  const encoding = (response.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : null;
  if (decoder === null && declared > maxBytes) {
    response.destroy();
    throw tooLarge(String(declared));
  }
  const source: Readable = decoder === null ? response : pipeline(response, decoder, () => undefined);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        response.destroy();
        decoder?.destroy();
        throw tooLarge(`more than ${maxBytes}`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof FetchRefused || decoder === null) throw error;
    throw new FetchRefused(`the response body from ${url.href} could not be decoded (${encoding}): ${(error as Error).message}`);
  }
  if (method === 'HEAD' || (total === 0 && [204, 205, 304].includes(response.statusCode ?? 0))) return null;
  // Fresh and exactly sized: Buffer.concat may return a view of Node's shared pool.
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function pairs(raw: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) result.push([raw[index]!, raw[index + 1]!]);
  return result;
}

/** Checks the shape of a request from the isolate; returns a problem, or null when it is sound. */
export function requestProblem(request: unknown): string | null {
  if (typeof request !== 'object' || request === null) return 'not an object';
  const { fetchId, invocationId, url, method, headers, body, redirect } = request as Record<string, unknown>;
  if (typeof fetchId !== 'number' || typeof invocationId !== 'string' || typeof url !== 'string') return 'bad fetchId, invocationId or url';
  if (typeof method !== 'string' || !HTTP_TOKEN.test(method) || ['CONNECT', 'TRACE', 'TRACK'].includes(method.toUpperCase())) return `bad method ${String(method)}`;
  if (!Array.isArray(headers) || !headers.every((entry) => Array.isArray(entry) && entry.length === 2 && entry.every((part) => typeof part === 'string'))) {
    return 'bad headers';
  }
  if (body !== null && !(body instanceof Uint8Array)) return 'bad body';
  if (redirect !== 'follow' && redirect !== 'error' && redirect !== 'manual') return 'bad redirect mode';
  return null;
}
