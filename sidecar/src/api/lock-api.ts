import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Components } from '../components/components.js';
import { reach } from './access.js';
import { DaprError } from './dapr-error.js';
import { jsonBody, parseBody } from './request-body.js';
import { callerOf } from './sidecar-request.js';

const lockBody = z.looseObject({ resourceId: z.string().min(1), lockOwner: z.string().min(1), expiryInSeconds: z.number().int().positive() });
const unlockBody = z.looseObject({ resourceId: z.string().min(1), lockOwner: z.string().min(1) });

/**
 * Dapr's lock API (alpha): a function's resource ids get its prefix. Neither call is retried:
 * a retried lock that had landed would report the caller's own lock as taken, a retried unlock
 * "does not exist".
 */
export function registerLockApi(app: FastifyInstance, components: Components): void {
  app.post<{ Params: { store: string } }>('/v1.0-alpha1/lock/:store', async (request) => {
    const body = parseBody(lockBody, jsonBody(request), 'the body must be {resourceId, lockOwner, expiryInSeconds (> 0)}');
    const { component, prefix } = reach(components, 'lock', request.params.store, callerOf(request));
    const success = await component.governor.run('lock', { idempotent: false, errorCode: 'ERR_TRY_LOCK' }, () =>
      component.impl.tryLock(prefix + body.resourceId, body.lockOwner, body.expiryInSeconds),
    );
    return { success };
  });

  app.post<{ Params: { store: string } }>('/v1.0-alpha1/unlock/:store', async (request, reply) => {
    const body = parseBody(unlockBody, jsonBody(request), 'the body must be {resourceId, lockOwner}');
    const { component, prefix } = reach(components, 'lock', request.params.store, callerOf(request));
    try {
      const status = await component.governor.run('unlock', { idempotent: false, errorCode: 'ERR_UNLOCK' }, () => component.impl.unlock(prefix + body.resourceId, body.lockOwner));
      return { status };
    } catch (error) {
      // Dapr's status 3 (internal error) comes with the error, so callers see why.
      if (error instanceof DaprError && !error.callerFault) return reply.code(error.status).send({ status: 3, ...error.body });
      throw error;
    }
  });
}
