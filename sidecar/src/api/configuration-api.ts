import { randomUUID } from 'node:crypto';
import type { Logger } from '@isola/core';
import type { FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import type { SidecarCaller } from '../auth/caller-auth.js';
import type { Components } from '../components/components.js';
import type { ConfigurationItems } from '../components/configuration/configuration-store.js';
import { reach } from './access.js';
import { DaprError } from './dapr-error.js';
import { queryList } from './request-body.js';
import { callerOf } from './sidecar-request.js';

interface Subscription {
  store: string;
  /** Who may end it: a function's name, or null for admins. */
  owner: string | null;
  stop: () => Promise<void>;
}

export interface ConfigurationApiOptions {
  components: Components;
  /** The app channel for Dapr's subscription form; none: only the streaming form. */
  appUrl: string | undefined;
  logger: Logger;
}

/**
 * Dapr's configuration API: get, subscribe, unsubscribe (under v1.0 and the older v1.0-alpha1).
 * A subscription is answered in one of two forms: with `Accept: text/event-stream` (Isola's
 * extension, used by the `config` binding) an SSE stream of `subscribed` then `update` events,
 * ended by closing it; otherwise Dapr's form, `{"id"}` and each change POSTed to the app channel
 * at `{appUrl}/configuration/{store}/{key}`.
 */
export function registerConfigurationApi(app: FastifyInstance, options: ConfigurationApiOptions): { close(): Promise<void> } {
  const { components, logger } = options;
  const subscriptions = new Map<string, Subscription>();
  const appChannel = options.appUrl === undefined ? null : new Pool(options.appUrl, { connections: 8 });

  for (const version of ['v1.0', 'v1.0-alpha1']) {
    app.get<{ Params: { store: string } }>(`/${version}/configuration/:store`, async (request) => {
      const { component } = reach(components, 'configuration', request.params.store, callerOf(request));
      const keys = queryList(request, 'key');
      return component.governor.run('get', { idempotent: true, errorCode: 'ERR_CONFIGURATION_GET' }, () => component.impl.get(keys));
    });

    app.get<{ Params: { store: string } }>(`/${version}/configuration/:store/subscribe`, async (request, reply) => {
      const caller = callerOf(request);
      const store = request.params.store;
      const { component } = reach(components, 'configuration', store, caller);
      const keys = queryList(request, 'key');
      const id = randomUUID();
      const streaming = (request.headers.accept ?? '').includes('text/event-stream');
      if (!streaming && appChannel === null) {
        throw new DaprError(
          400,
          'ERR_CONFIGURATION_SUBSCRIBE',
          'this sidecar has no app channel to POST configuration changes to: subscribe with "Accept: text/event-stream" to receive them on this connection, or start the sidecar with an app URL',
        );
      }
      if (streaming) {
        const stream = reply.raw;
        const send = (event: string, data: unknown) => stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        const stop = await component.governor.run('subscribe', { idempotent: true, errorCode: 'ERR_CONFIGURATION_SUBSCRIBE' }, () =>
          component.impl.subscribe(keys, (items) => send('update', { id, items })),
        );
        // Nothing arrives between the subscription's reply and these lines (no await): the
        // first event is always `subscribed`.
        subscriptions.set(id, { store, owner: ownerOf(caller), stop });
        reply.hijack();
        stream.on('close', () => void end(id));
        if (stream.destroyed) void end(id);
        stream.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        send('subscribed', { id });
        return reply;
      }
      const stop = await component.governor.run('subscribe', { idempotent: true, errorCode: 'ERR_CONFIGURATION_SUBSCRIBE' }, () =>
        component.impl.subscribe(keys, (items) => void deliver(store, id, items)),
      );
      subscriptions.set(id, { store, owner: ownerOf(caller), stop });
      return { id };
    });

    app.get<{ Params: { store: string; id: string } }>(`/${version}/configuration/:store/:id/unsubscribe`, async (request) => {
      const caller = callerOf(request);
      reach(components, 'configuration', request.params.store, caller);
      const subscription = subscriptions.get(request.params.id);
      if (subscription === undefined || subscription.store !== request.params.store || (caller.kind === 'function' && subscription.owner !== caller.name)) {
        return { ok: false, message: `no subscription ${request.params.id} to configuration store "${request.params.store}" of this caller` };
      }
      await end(request.params.id);
      return { ok: true };
    });
  }

  async function end(id: string): Promise<void> {
    const subscription = subscriptions.get(id);
    if (subscription === undefined) return;
    subscriptions.delete(id);
    await subscription.stop().catch((error: Error) => logger.warn({ err: error, subscription: id }, 'ending a configuration subscription failed'));
  }

  async function deliver(store: string, id: string, items: ConfigurationItems): Promise<void> {
    if (appChannel === null) return;
    for (const key of Object.keys(items)) {
      try {
        const response = await appChannel.request({
          method: 'POST',
          path: `/configuration/${encodeURIComponent(store)}/${encodeURIComponent(key)}`,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, items }),
        });
        await response.body.dump();
        if (response.statusCode >= 400) logger.warn({ store, key, status: response.statusCode }, 'the app channel refused a configuration update');
      } catch (error) {
        logger.warn({ store, key, err: error }, 'could not deliver a configuration update to the app channel');
      }
    }
  }

  return {
    async close() {
      await Promise.all([...subscriptions.keys()].map((id) => end(id)));
      await appChannel?.close();
    },
  };
}

function ownerOf(caller: SidecarCaller): string | null {
  return caller.kind === 'function' ? caller.name : null;
}
