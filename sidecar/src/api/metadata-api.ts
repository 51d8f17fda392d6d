import type { FastifyInstance } from 'fastify';
import type { Components } from '../components/components.js';

/** `GET /v1.0/metadata` as Dapr answers it (the SDKs also use it to wait for the sidecar). */
export function registerMetadataApi(app: FastifyInstance, components: Components, appId: string): void {
  app.get('/v1.0/metadata', async () => ({
    id: appId,
    runtimeVersion: 'isola',
    enabledFeatures: [],
    actors: [],
    components: components.list().map((component) => ({
      name: component.definition.name,
      type: component.definition.type,
      version: component.definition.version,
      capabilities: component.capabilities,
    })),
    extended: {},
    subscriptions: [],
    httpEndpoints: [],
  }));
}
