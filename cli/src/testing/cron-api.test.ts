import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventually, TestApi } from './e2e-helpers.js';
import { spawnPlatform, type SpawnedPlatform } from './spawn-platform.js';

// The cron trigger inside a real `isola up` and its control-plane routes. Whether `scheduled()`
// itself runs is the sandbox's business: these check what reaches the queue and the records.
let platform: SpawnedPlatform;

const handler = 'export default { async scheduled(controller) { console.log("tick", controller.cron, controller.scheduledTime); }, fetch: () => new Response("ok") };';

before(async () => {
  platform = await spawnPlatform({ env: { ISOLA_WORKERS: '1' } });
  await deploy('ticker', ['*/2 * * * * *', { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }]);
  await deploy('plain', []);
});
after(async () => {
  await platform?.stop();
});

function api(method: string, path: string, body?: unknown) {
  return new TestApi(platform.url, platform.token).call(method, path, body);
}

async function deploy(name: string, crons: unknown[]) {
  const response = await api('POST', '/api/v1/functions', { manifest: { name, main: 'index.js', crons }, files: { 'index.js': handler } });
  assert.equal(response.status, 201, response.text);
}

interface Schedule {
  id: string;
  schedule: string;
  timezone: string;
  nextTicks: string[];
  lastTick: string | null;
  missed: { count: number; capped: boolean; recent: string[] };
}

async function schedules(name: string): Promise<Schedule[]> {
  const answer = await api('GET', `/api/v1/functions/${name}/crons`);
  assert.equal(answer.status, 200, answer.text);
  return answer.json?.crons as Schedule[];
}

describe('GET /api/v1/functions/{name}/crons', () => {
  test('lists each schedule with its id, zone (UTC by default) and next ticks; the platform fires them', async () => {
    const [everyOther, weekly] = await schedules('ticker');
    assert.equal(everyOther?.schedule, '*/2 * * * * *');
    assert.equal(everyOther?.timezone, 'UTC');
    assert.match(everyOther?.id ?? '', /^[0-9a-f]{12}$/);
    const next = (everyOther?.nextTicks ?? []).map(Date.parse);
    assert.equal(next.length, 5);
    assert.ok(next.every((tick, index) => tick % 2_000 === 0 && (index === 0 || tick - (next[index - 1] ?? 0) === 2_000)), everyOther?.nextTicks.join());
    assert.equal(weekly?.timezone, 'Asia/Shanghai');
    assert.ok(weekly?.nextTicks.every((tick) => tick.endsWith('T01:00:00.000Z') && new Date(tick).getUTCDay() === 1), weekly?.nextTicks.join());
    assert.deepEqual(weekly?.missed, { count: 0, capped: false, recent: [] });

    // `isola up` runs the cron trigger: ticks get enqueued and recorded as cron invocations.
    const last = await eventually('a tick enqueued', async () => (await schedules('ticker'))[0]?.lastTick ?? null);
    assert.equal(Date.parse(last) % 2_000, 0);
    const invocations = await eventually('a cron invocation record', async () => {
      const answer = await api('GET', '/api/v1/functions/ticker/invocations?limit=20');
      const found = (answer.json?.invocations as { trigger: string }[] | undefined)?.filter((record) => record.trigger === 'cron') ?? [];
      return found.length > 0 ? found : null;
    });
    assert.ok(invocations.length > 0);

    const nextFive = await api('GET', '/api/v1/functions/ticker/crons?next=2');
    assert.equal((nextFive.json?.crons as Schedule[])[0]?.nextTicks.length, 2);
  });

  test('a function without crons has none; an unknown function is 404', async () => {
    assert.deepEqual(await schedules('plain'), []);
    const missing = await api('GET', '/api/v1/functions/nobody/crons');
    assert.equal(missing.status, 404);
    assert.equal((missing.json?.error as { code: string }).code, 'FUNCTION_NOT_FOUND');
  });
});

describe('POST /api/v1/functions/{name}/crons/run', () => {
  test('enqueues a scheduled invocation now (the first schedule by default, or one by id or expression)', async () => {
    const [first, second] = await schedules('ticker');
    const before = Date.now();
    const run = await api('POST', '/api/v1/functions/ticker/crons/run', {});
    assert.equal(run.status, 202, run.text);
    const invocationId = run.json?.invocationId as string;
    assert.equal(run.headers.get('x-isola-invocation-id'), invocationId);
    assert.equal(run.json?.id, first?.id);
    assert.equal(run.json?.cron, '*/2 * * * * *');
    assert.ok(Date.parse(run.json?.scheduledTime as string) >= before - 5);
    const record = await api('GET', `/api/v1/invocations/${invocationId}`);
    assert.equal(record.status, 200, record.text);
    assert.equal(record.json?.trigger, 'cron');
    assert.equal(record.json?.function, 'ticker');

    const byId = await api('POST', '/api/v1/functions/ticker/crons/run', { cron: second?.id });
    assert.equal(byId.status, 202, byId.text);
    assert.equal(byId.json?.id, second?.id);
    const byExpression = await api('POST', '/api/v1/functions/ticker/crons/run', { cron: '0  9 * * 1' });
    assert.equal(byExpression.json?.id, second?.id);
    assert.notEqual(byExpression.json?.invocationId, byId.json?.invocationId, 'every run is its own invocation');
  });

  test('400 for a schedule the function does not have, or a function without crons; 404 for an unknown function', async () => {
    const unknownCron = await api('POST', '/api/v1/functions/ticker/crons/run', { cron: '* * * * *' });
    assert.equal(unknownCron.status, 400);
    assert.match((unknownCron.json?.error as { message: string }).message, /no schedule "\* \* \* \* \*".*\*\/2 \* \* \* \* \*/);
    const none = await api('POST', '/api/v1/functions/plain/crons/run', {});
    assert.equal(none.status, 400);
    assert.match(none.text, /has no schedules/);
    const badBody = await api('POST', '/api/v1/functions/ticker/crons/run', { cron: 5 });
    assert.equal(badBody.status, 400);
    const missing = await api('POST', '/api/v1/functions/nobody/crons/run', {});
    assert.equal(missing.status, 404);
  });
});

describe('deploy', () => {
  test('refuses a bad expression or an unknown zone, naming each by path', async () => {
    const answer = await api('POST', '/api/v1/functions', {
      manifest: { name: 'bad-cron', main: 'index.js', crons: ['* * *', { schedule: '0 9 * * *', timezone: 'Atlantis/Capital' }] },
      files: { 'index.js': handler },
    });
    assert.equal(answer.status, 400);
    const problems = (answer.json?.error as { details: { problems: { path: string; message: string }[] } }).details.problems;
    assert.deepEqual(
      problems.map((problem) => problem.path),
      ['crons.0', 'crons.1.timezone'],
    );
    assert.match(problems[1]?.message ?? '', /unknown time zone "Atlantis\/Capital"/);
  });
});
