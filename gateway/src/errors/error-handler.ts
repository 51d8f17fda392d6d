import { STATUS_CODES, maxHeaderSize, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, IsolaError, isErrorCode, type ErrorCode } from '@isola/core';

/** Fastify's own errors carry an HTTP status; give each a code from our catalogue. */
const codeByStatus: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  417: 'EXPECTATION_FAILED',
  429: 'RATE_LIMITED',
  431: 'HEADERS_TOO_LARGE',
};

/** The one place where errors become HTTP responses: `{"error": {code, message, ...}}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | IsolaError, request, reply) => {
    const isola = toResponseError(error, request);
    if (isola.fault === 'system' && isola.retryAfterSeconds === undefined) request.log.error({ err: error }, 'request failed');
    if (isola.retryAfterSeconds !== undefined) void reply.header('retry-after', String(isola.retryAfterSeconds));
    void reply.code(isola.status).type('application/json').send(errorBody(isola.toShape()));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody(noRouteError(request).toShape()));
  });
  // Node refuses an HTTP/1.1 request without Host itself, with an empty body, unless told not to
  // (`requireHostHeader: false`, set where the server is made): refused here in our format.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') done(new IsolaError('BAD_REQUEST', 'an HTTP/1.1 request needs a Host header'));
    else done();
  });
  // Without a listener Node answers an Expect other than 100-continue with a bare 417.
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const error = new IsolaError('EXPECTATION_FAILED', `unsupported Expect header ${JSON.stringify(request.headers.expect ?? '')}; only 100-continue is supported`);
    response.writeHead(error.status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' }).end(JSON.stringify(errorBody(error.toShape())));
  });
}

/** The router's `maxParamLength`: function paths may be long and carry any characters their authors choose. */
export const maxPathSegmentLength = 2048;

/** A path segment the router will not take as a parameter (a function name, a token id...). */
export function segmentTooLongError(): IsolaError {
  return new IsolaError('URI_TOO_LONG', `a segment of the path is longer than the ${maxPathSegmentLength} characters the router takes`);
}

/** The 404 of a request no route takes: what the gateway serves where. */
export function noRouteError(request: FastifyRequest): IsolaError {
  return new IsolaError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}; the API lives under /api/v1, functions under /fn/{name} and the web console at /`);
}

/**
 * Fastify option `frameworkErrors`: errors its router raises before any route or error handler
 * runs (a path that is not valid percent-encoded UTF-8, a path segment over `maxParamLength`).
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const isola =
    error.code === 'FST_ERR_BAD_URL'
      ? new IsolaError('BAD_REQUEST', `the path ${JSON.stringify(shorten(request.url.split('?')[0] ?? ''))} is not valid percent-encoded UTF-8`)
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? segmentTooLongError()
        : toResponseError(error, request);
  if (isola.fault === 'system') request.log.error({ err: error }, 'request failed');
  void reply.code(isola.status).type('application/json').send(errorBody(isola.toShape()));
}

/**
 * Fastify option `clientErrorHandler`: a request Node's HTTP parser refused (bad request line,
 * header or framing; headers over the size limit; too slow). Answered in our format on the raw
 * socket, which is then closed.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException & { reason?: string }, socket: Socket): void {
  // A reset connection, or one already gone: nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.trace({ err: error }, 'client error');
  const isola =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new IsolaError('REQUEST_TIMEOUT', 'the request did not arrive in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new IsolaError('HEADERS_TOO_LARGE', `the request line and headers are larger than ${maxHeaderSize} bytes`)
        : new IsolaError('BAD_REQUEST', `malformed HTTP request: ${error.reason ?? error.message}`);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(isola.toShape()));
  socket.end(
    `HTTP/1.1 ${isola.status} ${STATUS_CODES[isola.status] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  // A client that keeps the connection open after the answer is not waited for.
  setTimeout(() => socket.destroy(), 1_000).unref();
}

function toResponseError(error: FastifyError | IsolaError, request: FastifyRequest): IsolaError {
  if (error instanceof IsolaError) return error;
  const status = error.statusCode;
  if (status !== undefined && status < 500) {
    const code = codeByStatus[status] ?? 'BAD_REQUEST';
    return new IsolaError(isErrorCode(code) ? code : 'BAD_REQUEST', friendlyMessage(error, request));
  }
  return new IsolaError('INTERNAL', 'internal error; see the platform logs');
}

function friendlyMessage(error: FastifyError, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is larger than the configured limit (ISOLA_MAX_BODY_BYTES)';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      // Fastify also refuses a Content-Type that is no media type at all, on any route.
      const type = request.headers['content-type'] ?? '';
      return mediaTypePattern.test(type)
        ? `unsupported content type ${JSON.stringify(shorten(type))}; the API takes application/json (a deploy also application/gzip)`
        : `the Content-Type header ${JSON.stringify(shorten(type))} is not a media type such as application/json`;
    }
    default:
      return error.message;
  }
}

/** `type/subtype`, then parameters or nothing. */
const mediaTypePattern = /^\s*[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;|$)/;

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
