// `isola up --deploy` bundles folders like `isola deploy` (npm dependencies included), and
// `isola logs --follow` outlives a restart of the platform: it reconnects with Last-Event-ID
// and goes on printing, without repeating a line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '@isola/core';
import { cliFixtures, startCli, waitFor } from './cli-runner.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

test('isola up --deploy bundles an npm dependency; logs --follow reconnects after the platform restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'isola-cli-reconnect-'));
  const port = await freePort();
  const token = `test_reconnect_${Date.now()}`;
  const start = (args: string[] = []) => spawnPlatform({ dataDir, token, args, env: { ISOLA_PORT: String(port), ISOLA_WORKERS: '1' } });
  let platform: SpawnedPlatform | null = await start(['--deploy', join(cliFixtures, 'deploy/ts-with-zod')]);
  await waitFor('the deploy', () => platform?.output() ?? '', /Deployed cli-orders v1: /);
  const follower = startCli(['logs', 'cli-orders', '--follow'], { env: { ISOLA_URL: platform.url, ISOLA_TOKEN: token } });
  try {
    const ordered = await fetch(`${platform.url}/fn/cli-orders/`, { method: 'POST', body: JSON.stringify({ sku: 'R1', quantity: 2 }) });
    assert.deepEqual(await ordered.json(), { sku: 'R1', total: 500 });

    await waitFor('the tail opening', () => follower.output().stderr, 'Following the logs of cli-orders');
    await waitFor('the line before the restart', () => follower.output().stdout, /\] order R1 x2$/m);

    await platform.stop({ keepDataDir: true });
    platform = null;
    await waitFor('the tail noticing', () => follower.output().stderr, /Connection lost \(.*\); reconnecting in \d+ s…/);
    platform = await start();
    // Written at once, while the tail most likely still waits out its backoff: Last-Event-ID
    // brings it (had the tail reconnected already, it comes live).
    assert.equal((await fetch(`${platform.url}/fn/cli-orders/after-restart`)).status, 200);
    await waitFor('the line after the restart', () => follower.output().stdout, /\] GET \/fn\/cli-orders\/after-restart$/m, 30_000);
    assert.match(follower.output().stderr, /^Reconnected\.$/m);
    assert.equal(follower.output().stdout.match(/order R1 x2/g)?.length, 1, 'the line before the restart is not printed again');
  } finally {
    follower.kill('SIGINT');
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  assert.equal(await follower.exited, 0);
});
