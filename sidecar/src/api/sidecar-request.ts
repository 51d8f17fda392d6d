import type { FastifyRequest } from 'fastify';
import type { SidecarCaller } from '../auth/caller-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every route that needs a caller. */
    sidecarCaller: SidecarCaller | null;
  }
}

/** The authenticated caller of a request (routes behind the authentication hook only). */
export function callerOf(request: FastifyRequest): SidecarCaller {
  const caller = request.sidecarCaller;
  if (caller === null) throw new Error(`${request.method} ${request.url} ran without the authentication hook`);
  return caller;
}
