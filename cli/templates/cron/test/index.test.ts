// Runs {{name}} in the same sandbox as production, with in-memory state (`npm test` runs `isola test`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadFunction } from '@isola/cli/local';

/** The function's folder: the one above test/. */
const folder = new URL('..', import.meta.url);

test('each run is recorded, newest first, and only KEEP_RUNS are kept', async () => {
  const fn = await loadFunction(folder, { vars: { KEEP_RUNS: '2' } });
  try {
    for (const minute of [0, 5, 10]) {
      const run = await fn.scheduled({ cron: '*/5 * * * *', scheduledTime: Date.UTC(2030, 0, 1, 12, minute) });
      assert.equal(run.ok, true, run.error?.message);
    }
    const runs = (await fn.state('STATE').get('runs')) as { cron: string; scheduledAt: string }[];
    assert.deepEqual(
      runs.map((run) => run.scheduledAt),
      ['2030-01-01T12:10:00.000Z', '2030-01-01T12:05:00.000Z'],
    );
    assert.ok(fn.logs.some((line) => /kept 2, dropped 1/.test(line.message)));

    const response = await fn.fetch('/');
    assert.deepEqual(await response.json(), { runs });
  } finally {
    await fn.close();
  }
});

test('a KEEP_RUNS that is not a number fails the run, and it is not retried', async () => {
  const fn = await loadFunction(folder, { vars: { KEEP_RUNS: 'ten' } });
  try {
    const run = await fn.scheduled({ cron: '*/5 * * * *' });
    assert.equal(run.ok, false);
    assert.match(run.error?.message ?? '', /KEEP_RUNS must be a whole number/);
    assert.equal(run.noRetry, true);
  } finally {
    await fn.close();
  }
});
