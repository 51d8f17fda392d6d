import type { FastifyInstance } from 'fastify';
import { checkService } from './access.js';
import { malformed } from './dapr-error.js';
import { rawBody } from './request-body.js';
import { callerOf } from './sidecar-request.js';
import type { GatewayClient } from '../invoke/gateway-client.js';

/**
 * Dapr's service invocation, mapped onto functions' RPC methods: `/v1.0/invoke/{function}/method/{method}`
 * with any HTTP verb (Dapr SDKs default to GET). A JSON array body is the argument list, any
 * other JSON value the one argument, an empty body none. The answer is the method's result as
 * JSON (200), as Dapr passes on the app's body; a gateway error keeps its status and body.
 * Not retried: the method may not be idempotent.
 */
export function registerInvokeApi(app: FastifyInstance, gateway: GatewayClient): void {
  app.route<{ Params: { fn: string; method: string } }>({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/v1.0/invoke/:fn/method/:method',
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const { fn, method } = request.params;
      checkService(caller, fn);
      const answer = await gateway.invoke(caller, fn, method, argsJsonOf(rawBody(request)));
      if (answer.status !== 200) return reply.code(answer.status).type(answer.contentType).send(answer.body);
      let result: unknown;
      try {
        result = (JSON.parse(answer.body.toString('utf8')) as { result?: unknown }).result;
      } catch {
        return reply.code(502).send({ errorCode: 'ERR_DIRECT_INVOKE', message: `the gateway answered the call of ${fn}.${method} with a body that is not JSON` });
      }
      return reply.code(200).type('application/json').send(JSON.stringify(result ?? null));
    },
  });
}

function argsJsonOf(body: Buffer): string {
  if (body.length === 0) return '[]';
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('the body of a function call must be JSON: an array of arguments, or one argument');
  }
  return Array.isArray(value) ? text : `[${text}]`;
}
