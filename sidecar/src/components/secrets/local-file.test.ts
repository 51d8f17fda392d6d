import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LocalFileSecretStore } from './local-file.js';
import { secretStoreConformance } from './secret-store-conformance.js';

/** A temporary folder for secrets files, removed by the returned function. */
function secretsDir(): { file(name: string, content: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'isola-local-file-secrets-'));
  return {
    file: (name, content) => {
      writeFileSync(join(dir, name), content);
      return join(dir, name);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

secretStoreConformance('secretstores.local.file', async (secrets) => {
  const dir = secretsDir();
  const store = new LocalFileSecretStore('localsecrets', dir.file('secrets.json', JSON.stringify(secrets)), ':');
  const sameKey = (name: string) => name;
  return {
    store,
    // A file store has no owners: every caller bound to it, and an admin, read the same secrets.
    readers: [
      { label: 'function billing', request: { caller: { kind: 'function', name: 'billing' }, metadata: {} }, key: sameKey },
      { label: 'function other', request: { caller: { kind: 'function', name: 'other' }, metadata: {} }, key: sameKey },
      { label: 'admin', request: { caller: { kind: 'admin' }, metadata: {} }, key: sameKey },
    ],
    outsiders: [],
    close: async () => dir.remove(),
  };
});

describe('secretstores.local.file', () => {
  const dir = secretsDir();
  const nested = JSON.stringify({ db: { user: 'u', password: 'p', replica: { host: 'h' } }, port: 5432, hosts: ['a', 'b'], top: 't' });
  after(() => dir.remove());

  it('joins nested keys with the separator, ":" by default', async () => {
    const store = new LocalFileSecretStore('files', dir.file('nested.json', nested), ':');
    assert.deepEqual(await store.get('db:replica:host'), { 'db:replica:host': 'h' });
    assert.deepEqual(Object.keys(await store.bulk()).sort(), ['db:password', 'db:replica:host', 'db:user', 'hosts', 'port', 'top']);
    await assert.rejects(store.get('db'), /secret "db" not found/);
  });

  it('takes another separator, and gives values other than strings as JSON text', async () => {
    const store = new LocalFileSecretStore('files', dir.file('dotted.json', nested), '.');
    assert.deepEqual(await store.get('db.password'), { 'db.password': 'p' });
    await assert.rejects(store.get('db:password'), /not found/);
    assert.deepEqual(await store.get('port'), { port: '5432' });
    assert.deepEqual(await store.get('hosts'), { hosts: '["a","b"]' });
  });

  describe('refusing a file it cannot use', () => {
    it('names the file and metadata secretsFile when it is missing or not JSON', () => {
      assert.throws(() => new LocalFileSecretStore('files', join(tmpdir(), `isola-no-such-secrets-${process.pid}.json`), ':'), /secret store "files": cannot read the secrets file .* \(metadata secretsFile\)/);
      assert.throws(() => new LocalFileSecretStore('files', dir.file('broken.json', '{nope'), ':'), /\(metadata secretsFile\) as JSON/);
    });

    it('wants a JSON object of secrets', () => {
      assert.throws(() => new LocalFileSecretStore('files', dir.file('array.json', '["a"]'), ':'), /must hold a JSON object of secrets/);
    });
  });
});
