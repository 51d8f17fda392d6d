import type { FastifyInstance } from 'fastify';
import type { SidecarCaller } from '../auth/caller-auth.js';
import type { Components } from '../components/components.js';
import type { SecretRequest } from '../components/secrets/secret-store.js';
import { reach } from './access.js';
import { queryMetadata } from './request-body.js';
import { callerOf } from './sidecar-request.js';

/** Dapr's secrets API. Reads are idempotent: retried on failure. */
export function registerSecretsApi(app: FastifyInstance, components: Components): void {
  app.get<{ Params: { store: string } }>('/v1.0/secrets/:store/bulk', async (request) => {
    const caller = callerOf(request);
    const { component } = reach(components, 'secrets', request.params.store, caller);
    const secretRequest = secretRequestOf(caller, queryMetadata(request));
    return component.governor.run('bulkGet', { idempotent: true, errorCode: 'ERR_SECRET_GET' }, () => component.impl.bulk(secretRequest));
  });

  app.get<{ Params: { store: string; key: string } }>('/v1.0/secrets/:store/:key', async (request) => {
    const caller = callerOf(request);
    const { component } = reach(components, 'secrets', request.params.store, caller);
    const secretRequest = secretRequestOf(caller, queryMetadata(request));
    return component.governor.run('get', { idempotent: true, errorCode: 'ERR_SECRET_GET' }, () => component.impl.get(request.params.key, secretRequest));
  });
}

function secretRequestOf(caller: SidecarCaller, metadata: Record<string, string>): SecretRequest {
  return { caller: caller.kind === 'function' ? { kind: 'function', name: caller.name } : { kind: 'admin' }, metadata };
}
