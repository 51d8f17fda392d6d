// The worker process's connection to the sidecar (SPEC §6): one undici Pool per process, shared
// by every isolate, over which binding calls go as Dapr HTTP API requests. Each request carries
// the internal credential and says which function version and invocation it is made for, so the
// sidecar can allow only the components that version binds and put its keys under its prefix.
// The credential is derived from the platform's secret key by the worker process; it never
// enters an isolate.
import type { Pool } from 'undici';
import { callerHeaderValue, sidecarHeaders, type Config } from '@isola/core';

/** Who a call is made for: the calling function version and its invocation. */
export interface SidecarCaller {
  name: string;
  version: number;
  /** Null only for unsubscribing, which may happen between invocations. */
  invocationId: string | null;
  /** Function-to-function calls that led to the invocation (0: a trigger's). */
  callDepth: number;
  traceparent?: string;
}

/** One Dapr HTTP API request. `path` is already encoded. */
export interface SidecarRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  /** Sent with content-type `contentType` (default application/json). */
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface SidecarResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One event of a server-sent event stream. */
export interface ServerSentEvent {
  event: string;
  data: string;
}

/** Where worker processes reach the sidecar: ISOLA_SIDECAR_URL, else loopback on ISOLA_SIDECAR_PORT. */
export function sidecarUrlFrom(config: Pick<Config, 'sidecarUrl' | 'sidecarPort'>): string {
  return config.sidecarUrl ?? `http://127.0.0.1:${config.sidecarPort}`;
}

/** An answer over the size limit. */
export class ResponseTooLarge extends Error {}

export class SidecarClient {
  private pool: Promise<Pool> | null = null;

  /**
   * `token` is sidecarAuthToken(secretKey); answers longer than `maxResponseBytes` are refused
   * (ISOLA_MAX_BODY_BYTES). Nothing is loaded or connected until the first call: undici costs a
   * worker process about 20 MB, and only functions with bindings need it.
   */
  constructor(
    readonly url: string,
    private readonly token: string,
    private readonly maxResponseBytes: number,
  ) {}

  private connection(): Promise<Pool> {
    // Subscriptions hold a connection each for as long as they last: no cap on connections.
    return (this.pool ??= import('undici').then(({ Pool }) => new Pool(this.url, { connections: null, keepAliveTimeout: 30_000 })));
  }

  /** Sends one request and reads the whole answer. Rejects on transport errors and on `signal`. */
  async send(request: SidecarRequest, caller: SidecarCaller, signal: AbortSignal): Promise<SidecarResponse> {
    const headers = this.headersFor(caller, request.headers);
    if (request.body !== undefined) headers['content-type'] = request.contentType ?? 'application/json';
    const response = await (await this.connection()).request({ method: request.method, path: request.path, headers, body: request.body ?? null, signal });
    return { status: response.statusCode, headers: response.headers, body: await this.text(response.body as AsyncIterable<Buffer> & { destroy(): void }) };
  }

  /**
   * Opens a server-sent event stream (GET with Accept: text/event-stream) and yields its events
   * until the sidecar ends it or `signal` aborts. A non-200 answer is returned instead, read whole.
   */
  async openStream(path: string, caller: SidecarCaller, signal: AbortSignal): Promise<AsyncGenerator<ServerSentEvent> | SidecarResponse> {
    const headers = this.headersFor(caller, { accept: 'text/event-stream' });
    const response = await (await this.connection()).request({ method: 'GET', path, headers, signal, bodyTimeout: 0 });
    if (response.statusCode !== 200) return { status: response.statusCode, headers: response.headers, body: await this.text(response.body as AsyncIterable<Buffer> & { destroy(): void }) };
    return serverSentEvents(response.body as AsyncIterable<Buffer>);
  }

  async close(): Promise<void> {
    if (this.pool !== null) await (await this.pool).close();
  }

  /** The body as text, up to maxResponseBytes. */
  private async text(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += chunk.byteLength;
      if (total > this.maxResponseBytes) {
        body.destroy();
        throw new ResponseTooLarge(`the sidecar's answer is over ${this.maxResponseBytes} bytes, the limit (ISOLA_MAX_BODY_BYTES)`);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private headersFor(caller: SidecarCaller, extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = {
      ...extra,
      [sidecarHeaders.token]: this.token,
      [sidecarHeaders.caller]: callerHeaderValue(caller.name, caller.version),
      [sidecarHeaders.callDepth]: String(caller.callDepth),
    };
    if (caller.invocationId !== null) headers[sidecarHeaders.invocationId] = caller.invocationId;
    if (caller.traceparent !== undefined) headers[sidecarHeaders.traceparent] = caller.traceparent;
    return headers;
  }
}

/** Parses a text/event-stream body (events end at a blank line; `data:` lines join with \n). */
async function* serverSentEvents(body: AsyncIterable<Buffer>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffered = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.search(/\r\n|\r|\n/)) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + (buffered.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue; // a comment (keep-alive)
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
  }
}
