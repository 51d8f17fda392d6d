import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SecretStore } from '@isola/core';
import { startTestRedis, type TestRedis } from '@isola/core/testing';
import { DaprError } from '../../api/dapr-error.js';
import { IsolaSecretStore } from './isola.js';
import { secretStoreConformance, type SecretReader } from './secret-store-conformance.js';
import type { SecretRequest } from './secret-store.js';

const asFunction = (name: string): SecretRequest => ({ caller: { kind: 'function', name }, metadata: {} });
const asAdmin = (metadata: Record<string, string> = {}): SecretRequest => ({ caller: { kind: 'admin' }, metadata });

/** The platform's secrets over a test Redis, with billing's and other's secrets put. */
async function platformSecrets(billing: Readonly<Record<string, string>>): Promise<{ store: IsolaSecretStore; redis: TestRedis }> {
  const redis = await startTestRedis();
  const secrets = new SecretStore(redis.redis, randomBytes(32));
  for (const [name, value] of Object.entries(billing)) await secrets.put('billing', name, value);
  await secrets.put('other', 'OTHER_KEY', 'sk_other');
  return { store: new IsolaSecretStore('secretstore', secrets), redis };
}

secretStoreConformance('secretstores.isola', async (secrets) => {
  const { store, redis } = await platformSecrets(secrets);
  // A function reads its own secrets by name; an admin names the function.
  const readers: SecretReader[] = [
    { label: 'function billing', request: asFunction('billing'), key: (name) => name },
    { label: 'admin naming billing', request: asAdmin({ function: 'billing' }), key: (name) => `billing:${name}` },
  ];
  const outsiders: SecretReader[] = [
    { label: 'function other', request: asFunction('other'), key: (name) => name },
    { label: 'function other naming billing', request: asFunction('other'), key: (name) => `billing:${name}` },
    { label: 'admin naming other', request: asAdmin({ function: 'other' }), key: (name) => `other:${name}` },
  ];
  return { store, readers, outsiders, close: () => redis.stop() };
});

describe('secretstores.isola addressing', () => {
  let store: IsolaSecretStore;
  let redis: TestRedis;
  before(async () => {
    ({ store, redis } = await platformSecrets({ STRIPE_KEY: 'sk_billing' }));
  });
  after(() => redis.stop());
  const malformedSaying = (pattern: RegExp) => (error: unknown) => error instanceof DaprError && error.status === 400 && error.errorCode === 'ERR_MALFORMED_REQUEST' && pattern.test(error.message);

  it('reads the caller function\'s own secrets, whatever metadata.function says', async () => {
    assert.deepEqual(await store.bulk({ caller: { kind: 'function', name: 'billing' }, metadata: { function: 'other' } }), { STRIPE_KEY: { STRIPE_KEY: 'sk_billing' } });
  });

  it('splits an admin key at the first colon: <function>:<NAME>', async () => {
    assert.deepEqual(await store.get('billing:STRIPE_KEY', asAdmin()), { 'billing:STRIPE_KEY': 'sk_billing' });
  });

  it('asks an admin to name the function, in a key and in a bulk read', async () => {
    await assert.rejects(store.get('STRIPE_KEY', asAdmin()), malformedSaying(/<function>:<NAME> \(e\.g\. cart-api:STRIPE_KEY\)/));
    await assert.rejects(store.get(':STRIPE_KEY', asAdmin()), malformedSaying(/<function>:<NAME>/));
    await assert.rejects(store.bulk(asAdmin()), malformedSaying(/\?metadata\.function=<function>/));
    await assert.rejects(store.bulk(asAdmin({ function: '' })), malformedSaying(/\?metadata\.function=<function>/));
  });

  it('gives a function without secrets an empty bulk read', async () => {
    assert.deepEqual(await store.bulk(asFunction('nobody')), {});
  });
});
