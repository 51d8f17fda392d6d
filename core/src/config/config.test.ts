import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { IsolaError } from '../errors/isola-error.js';
import { loadConfig } from './config.js';

const none = join(tmpdir(), 'isola-no-such-config.yaml');

describe('loadConfig', () => {
  test('documented defaults', () => {
    const config = loadConfig({ env: { ISOLA_CONFIG: undefined }, file: undefined, overrides: {} });
    assert.equal(config.port, 8080);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.grpcPort, 50051);
    assert.equal(config.sidecarPort, 3500);
    assert.equal(config.maxBodyBytes, 6 * 1024 * 1024);
    assert.equal(config.maxFetches, 50);
    assert.ok(config.dataDir.endsWith('.isola'));
    assert.ok(Object.isFrozen(config));
  });

  test('the console folder is unset by default (the gateway finds the package) and made absolute when set', () => {
    assert.equal(loadConfig({ env: { ISOLA_CONFIG: undefined }, file: undefined }).consoleDir, undefined);
    const config = loadConfig({ env: { ISOLA_CONSOLE_DIR: 'built/console' }, file: undefined });
    assert.equal(config.consoleDir, join(process.cwd(), 'built/console'));
  });

  test('environment beats the file, overrides beat the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'isola-config-'));
    const file = join(dir, 'isola.config.yaml');
    writeFileSync(file, 'port: 9000\nworkers: 3\nhost: 0.0.0.0\n');
    const config = loadConfig({ env: { ISOLA_PORT: '9100' }, file, overrides: { workers: 5 } });
    assert.equal(config.port, 9100);
    assert.equal(config.workers, 5);
    assert.equal(config.host, '0.0.0.0');
  });

  test('every invalid setting is reported by the variable that set it', () => {
    assert.throws(
      () => loadConfig({ env: { ISOLA_PORT: 'eighty', REDIS_URL: 'localhost:6379', ISOLA_ADMIN_TOKEN: 'short' }, file: undefined }),
      (error: unknown) =>
        error instanceof IsolaError && /ISOLA_PORT/.test(error.message) && /REDIS_URL/.test(error.message) && /ISOLA_ADMIN_TOKEN/.test(error.message),
    );
  });

  test('ISOLA_MAX_FETCHES takes 0 (no outbound requests) to 10000', () => {
    assert.equal(loadConfig({ env: { ISOLA_MAX_FETCHES: '0' }, file: undefined }).maxFetches, 0);
    assert.equal(loadConfig({ env: { ISOLA_MAX_FETCHES: '200' }, file: undefined }).maxFetches, 200);
    for (const bad of ['-1', '10001', 'many']) assert.throws(() => loadConfig({ env: { ISOLA_MAX_FETCHES: bad }, file: undefined }), /ISOLA_MAX_FETCHES/);
  });

  test('a missing explicit config file is an error', () => {
    assert.throws(() => loadConfig({ env: {}, file: none }), /does not exist/);
  });
});
