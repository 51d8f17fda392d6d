// expiring-invites: a cron job that deletes expired entries. The test runs the schedule now
// (POST /api/v1/functions/{name}/crons/run) instead of waiting for a tick.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually, type ExamplePlatform } from '../../example-platform.js';

interface Invite {
  code: string;
  email: string;
  expiresAt: string;
}

interface SweepResult {
  removed: string[];
  kept: number;
  more: boolean;
  cron: string;
}

export function exampleSpec(examples: ExamplePlatform): void {
  // Not public: every call carries the admin token.
  const call = (method: string, path: string, body?: unknown) => examples.request(method, `/fn/expiring-invites${path}`, { body });

  describe('expiring-invites (cron cleanup job)', () => {
    test('the schedules are in force, one in UTC and one in Europe/Berlin', async () => {
      const answer = await examples.request('GET', '/api/v1/functions/expiring-invites/crons?next=1');
      assert.equal(answer.status, 200, answer.text);
      const crons = (answer.json as { crons: { schedule: string; timezone: string; nextTicks: string[] }[] }).crons;
      assert.deepEqual(
        crons.map(({ schedule, timezone }) => ({ schedule, timezone })),
        [
          { schedule: '*/15 * * * *', timezone: 'UTC' },
          { schedule: '30 3 * * *', timezone: 'Europe/Berlin' },
        ],
      );
      // 03:30 in Berlin is 01:30 or 02:30 UTC, depending on daylight saving time.
      assert.match(crons[1]?.nextTicks[0] ?? '', /T0[12]:30:00\.000Z$/);
    });

    test('a run of the schedule deletes the expired invites, logs each, and keeps the others', async () => {
      const short = await call('POST', '/invites', { email: 'soon@example.com', ttlSeconds: 1 });
      assert.equal(short.status, 201, short.text);
      const long = await call('POST', '/invites', { email: 'later@example.com', ttlSeconds: 3600 });
      assert.equal(long.status, 201, long.text);
      const expired = (short.json as Invite).code;
      const valid = (long.json as Invite).code;
      assert.equal((await call('GET', `/invites/${valid}`)).status, 200);

      // Expired but not swept yet: 410 Gone.
      const gone = await eventually('the short invite to expire', async () => {
        const answer = await call('GET', `/invites/${expired}`);
        return answer.status === 410 ? answer : null;
      });
      assert.match(gone.text, /expired at/);

      const run = await examples.request('POST', '/api/v1/functions/expiring-invites/crons/run', { body: { cron: '*/15 * * * *' } });
      assert.equal(run.status, 202, run.text);
      const record = await examples.finalRecord((run.json as { invocationId: string }).invocationId);
      assert.equal(record.status, 'succeeded', JSON.stringify(record.error));
      assert.equal(record.trigger, 'cron');
      const result = JSON.parse(record.result?.body ?? 'null') as SweepResult;
      assert.equal(result.cron, '*/15 * * * *');
      assert.equal(result.more, false);
      assert.ok(!result.removed.includes(valid));
      if (!result.removed.includes(expired)) {
        // A real */15 tick can fire during the test and sweep first; then it removed the invite.
        const ticks = await examples.request('GET', '/api/v1/functions/expiring-invites/invocations?limit=200');
        const cronRuns = (ticks.json as { invocations: { trigger: string }[] }).invocations.filter((entry) => entry.trigger === 'cron');
        assert.ok(cronRuns.length > 1, `the run removed ${JSON.stringify(result.removed)}, not ${expired}, and no other sweep ran`);
      }

      const lines = await examples.logged('expiring-invites', `removed expired invite ${expired}`);
      assert.equal(lines.length, 1, 'removed once');
      assert.equal((await call('GET', `/invites/${expired}`)).status, 404, 'swept: gone from the store');
      assert.equal((await call('GET', `/invites/${valid}`)).status, 200, 'not expired: kept');
    });

    test('bad input is refused with the rule it broke', async () => {
      const noEmail = await call('POST', '/invites', { ttlSeconds: 60 });
      assert.equal(noEmail.status, 400);
      assert.match(noEmail.text, /email: must be an e-mail address/);
      const zero = await call('POST', '/invites', { email: 'a@example.com', ttlSeconds: 0 });
      assert.equal(zero.status, 400);
      assert.match(zero.text, /ttlSeconds: must be a whole number from 1/);
      assert.equal((await call('POST', '/invites', 'not json')).status, 400);
      assert.equal((await call('GET', '/invites/NOSUCHCODE')).status, 404);
      const anonymous = await examples.request('GET', '/fn/expiring-invites/invites/NOSUCHCODE', { token: false });
      assert.equal(anonymous.status, 401, 'not public: a token is needed');
    });
  });
}
