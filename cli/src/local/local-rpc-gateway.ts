// What the sidecar calls for a service binding (`env.PRICER.quote(...)`): on the platform, a
// gateway's `POST /api/v1/functions/{name}/rpc/{method}` with the internal credential; here, the
// same route served for the functions running locally, so the sidecar's service invocation
// (call depth, errors) runs unchanged.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  credentialMatches,
  errorBody,
  IsolaError,
  maxCallDepth,
  rpcArgsProblem,
  rpcResultJson,
  sidecarAuthToken,
  sidecarHeaders,
  statusOf,
  type ErrorShape,
} from '@isola/core';
import type { LocalFunction } from './local-function.js';

const route = /^\/api\/v1\/functions\/([^/]+)\/rpc\/([^/?]+)$/;

export class LocalRpcGateway {
  private functions: { function(name: string): LocalFunction | undefined } | null = null;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly internalToken: string,
  ) {}

  /** Listens on a free loopback port; calls are answered once serve() was called. */
  static async start(secretKey: Buffer): Promise<LocalRpcGateway> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const gateway = new LocalRpcGateway(server, `http://127.0.0.1:${port}`, sidecarAuthToken(secretKey));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void gateway.answer(request, response));
    return gateway;
  }

  serve(functions: { function(name: string): LocalFunction | undefined }): void {
    this.functions = functions;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const fail = (error: ErrorShape) => send(response, statusOf(error.code), JSON.stringify(errorBody(error)));
    try {
      const match = route.exec(request.url ?? '');
      if (request.method !== 'POST' || match === null) throw new IsolaError('NOT_FOUND', `no route ${request.method} ${request.url}`);
      if (!credentialMatches(this.internalToken, request.headers[sidecarHeaders.token])) throw new IsolaError('UNAUTHORIZED', 'only the local sidecar calls this gateway');
      const [name, method] = [decodeURIComponent(match[1] as string), decodeURIComponent(match[2] as string)];
      const depth = Number(request.headers[sidecarHeaders.callDepth] ?? '1');
      if (!Number.isInteger(depth) || depth < 1) throw new IsolaError('BAD_REQUEST', `${sidecarHeaders.callDepth} must be a whole number of at least 1`);
      if (depth > maxCallDepth) throw new IsolaError('CALL_DEPTH_EXCEEDED', `this call is ${depth} function-to-function calls deep, over the limit of ${maxCallDepth}: do the functions call each other in a loop?`);
      const fn = this.functions?.function(name);
      if (fn === undefined) {
        throw new IsolaError('FUNCTION_NOT_FOUND', `function "${name}" does not run locally; run its folder too (isola dev --with <folder>, or the testing helper's services option)`);
      }
      const argsJson = await readText(request);
      const problem = rpcArgsProblem(argsJson);
      if (problem !== null) throw new IsolaError('BAD_REQUEST', problem);
      const { outcome } = await fn.rpc(method, argsJson, { callDepth: depth });
      if (!outcome.ok) return fail(outcome.error);
      send(response, 200, `{"result":${rpcResultJson(outcome.response)}}`);
    } catch (error) {
      fail(error instanceof IsolaError ? error.toShape() : { code: 'INTERNAL', message: (error as Error).message });
    }
  }
}

function send(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(body);
}

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
