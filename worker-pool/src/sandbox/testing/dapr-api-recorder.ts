// A node:http server that answers the Dapr HTTP API subset the bindings use, as Dapr documents
// it, and records every request: the contract test of the worker's side of bindings
// (bridges/binding-operations.ts). The real sidecar (sidecar/) is tested against the same API
// with the Dapr SDK; end-to-end tests run the two together. Not a test file itself.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface CannedAnswer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

interface ConfigStream {
  response: ServerResponse;
  keys: string[];
  id: string;
}

export class DaprApiRecorder {
  readonly requests: RecordedRequest[] = [];
  /** State by store and key; etags count writes. */
  readonly state = new Map<string, { value: string; etag: string }>();
  readonly published: { pubsub: string; topic: string; contentType: string | undefined; body: string }[] = [];
  readonly configItems = new Map<string, { value: string; version: string }>();
  readonly locks = new Map<string, string>();
  readonly secrets = new Map<string, string>();
  /** Service invocation: what the called function's RPC method answers. */
  invoke: (fn: string, method: string, args: unknown[]) => CannedAnswer = (_fn, _method, args) => ({ status: 200, body: JSON.stringify(args) });
  /** When set and it returns an answer, that answer is sent instead of the emulated one. */
  override: ((request: RecordedRequest) => CannedAnswer | undefined) | null = null;
  readonly configStreams = new Set<ConfigStream>();
  private etags = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<DaprApiRecorder> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const recorder = new DaprApiRecorder(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const url = new URL(request.url ?? '/', 'http://sidecar');
        const recorded: RecordedRequest = {
          method: request.method ?? '',
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        };
        recorder.requests.push(recorded);
        const canned = recorder.override?.(recorded);
        if (canned !== undefined) return send(response, canned);
        if (recorded.headers.accept === 'text/event-stream') return recorder.openConfigStream(recorded, response);
        send(response, recorder.answer(recorded));
      });
    });
    return recorder;
  }

  /** Forgets everything stored and recorded (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.published.length = 0;
    this.state.clear();
    this.configItems.clear();
    this.locks.clear();
    this.secrets.clear();
    this.etags = 0;
    this.override = null;
    this.invoke = (_fn, _method, args) => ({ status: 200, body: JSON.stringify(args) });
  }

  /** Sends a change of `items` to every open config subscription that follows one of their keys. */
  pushConfigUpdate(items: Record<string, { value: string; version: string }>): void {
    for (const stream of this.configStreams) {
      const relevant = Object.fromEntries(Object.entries(items).filter(([key]) => stream.keys.includes(key)));
      if (Object.keys(relevant).length === 0) continue;
      stream.response.write(`event: update\ndata: ${JSON.stringify({ id: stream.id, items: relevant })}\n\n`);
    }
  }

  /** Ends every open config subscription from the sidecar's side. */
  endConfigStreams(): void {
    for (const stream of this.configStreams) stream.response.end();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private openConfigStream(request: RecordedRequest, response: ServerResponse): void {
    const stream: ConfigStream = { response, keys: request.query.getAll('key'), id: `sub-${this.configStreams.size + 1}` };
    this.configStreams.add(stream);
    response.on('close', () => this.configStreams.delete(stream));
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.write(`event: subscribed\ndata: ${JSON.stringify({ id: stream.id })}\n\n`);
  }

  private answer(request: RecordedRequest): CannedAnswer {
    const parts = request.path.split('/').slice(1).map(decodeURIComponent);
    const [version, api, component, ...rest] = parts;
    const json = (status: number, value: unknown): CannedAnswer => ({ status, body: JSON.stringify(value), headers: { 'content-type': 'application/json' } });
    if (version === 'v1.0' && api === 'state') {
      if (request.method === 'POST' && rest.length === 0) {
        for (const item of JSON.parse(request.body) as { key: string; value: unknown; etag?: string; options?: { concurrency?: string } }[]) {
          const stored = this.state.get(`${component}/${item.key}`);
          if (item.etag !== undefined && item.options?.concurrency !== 'last-write' && stored?.etag !== item.etag) {
            return json(409, { errorCode: 'ERR_STATE_SAVE', message: `possible etag mismatch for key ${item.key}` });
          }
          this.state.set(`${component}/${item.key}`, { value: JSON.stringify(item.value), etag: String(++this.etags) });
        }
        return { status: 204 };
      }
      if (request.method === 'POST' && rest[0] === 'bulk') {
        const { keys } = JSON.parse(request.body) as { keys: string[] };
        return json(
          200,
          keys.map((key) => {
            const stored = this.state.get(`${component}/${key}`);
            return stored === undefined ? { key } : { key, data: JSON.parse(stored.value) as unknown, etag: stored.etag };
          }),
        );
      }
      const key = `${component}/${rest[0]}`;
      const stored = this.state.get(key);
      if (request.method === 'GET') return stored === undefined ? { status: 204 } : { status: 200, body: stored.value, headers: { etag: stored.etag } };
      if (request.method === 'DELETE') {
        const ifMatch = request.headers['if-match'];
        if (ifMatch !== undefined && stored !== undefined && stored.etag !== ifMatch) return json(409, { errorCode: 'ERR_STATE_DELETE', message: 'possible etag mismatch' });
        this.state.delete(key);
        return { status: 204 };
      }
    }
    if (version === 'v1.0' && api === 'publish' && request.method === 'POST') {
      this.published.push({ pubsub: component as string, topic: rest[0] as string, contentType: request.headers['content-type'], body: request.body });
      return { status: 204 };
    }
    if (version === 'v1.0' && api === 'configuration' && request.method === 'GET') {
      return json(200, Object.fromEntries(request.query.getAll('key').flatMap((key) => (this.configItems.has(key) ? [[key, { ...this.configItems.get(key), metadata: {} }]] : []))));
    }
    if (version === 'v1.0-alpha1' && api === 'lock') {
      const { resourceId, lockOwner } = JSON.parse(request.body) as { resourceId: string; lockOwner: string };
      const free = !this.locks.has(`${component}/${resourceId}`);
      if (free) this.locks.set(`${component}/${resourceId}`, lockOwner);
      return json(200, { success: free });
    }
    if (version === 'v1.0-alpha1' && api === 'unlock') {
      const { resourceId, lockOwner } = JSON.parse(request.body) as { resourceId: string; lockOwner: string };
      const owner = this.locks.get(`${component}/${resourceId}`);
      if (owner === undefined) return json(200, { status: 1 });
      if (owner !== lockOwner) return json(200, { status: 2 });
      this.locks.delete(`${component}/${resourceId}`);
      return json(200, { status: 0 });
    }
    if (version === 'v1.0' && api === 'secrets' && request.method === 'GET') {
      const value = this.secrets.get(`${component}/${rest[0]}`);
      return value === undefined ? json(500, { errorCode: 'ERR_SECRET_GET', message: `secret ${rest[0]} not found` }) : json(200, { [rest[0] as string]: value });
    }
    if (version === 'v1.0' && api === 'invoke' && rest[0] === 'method' && request.method === 'POST') {
      return this.invoke(component as string, rest[1] as string, JSON.parse(request.body) as unknown[]);
    }
    return json(404, { errorCode: 'ERR_DIRECT_INVOKE', message: `no such endpoint: ${request.method} ${request.path}` });
  }
}

function send(response: ServerResponse, answer: CannedAnswer): void {
  response.writeHead(answer.status, answer.headers ?? {});
  response.end(answer.body);
}
