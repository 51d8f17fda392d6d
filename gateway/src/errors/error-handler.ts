import type { FastifyError, FastifyInstance } from 'fastify';
import { errorBody, IsolaError, isErrorCode, type ErrorCode } from '@isola/core';

/** Fastify's own errors carry an HTTP status; give each a code from our catalogue. */
const codeByStatus: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/** The one place where errors become HTTP responses: `{"error": {code, message, ...}}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | IsolaError, request, reply) => {
    const isola = toResponseError(error);
    if (isola.fault === 'system') request.log.error({ err: error }, 'request failed');
    void reply.code(isola.status).type('application/json').send(errorBody(isola.toShape()));
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new IsolaError('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}; the API lives under /api/v1 and functions under /fn/{name}`);
    void reply.code(404).send(errorBody(error.toShape()));
  });
}

function toResponseError(error: FastifyError | IsolaError): IsolaError {
  if (error instanceof IsolaError) return error;
  const status = error.statusCode;
  if (status !== undefined && status < 500) {
    const code = codeByStatus[status] ?? 'BAD_REQUEST';
    return new IsolaError(isErrorCode(code) ? code : 'BAD_REQUEST', friendlyMessage(error));
  }
  return new IsolaError('INTERNAL', 'internal error; see the platform logs');
}

function friendlyMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is larger than the configured limit (ISOLA_MAX_BODY_BYTES)';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported content type: ${error.message}; send application/json`;
    default:
      return error.message;
  }
}
