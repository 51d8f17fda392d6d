import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { resolveSecretKey, secretKeyFile } from './secret-key.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'isola-secret-key-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('resolveSecretKey', () => {
  test('ISOLA_SECRET_KEY as base64 (standard, URL-safe, with or without padding) or as 64 hex characters; no file is written', () => {
    const key = randomBytes(32);
    const dataDir = join(tempDir(), 'data');
    for (const text of [key.toString('base64'), key.toString('base64').replace(/=$/, ''), key.toString('base64url'), key.toString('hex'), key.toString('hex').toUpperCase(), ` ${key.toString('base64')}\n`]) {
      assert.deepEqual(resolveSecretKey({ secretKey: text, dataDir }), key, text);
    }
    assert.throws(() => statSync(dataDir), /ENOENT/);
  });

  test('a malformed ISOLA_SECRET_KEY says which formats work and how to make one, without echoing the value', () => {
    const bad = ['short', randomBytes(16).toString('base64'), randomBytes(33).toString('base64'), randomBytes(32).toString('hex').slice(1), 'correct horse battery staple and more words to pad'];
    for (const secretKey of bad) {
      assert.throws(
        () => resolveSecretKey({ secretKey, dataDir: tempDir() }),
        (error: unknown) => {
          assert.ok(error instanceof IsolaError);
          assert.equal(error.code, 'BAD_REQUEST');
          assert.match(error.message, /ISOLA_SECRET_KEY must be 32 random bytes written as base64 \(44 characters\) or as 64 hex characters/);
          assert.match(error.message, /openssl rand -base64 32/);
          assert.ok(!error.message.includes(secretKey), 'the message must not contain the value');
          return true;
        },
      );
    }
  });

  test('unset: a key is generated into <dataDir>/secret.key with mode 0600, and the next call reads the same one', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = resolveSecretKey({ dataDir });
    assert.equal(first.length, 32);
    const file = secretKeyFile(dataDir);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), first);
    assert.deepEqual(resolveSecretKey({ dataDir }), first);
    assert.deepEqual(resolveSecretKey({ secretKey: undefined, dataDir }), first);
    assert.deepEqual(readdirSync(dataDir), ['secret.key'], 'nothing is left beside the key file');
  });

  test('an existing key file (base64 or hex) is used; a damaged one is an error naming the file', () => {
    const dataDir = tempDir();
    const key = randomBytes(32);
    writeFileSync(secretKeyFile(dataDir), `${key.toString('hex')}\n`);
    assert.deepEqual(resolveSecretKey({ dataDir }), key);
    writeFileSync(secretKeyFile(dataDir), 'not a key\n');
    assert.throws(() => resolveSecretKey({ dataDir }), (error: unknown) => {
      assert.ok(error instanceof IsolaError);
      assert.match(error.message, new RegExp(`secret key file ${secretKeyFile(dataDir).replace(/[.]/g, '\\.')} does not hold a 32-byte key`));
      return true;
    });
  });

  test('processes starting at once on an empty data dir all end up with the same key', async () => {
    const dataDir = tempDir();
    const moduleUrl = new URL('./secret-key.js', import.meta.url).href;
    const startAt = Date.now() + 400;
    // Each process spins until the same instant, then resolves the key.
    const script = `import { resolveSecretKey } from ${JSON.stringify(moduleUrl)};
      while (Date.now() < ${startAt}) {}
      process.stdout.write(resolveSecretKey({ dataDir: process.env.DATA_DIR }).toString('hex'));`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
      });
    const keys = await Promise.all(Array.from({ length: 8 }, run));
    assert.equal(new Set(keys).size, 1, keys.join('\n'));
    assert.equal(keys[0], Buffer.from(readFileSync(secretKeyFile(dataDir), 'utf8').trim(), 'base64').toString('hex'));
    assert.deepEqual(readdirSync(dataDir), ['secret.key']);
  });
});
