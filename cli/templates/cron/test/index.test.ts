// Runs {{name}} in the same sandbox as production, with in-memory state (`npm test` runs `isola test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFunction } from '@isola/cli/local';

test('each run is recorded, newest first, and only KEEP_RUNS are kept', async () => {
  const fn = await loadFunction('.', { vars: { KEEP_RUNS: '2' } });
  try {
    for (let run = 0; run < 3; run += 1) await fn.scheduled({ cron: '*/5 * * * *' });
    const runs = (await fn.state('STATE').get('runs')) as { cron: string; scheduledAt: string }[];
    assert.equal(runs.length, 2);
    assert.ok(runs.every((run) => run.cron === '*/5 * * * *'));
    assert.ok(fn.logs.some((line) => /kept 2, dropped 1/.test(line.message)));

    const response = await fn.fetch('/');
    assert.deepEqual(await response.json(), { runs });
  } finally {
    await fn.close();
  }
});

test('a KEEP_RUNS that is not a number fails the run', async () => {
  const fn = await loadFunction('.', { vars: { KEEP_RUNS: 'ten' } });
  try {
    await assert.rejects(fn.scheduled({ cron: '*/5 * * * *' }), /KEEP_RUNS must be a whole number/);
  } finally {
    await fn.close();
  }
});
