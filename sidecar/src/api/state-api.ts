import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Components } from '../components/components.js';
import { EtagMismatch, type StateWrite, type WriteCondition } from '../components/state/state-store.js';
import { reach } from './access.js';
import { DaprError, malformed } from './dapr-error.js';
import { jsonBody, parseBody as parse, queryMetadata } from './request-body.js';
import { callerOf } from './sidecar-request.js';

const options = z.looseObject({ concurrency: z.string().optional(), consistency: z.string().optional() }).optional();
const metadata = z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional();
const etag = z.union([z.string(), z.number().transform(String)]).optional();
const upsert = z.looseObject({ key: z.string().min(1), value: z.unknown(), etag, metadata, options });
const remove = z.looseObject({ key: z.string().min(1), etag, metadata, options });
const saveBody = z.array(upsert);
const bulkBody = z.looseObject({ keys: z.array(z.string().min(1)), parallelism: z.number().optional() });
const transactionBody = z.looseObject({
  operations: z.array(
    z.discriminatedUnion('operation', [z.looseObject({ operation: z.literal('upsert'), request: upsert }), z.looseObject({ operation: z.literal('delete'), request: remove })]),
  ),
  metadata: z.unknown().optional(),
});

/**
 * Dapr's state API. A function's keys get its prefix (see access.ts); answers carry the keys as
 * the caller named them. ETags are checked by the store; a mismatch applies nothing (409).
 * Writes without any condition are idempotent and retried on failure; conditional writes are
 * not (a retry of one that landed would fail its own condition).
 */
export function registerStateApi(app: FastifyInstance, components: Components): void {
  app.get<{ Params: { store: string; key: string } }>('/v1.0/state/:store/:key', async (request, reply) => {
    const key = checkedKey(request.params.key, request);
    const { component, prefix } = reach(components, 'state', request.params.store, callerOf(request));
    const item = await component.governor.run('get', { idempotent: true, errorCode: 'ERR_STATE_GET' }, () => component.impl.get(prefix + key));
    if (item === null) return reply.code(204).send();
    return reply.code(200).header('etag', item.etag).type('application/json').send(item.value);
  });

  app.post<{ Params: { store: string } }>('/v1.0/state/:store', async (request, reply) => {
    const items = parse(saveBody, jsonBody(request) ?? [], 'the body must be a JSON array of {key, value, etag?, metadata?, options?}');
    const { component, prefix } = reach(components, 'state', request.params.store, callerOf(request));
    const defaults = queryMetadata(request);
    const writes = items.map((item): StateWrite => ({ kind: 'upsert', ...upsertOf(item, defaults), key: prefix + checkedKey(item.key, request) }));
    await write(component, prefix, writes, 'save', 'ERR_STATE_SAVE');
    return reply.code(204).send();
  });

  app.delete<{ Params: { store: string; key: string } }>('/v1.0/state/:store/:key', async (request, reply) => {
    const key = checkedKey(request.params.key, request);
    const { component, prefix } = reach(components, 'state', request.params.store, callerOf(request));
    const query = request.query as Record<string, unknown>;
    const ifMatch = request.headers['if-match'];
    const condition = conditionOf(ifMatch === undefined ? undefined : String(ifMatch), typeof query.concurrency === 'string' ? query.concurrency : undefined, 'delete');
    await write(component, prefix, [{ kind: 'delete', key: prefix + key, condition }], 'delete', 'ERR_STATE_DELETE');
    return reply.code(204).send();
  });

  app.post<{ Params: { store: string } }>('/v1.0/state/:store/bulk', async (request, reply) => {
    const body = parse(bulkBody, jsonBody(request), 'the body must be {keys: [...], parallelism?}');
    const keys = body.keys.map((key) => checkedKey(key, request));
    const { component, prefix } = reach(components, 'state', request.params.store, callerOf(request));
    const items = await component.governor.run('bulkGet', { idempotent: true, errorCode: 'ERR_STATE_BULK_GET' }, () => component.impl.getBulk(keys.map((key) => prefix + key)));
    const answer = keys.map((key, index) => {
      const item = items[index];
      return item === null || item === undefined ? { key } : { key, data: JSON.parse(item.value) as unknown, etag: item.etag };
    });
    return reply.code(200).send(answer);
  });

  app.post<{ Params: { store: string } }>('/v1.0/state/:store/transaction', async (request, reply) => {
    const body = parse(transactionBody, jsonBody(request), 'the body must be {operations: [{operation: upsert|delete, request: {key, ...}}]}');
    const { component, prefix } = reach(components, 'state', request.params.store, callerOf(request));
    const writes = body.operations.map((operation): StateWrite => {
      const key = prefix + checkedKey(operation.request.key, request);
      if (operation.operation === 'upsert') return { kind: 'upsert', ...upsertOf(operation.request, {}), key };
      return { kind: 'delete', key, condition: conditionOf(operation.request.etag, operation.request.options?.concurrency, 'delete') };
    });
    await write(component, prefix, writes, 'transaction', 'ERR_STATE_TRANSACTION');
    return reply.code(204).send();
  });
}

