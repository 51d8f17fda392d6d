import type { FastifyError, FastifyInstance } from 'fastify';
import { IsolaError } from '@isola/core';
import { DaprError } from './dapr-error.js';

const codeByIsolaCode: Partial<Record<IsolaError['code'], string>> = {
  UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  FORBIDDEN: 'ERR_PERMISSION_DENIED',
  PAYLOAD_TOO_LARGE: 'ERR_BODY_TOO_LARGE',
};

/** The one place where errors become responses, in Dapr's shape: `{"errorCode": "ERR_...", "message": "..."}`. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | IsolaError | DaprError, request, reply) => {
    const dapr = toDaprError(error);
    if (dapr.status >= 500 && !(error instanceof DaprError)) request.log.error({ err: error }, 'request failed');
    if (dapr.retryAfterSeconds !== undefined) void reply.header('retry-after', String(dapr.retryAfterSeconds));
    void reply.code(dapr.status).type('application/json').send(dapr.body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ errorCode: 'ERR_NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}; the sidecar serves the Dapr HTTP API under /v1.0 (see docs/sidecar.md)` });
  });
}

function toDaprError(error: FastifyError | IsolaError | DaprError): DaprError {
  if (error instanceof DaprError) return error;
  if (error instanceof IsolaError) return new DaprError(error.status, codeByIsolaCode[error.code] ?? (error.status >= 500 ? 'ERR_INTERNAL' : 'ERR_BAD_REQUEST'), error.message, error.retryAfterSeconds);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new DaprError(413, 'ERR_BODY_TOO_LARGE', 'the request body is larger than the configured limit (ISOLA_MAX_BODY_BYTES)');
  const status = error.statusCode;
  if (status !== undefined && status < 500) return new DaprError(status, 'ERR_BAD_REQUEST', error.message);
  return new DaprError(500, 'ERR_INTERNAL', 'internal error; see the sidecar logs');
}
