// The HTTP side of `isola dev`: every path goes to the function's fetch (it sees the dev server's
// URL), and a few routes under /__isola/ run its other handlers on demand, as the platform's
// cron, message and RPC triggers would.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  errorBody,
  IsolaError,
  platformHeaders,
  rpcArgsProblem,
  rpcResultJson,
  statusOf,
  wrapInCloudEvent,
  type ErrorShape,
  type HttpResponsePayload,
} from '@isola/core';
import type { DevSession } from './dev-session.js';
import type { InvocationReport } from './local-function.js';
import { chooseSchedule } from './local-crons.js';
import type { Delivery } from './local-message-trigger.js';

/** The routes beside fetch, for the ready message and 404 answers. */
export const devRoutes = {
  scheduled: 'POST /__isola/scheduled[?cron=<id or expression>]',
  queue: 'POST /__isola/queue/{topic}',
  rpc: 'POST /__isola/rpc/{method}',
} as const;

export class DevServer {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on `host:port` (0: a free port); rejects with a clear error when the port is taken. */
  static async listen(session: DevSession, host: string, port: number): Promise<DevServer> {
    const maxBodyBytes = session.platform.settings.maxBodyBytes;
    const server = createServer((request, response) => {
      void answer(session, maxBodyBytes, request, response).catch((error: unknown) => {
        const shape: ErrorShape = error instanceof IsolaError ? error.toShape() : { code: 'INTERNAL', message: (error as Error).message };
        if (!response.headersSent) sendJson(response, statusOf(shape.code), errorBody(shape));
        else response.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new IsolaError('CONFLICT', `port ${port} on ${host} is in use: pass --port <another> (--port 0 picks a free one)`) : error),
      );
      server.listen(port, host, resolve);
    });
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return new DevServer(server, `http://${shownHost}:${address.port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function answer(session: DevSession, maxBodyBytes: number, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '/').split('?')[0] as string;
  if (!path.startsWith('/__isola/')) return fetchRoute(session, maxBodyBytes, request, response);
  const query = new URL(request.url ?? '/', 'http://dev').searchParams;
  const route = /^\/__isola\/(scheduled|queue|rpc)(?:\/([^/]+))?$/.exec(path);
  const [, kind, name] = route ?? [];
  if (request.method !== 'POST' || kind === undefined || (kind === 'scheduled') !== (name === undefined)) {
    throw new IsolaError('NOT_FOUND', `no route ${request.method} ${path}; isola dev serves ${Object.values(devRoutes).join(', ')}, and every other path goes to fetch`);
  }
  const body = await readBody(request, maxBodyBytes);
  const fn = session.main;
  if (kind === 'scheduled') {
    const spec = chooseSchedule(fn.manifest, query.get('cron') ?? undefined);
    const scheduledTime = Date.now();
    const report = await session.runScheduled(fn, spec, scheduledTime);
    return sendReport(response, report, { cron: spec.schedule, scheduledTime: new Date(scheduledTime).toISOString(), noRetry: report.outcome.noRetry === true, result: resultOf(report) });
  }
  const decoded = decodeURIComponent(name as string);
  if (kind === 'rpc') {
    const argsJson = body.byteLength === 0 ? '[]' : body.toString('utf8');
    const problem = rpcArgsProblem(argsJson);
    if (problem !== null) throw new IsolaError('BAD_REQUEST', problem);
    const report = await fn.rpc(decoded, argsJson);
    return sendReport(response, report, { result: report.outcome.ok ? JSON.parse(rpcResultJson(report.outcome.response)) : undefined });
  }
  const consumer = session.platform.consumerOf(decoded);
  if (consumer === null) {
    const consumed = session.functions.flatMap((candidate) => candidate.manifest.queues.map((queue) => queue.topic));
    throw new IsolaError('BAD_REQUEST', `no function here consumes topic "${decoded}" (consumed: ${consumed.join(', ') || 'none'}); add "queues: [{ topic: ${decoded} }]" to isola.yaml`);
  }
  const { report, decisions } = await session.platform.messages.deliver(decoded, deliveriesOf(body));
  return sendReport(response, report, {
    acked: decisions.filter((decision) => decision.action === 'ack').map((decision) => decision.id),
    retried: decisions.filter((decision) => decision.action === 'retry').map((decision) => decision.id),
  });
}

/** Any other path: the function's fetch, with the URL the client asked for on this server. */
async function fetchRoute(session: DevSession, maxBodyBytes: number, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request, maxBodyBytes);
  const host = request.headers.host ?? 'localhost';
  const headers: [string, string][] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) headers.push([request.rawHeaders[index] as string, request.rawHeaders[index + 1] as string]);
  const method = request.method ?? 'GET';
  const withBody = body.byteLength > 0 || !['GET', 'HEAD'].includes(method);
  const report = await session.main.fetch({ method, url: `http://${host}${request.url ?? '/'}`, headers, ...(withBody ? { body: new Uint8Array(body) } : {}) });
  setPlatformHeaders(response, report);
  if (!report.outcome.ok) return sendJson(response, report.status, errorBody(report.outcome.error, report.invocationId));
  writeResponse(response, report.outcome.response);
}

/** The answer of an on-demand route: the invocation's extras as JSON, or its error with the code's status. */
function sendReport(response: ServerResponse, report: InvocationReport, extra: Record<string, unknown>): void {
  setPlatformHeaders(response, report);
  if (report.outcome.ok) return sendJson(response, 200, { invocationId: report.invocationId, ...extra });
  sendJson(response, report.status, { ...errorBody(report.outcome.error, report.invocationId), ...extra });
}

function setPlatformHeaders(response: ServerResponse, report: InvocationReport): void {
  response.setHeader(platformHeaders.invocationId, report.invocationId);
  response.setHeader(platformHeaders.version, String(report.version));
  response.setHeader(platformHeaders.coldStart, String(report.outcome.coldStart));
}

function writeResponse(response: ServerResponse, payload: HttpResponsePayload): void {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of payload.headers) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  for (const [name, values] of grouped) response.setHeader(name, values.length === 1 ? (values[0] as string) : values);
  response.writeHead(payload.status, payload.statusText);
  response.end(payload.body === undefined ? undefined : Buffer.from(payload.body.buffer, payload.body.byteOffset, payload.body.byteLength));
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function resultOf(report: InvocationReport): unknown {
  const body = report.outcome.ok ? report.outcome.response.body : undefined;
  return body === undefined || body.byteLength === 0 ? undefined : JSON.parse(Buffer.from(body).toString('utf8'));
}

/** The request body, refused (413) past the platform's limit. */
async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request) {
    total += (chunk as Buffer).byteLength;
    if (total > maxBytes) throw new IsolaError('PAYLOAD_TOO_LARGE', `the request body is over ${maxBytes} bytes, the limit (ISOLA_MAX_BODY_BYTES)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The messages of a `POST /__isola/queue/{topic}` body: `{"messages": [{"body": ..., "id"?: ...}, ...]}`,
 * or any other JSON value as the body of one message. Each becomes a CloudEvent as the
 * platform's publish API makes it.
 */
function deliveriesOf(body: Buffer): Delivery[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new IsolaError('BAD_REQUEST', 'the body must be JSON: one message\'s body, or {"messages": [{"body": ..., "id"?: "..."}]}');
  }
  const listed = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Array.isArray((parsed as { messages?: unknown }).messages);
  const messages = listed ? ((parsed as { messages: unknown[] }).messages) : [{ body: parsed }];
  if (messages.length === 0) throw new IsolaError('BAD_REQUEST', 'messages is empty: send at least one');
  const now = Date.now();
  return messages.map((message, index) => {
    if (typeof message !== 'object' || message === null || !('body' in message)) throw new IsolaError('BAD_REQUEST', `messages.${index} must be {"body": ..., "id"?: "..."}`);
    const { body: data, id } = message as { body: unknown; id?: unknown };
    if (id !== undefined && (typeof id !== 'string' || id === '')) throw new IsolaError('BAD_REQUEST', `messages.${index}.id must be a non-empty string`);
    const event = wrapInCloudEvent(Buffer.from(JSON.stringify(data ?? null)), 'application/json', { source: 'isola-dev' });
    if (typeof id === 'string') event.id = id;
    return { event, deliveries: 0, publishedAt: now };
  });
}