async function write(component: ReturnType<typeof reach<'state'>>['component'], prefix: string, writes: StateWrite[], operation: string, errorCode: string): Promise<void> {
  if (writes.length === 0) return;
  const idempotent = writes.every((item) => item.condition === null);
  try {
    await component.governor.run(operation, { idempotent, errorCode }, () => component.impl.write(writes));
  } catch (error) {
    if (error instanceof EtagMismatch) {
      // The store names the stored key; the caller knows it without the prefix.
      throw new DaprError(409, errorCode, error.message.replace(`"${error.key}"`, `"${error.key.slice(prefix.length)}"`));
    }
    throw error;
  }
}

function upsertOf(item: z.infer<typeof upsert>, defaults: Record<string, string>): { value: string; condition: WriteCondition; ttlSeconds?: number } {
  const ttl = item.metadata?.ttlInSeconds ?? defaults.ttlInSeconds;
  const result: { value: string; condition: WriteCondition; ttlSeconds?: number } = {
    value: JSON.stringify(item.value ?? null),
    condition: conditionOf(item.etag, item.options?.concurrency, 'upsert'),
  };
  if (ttl !== undefined) {
    const seconds = Number(ttl);
    if (!Number.isInteger(seconds) || seconds < -1) throw malformed(`metadata.ttlInSeconds of key "${item.key}" must be a whole number of seconds (-1: no expiry)`);
    if (seconds > 0) result.ttlSeconds = seconds;
  }
  return result;
}

/**
 * Dapr's concurrency: last-write ignores any ETag; otherwise an ETag must match, and
 * first-write without one means "only if the key does not exist yet".
 */
function conditionOf(etag: string | undefined, concurrency: string | undefined, kind: 'upsert' | 'delete'): WriteCondition {
  if (concurrency !== undefined && concurrency !== 'first-write' && concurrency !== 'last-write') {
    throw malformed(`options.concurrency must be first-write or last-write, not ${JSON.stringify(concurrency)}`);
  }
  if (concurrency === 'last-write') return null;
  if (etag !== undefined && etag !== '') {
    if (!/^\d{1,15}$/.test(etag)) throw new DaprError(400, kind === 'upsert' ? 'ERR_STATE_SAVE' : 'ERR_STATE_DELETE', `invalid etag ${JSON.stringify(etag)}: ETags of this store are version numbers; use the one a get answered`);
    return { etag };
  }
  return concurrency === 'first-write' && kind === 'upsert' ? 'absent' : null;
}

/**
 * Dapr refuses `||` in keys: it separates the prefix from the key, so a function could name
 * another's keys with it. Admins outside the platform use raw keys and may name any key,
 * a function's `<function>||<key>` included (to inspect or seed its state).
 */
function checkedKey(key: string, request: FastifyRequest): string {
  if (key.includes('||') && callerOf(request).kind === 'function') throw malformed(`input key "${key}" can't contain '||'`);
  return key;
}
