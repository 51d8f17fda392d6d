// Secrets from both stores: a local file (flattened keys) and the platform's function secrets,
// which a function reads only its own of, and an admin names by <function>:<NAME>.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SecretStore } from '@isola/core';
import { defaultComponents } from '../components/component-files.js';
import { startTestSidecar, type TestSidecar } from '../testing/test-sidecar.js';

describe('secrets API', () => {
  let test: TestSidecar;
  let billing: number;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-secrets-'));
    writeFileSync(join(dir, 'secrets.json'), JSON.stringify({ db: { user: 'u', password: 'p' } }));
    test = await startTestSidecar({
      components: () => [...defaultComponents(), { name: 'files', type: 'secretstores.local.file', version: 'v1', metadata: { secretsFile: join(dir, 'secrets.json'), nestedSeparator: '.' }, scopes: null, source: 'test' }],
    });
    const secrets = new SecretStore(test.redis.redis, test.secretKey);
    await secrets.put('billing', 'STRIPE_KEY', 'sk_billing');
    await secrets.put('other', 'STRIPE_KEY', 'sk_other');
    billing = await test.deploy('billing', { FILES: { type: 'secret', store: 'files' } });
  });
  after(() => test.stop());
  const admin = () => ({ 'dapr-api-token': test.adminToken });
  const json = async (path: string, headers: Record<string, string>) => {
    const response = await test.call(path, { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('reads a bound file store with its separator, and 404 for a missing key', async () => {
    assert.deepEqual(await json('/v1.0/secrets/files/db.password', test.functionHeaders('billing', billing)), { status: 200, body: { 'db.password': 'p' } });
    assert.deepEqual((await json('/v1.0/secrets/files/bulk', admin())).body, { 'db.user': { 'db.user': 'u' }, 'db.password': { 'db.password': 'p' } });
    const missing = await json('/v1.0/secrets/files/nope', admin());
    assert.equal(missing.status, 404);
    assert.equal(missing.body.errorCode, 'ERR_SECRET_GET');
  });

  it("gives a function its own platform secrets by name, never another function's", async () => {
    assert.deepEqual(await json('/v1.0/secrets/secretstore/STRIPE_KEY', test.functionHeaders('billing', billing)), { status: 200, body: { STRIPE_KEY: 'sk_billing' } });
    assert.equal((await json('/v1.0/secrets/secretstore/other:STRIPE_KEY', test.functionHeaders('billing', billing))).status, 404);
    assert.deepEqual((await json('/v1.0/secrets/secretstore/bulk', test.functionHeaders('billing', billing))).body, { STRIPE_KEY: { STRIPE_KEY: 'sk_billing' } });
  });

  it('lets an admin name the function, and asks for it in a bulk read', async () => {
    assert.deepEqual((await json('/v1.0/secrets/secretstore/other:STRIPE_KEY', admin())).body, { 'other:STRIPE_KEY': 'sk_other' });
    const unnamed = await json('/v1.0/secrets/secretstore/bulk', admin());
    assert.equal(unnamed.status, 400);
    assert.match(String(unnamed.body.message), /metadata\.function=<function>/);
    assert.deepEqual((await json('/v1.0/secrets/secretstore/bulk?metadata.function=other', admin())).body, { STRIPE_KEY: { STRIPE_KEY: 'sk_other' } });
  });

  it('answers 401 ERR_SECRET_STORE_NOT_FOUND for an unknown store, as Dapr does', async () => {
    const response = await json('/v1.0/secrets/vault/x', admin());
    assert.equal(response.status, 401);
    assert.equal(response.body.errorCode, 'ERR_SECRET_STORE_NOT_FOUND');
  });
});
