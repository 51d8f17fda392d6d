import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  credentialMatches,
  decodeInvocationRequest,
  encodeInvocationOutcome,
  invocationFrameType,
  type Invoker,
  type Logger,
} from '@isola/core';
import { nodeStateHeader, nodeTokenHeader } from './node-protocol.js';

/** How long after the drain began a node that served gateways keeps answering `draining` before it closes. */
const closeGraceMs = 1_000;

export interface NodeServerOptions {
  nodeId: string;
  /** Runs invocations on this node's workers (its Scheduler). */
  invoker: Invoker;
  /** The credential gateways must present (nodeAuthToken). */
  token: string;
  logger: Logger;
  /** Invocations running on the node now (sync and async) and how many it takes at once. */
  load(): number;
  capacity(): number;
  /** Largest frame taken: the body limit plus room for headers and metadata. */
  maxFrameBytes: number;
}

/**
 * A worker node's door for synchronous invocations from gateways (`POST /v1/invocations`, an
 * invocation frame in, an outcome frame out; see core/src/cluster/wire.ts). It answers 503
 * with `x-isola-node-state: full` at capacity and `draining` once it stops — in both cases
 * the invocation did not run and the gateway places it elsewhere.
 */
export class NodeServer {
  private readonly server: Server;
  private draining = false;
  private drainingSince = 0;
  private inFlight = 0;
  private idle: (() => void) | null = null;
  /** Whether any gateway has sent an invocation (its pool may still hold idle connections). */
  private used = false;
  private closed: Promise<void> | null = null;

  constructor(private readonly options: NodeServerOptions) {
    this.server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        options.logger.error({ err: error }, 'node server failed a request');
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String((error as Error).message));
      });
    });
  }

  /** Listens; resolves with the port. */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return (this.server.address() as AddressInfo).port;
  }

  get running(): number {
    return this.inFlight;
  }

  /** Refuses new invocations (handed back to the gateway) and resolves once the running ones answered. */
  async drain(): Promise<void> {
    this.startDraining();
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /**
   * Closes the server (after drain()). Gateways that have not yet seen the node leave may still
   * send on their idle keep-alive connections: for a moment after the drain began they get the
   * `draining` answer (and `connection: close`) instead of a reset connection, which would look
   * like a lost invocation. Connections still open two seconds later are cut.
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.startDraining();
      const graceMs = this.used ? Math.max(0, closeGraceMs - (Date.now() - this.drainingSince)) : 0;
      if (graceMs > 0) await new Promise((resolve) => setTimeout(resolve, graceMs));
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeIdleConnections();
      const cut = setTimeout(() => this.server.closeAllConnections(), 2_000);
      await closed;
      clearTimeout(cut);
    })();
    return this.closed;
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.drainingSince = Date.now();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === 'GET' && request.url === '/healthz') {
      reply(response, 200, 'application/json', JSON.stringify({ node: this.options.nodeId, draining: this.draining, running: this.inFlight }));
      return;
    }
    if (request.method !== 'POST' || request.url !== '/v1/invocations') {
      request.resume();
      reply(response, 404, 'text/plain', 'not found');
      return;
    }
    if (!credentialMatches(this.options.token, headerValue(request.headers[nodeTokenHeader]))) {
      request.resume();
      reply(response, 401, 'text/plain', 'a valid node token is required: every process of the platform needs the same secret key');
      return;
    }
    this.used = true;
    if (this.draining || this.options.load() >= this.options.capacity()) {
      request.resume();
      response.setHeader(nodeStateHeader, this.draining ? 'draining' : 'full');
      if (this.draining) response.setHeader('connection', 'close');
      reply(response, 503, 'text/plain', this.draining ? 'this node is stopping' : 'this node is at capacity');
      return;
    }
    this.inFlight += 1;
    try {
      const frame = await readBody(request, this.options.maxFrameBytes);
      if (frame === null) {
        reply(response, 413, 'text/plain', 'invocation frame too large');
        return;
      }
      const outcome = await this.options.invoker.invoke(decodeInvocationRequest(frame));
      reply(response, 200, invocationFrameType, encodeInvocationOutcome(outcome));
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0 && this.idle !== null) {
        this.idle();
        this.idle = null;
      }
    }
  }

}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function reply(response: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  response.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      request.resume();
      return null;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}
