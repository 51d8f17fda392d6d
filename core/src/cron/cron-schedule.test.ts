import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTask } from 'node-cron';
import {
  cronExpressionProblem,
  cronId,
  cronTicksBetween,
  cronTimeZone,
  nextCronTicks,
  normalizeCron,
  timeZoneProblem,
  type CronSpec,
} from './cron-schedule.js';

const ms = (iso: string) => Date.parse(iso);
const iso = (ticks: number[]) => ticks.map((tick) => new Date(tick).toISOString());

describe('normalizeCron, cronTimeZone and cronId', () => {
  test('a string entry is read in UTC; an object keeps its zone', () => {
    assert.deepEqual(normalizeCron(' */5 * * * * '), { schedule: '*/5 * * * *' });
    assert.deepEqual(normalizeCron({ schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }), { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' });
    assert.equal(cronTimeZone(normalizeCron('* * * * *')), 'UTC');
    assert.equal(cronTimeZone({ schedule: '* * * * *', timezone: 'utc' }), 'UTC');
    assert.equal(cronTimeZone({ schedule: '* * * * *', timezone: 'Europe/Berlin' }), 'Europe/Berlin');
  });

  test('the id is stable: the same for one schedule however written, different for another expression or zone', () => {
    const id = cronId({ schedule: '*/5 * * * *' });
    assert.match(id, /^[0-9a-f]{12}$/);
    // Pinned: job ids and stored state use it, so it must not change between releases.
    assert.equal(id, cronId({ schedule: '*/5 * * * *' }));
    assert.equal(id, 'ab930abad174');
    assert.equal(cronId({ schedule: ' */5   * * * * ' }), id);
    assert.equal(cronId({ schedule: '*/5 * * * *', timezone: 'UTC' }), id);
    assert.equal(cronId({ schedule: '*/5 * * * *', timezone: 'utc' }), id);
    assert.notEqual(cronId({ schedule: '*/5 * * * *', timezone: 'Europe/Berlin' }), id);
    assert.notEqual(cronId({ schedule: '*/10 * * * *' }), id);
    assert.notEqual(cronId({ schedule: '0 */5 * * * *' }), id);
  });
});

describe('cronExpressionProblem and timeZoneProblem', () => {
  test('take 5- and 6-field expressions with ranges, steps, lists, names and nicknames', () => {
    for (const expression of ['*/5 * * * *', '* * * * * *', '*/15 0-30 9-17/2 * * 1-5', '0 0 1,15 jan,jul *', '0 9 * * MON-FRI', '0 0 L * *', '@daily', '0 0 ? * 1#2']) {
      assert.equal(cronExpressionProblem(expression), null, expression);
    }
  });

  test('explain what is wrong', () => {
    assert.match(cronExpressionProblem('* * *') ?? '', /5 fields .* or 6 .* this one has 3/);
    assert.match(cronExpressionProblem('* * * * * * *') ?? '', /this one has 7/);
    assert.match(cronExpressionProblem('') ?? '', /is empty/);
    assert.match(cronExpressionProblem('61 * * * *') ?? '', /minute field "61"/);
    assert.match(cronExpressionProblem('* 24 * * *') ?? '', /hour field "24"/);
    assert.match(cronExpressionProblem('*/0 * * * * *') ?? '', /second field "\*\/0"/);
    assert.match(cronExpressionProblem('0 0 * 13 *') ?? '', /month field "13"/);
    assert.match(cronExpressionProblem('0 0 * * 8') ?? '', /day-of-week field "8"/);
    assert.match(cronExpressionProblem('0 0 30 2 *') ?? '', /never occurs/);
    assert.match(cronExpressionProblem('0 0 L-30 2 *') ?? '', /never matches/);
    assert.match(cronExpressionProblem('rm -rf / ; *') ?? '', /not a cron expression/);
  });

  test('time zones are checked against the runtime’s IANA database', () => {
    assert.equal(timeZoneProblem('America/New_York'), null);
    assert.equal(timeZoneProblem('UTC'), null);
    assert.match(timeZoneProblem('Mars/Olympus_Mons') ?? '', /unknown time zone "Mars\/Olympus_Mons"/);
    assert.match(timeZoneProblem('EST5EDTX') ?? '', /unknown time zone/);
  });
});

describe('cronTicksBetween', () => {
  test('6 fields: every second, on whole seconds, in (from, until]', () => {
    const from = ms('2024-05-01T10:00:00Z');
    const scan = cronTicksBetween({ schedule: '* * * * * *' }, from, from + 5_000);
    assert.deepEqual(scan, { ticks: [1, 2, 3, 4, 5].map((second) => from + second * 1_000), capped: false });
    // Boundaries: a tick at `from` is excluded, one at `until` included; milliseconds do not shift ticks.
    assert.deepEqual(cronTicksBetween({ schedule: '* * * * * *' }, from + 250, from + 2_000).ticks, [from + 1_000, from + 2_000]);
    assert.deepEqual(iso(cronTicksBetween({ schedule: '*/15 * * * * *' }, from, from + 60_000).ticks), [
      '2024-05-01T10:00:15.000Z',
      '2024-05-01T10:00:30.000Z',
      '2024-05-01T10:00:45.000Z',
      '2024-05-01T10:01:00.000Z',
    ]);
    assert.deepEqual(iso(cronTicksBetween({ schedule: '10-12 30 10 * * *' }, from, from + 86_400_000).ticks), [
      '2024-05-01T10:30:10.000Z',
      '2024-05-01T10:30:11.000Z',
      '2024-05-01T10:30:12.000Z',
    ]);
  });

  test('ranges, steps, lists and names', () => {
    // Monday 2024-05-06 to Sunday 2024-05-12: 09, 13 and 17 on weekdays.
    const week = cronTicksBetween({ schedule: '0 9-17/4 * * mon-fri' }, ms('2024-05-06T00:00:00Z'), ms('2024-05-13T00:00:00Z'));
    assert.equal(week.ticks.length, 15);
    assert.deepEqual(iso(week.ticks.slice(0, 4)), ['2024-05-06T09:00:00.000Z', '2024-05-06T13:00:00.000Z', '2024-05-06T17:00:00.000Z', '2024-05-07T09:00:00.000Z']);
    assert.ok(week.ticks.every((tick) => ![0, 6].includes(new Date(tick).getUTCDay())));
    const year = cronTicksBetween({ schedule: '0 0 1,15 jan,jul *' }, ms('2024-01-01T00:00:00Z'), ms('2025-01-01T00:00:00Z'));
    assert.deepEqual(iso(year.ticks), ['2024-01-15T00:00:00.000Z', '2024-07-01T00:00:00.000Z', '2024-07-15T00:00:00.000Z', '2025-01-01T00:00:00.000Z']);
    // node-cron's day rule: day-of-month AND day-of-week (Monday the 1st), not Vixie cron's OR.
    const mondayFirsts = cronTicksBetween({ schedule: '0 0 1 * 1' }, ms('2024-01-01T00:00:00Z'), ms('2025-01-01T00:00:00Z'));
    assert.deepEqual(iso(mondayFirsts.ticks), ['2024-04-01T00:00:00.000Z', '2024-07-01T00:00:00.000Z']);
  });

  test('a time zone shifts ticks by its offset, UTC being the default', () => {
    const from = ms('2024-05-01T00:00:00Z');
    assert.deepEqual(iso(cronTicksBetween({ schedule: '0 9 * * *' }, from, from + 86_400_000).ticks), ['2024-05-01T09:00:00.000Z']);
    assert.deepEqual(iso(cronTicksBetween({ schedule: '0 9 * * *', timezone: 'Asia/Shanghai' }, from, from + 86_400_000).ticks), ['2024-05-01T01:00:00.000Z']);
    assert.deepEqual(iso(cronTicksBetween({ schedule: '0 9 * * *', timezone: 'Asia/Kolkata' }, from, from + 86_400_000).ticks), ['2024-05-01T03:30:00.000Z']);
  });

  test('DST in New York: the skipped hour has no tick, the repeated hour fires once, the offset follows the season', () => {
    const ny = (schedule: string): CronSpec => ({ schedule, timezone: 'America/New_York' });
    // Spring forward, 2024-03-10: 02:00-02:59 does not exist.
    assert.deepEqual(iso(cronTicksBetween(ny('30 2 * * *'), ms('2024-03-09T00:00:00Z'), ms('2024-03-12T00:00:00Z')).ticks), [
      '2024-03-09T07:30:00.000Z',
      '2024-03-11T06:30:00.000Z',
    ]);
    const hourly = cronTicksBetween(ny('0 * * * *'), ms('2024-03-10T05:00:00Z'), ms('2024-03-11T04:00:00Z'));
    assert.equal(hourly.ticks.length, 23, 'a 23-hour day');
    // Fall back, 2024-11-03: 01:30 happens twice; node-cron fires the first (EDT).
    assert.deepEqual(iso(cronTicksBetween(ny('30 1 * * *'), ms('2024-11-02T12:00:00Z'), ms('2024-11-04T12:00:00Z')).ticks), [
      '2024-11-03T05:30:00.000Z',
      '2024-11-04T06:30:00.000Z',
    ]);
  });

  test('DST in Berlin: 09:00 local is 08:00 UTC in winter, 07:00 UTC in summer', () => {
    const ticks = cronTicksBetween({ schedule: '0 0 9 * * *', timezone: 'Europe/Berlin' }, ms('2024-03-29T12:00:00Z'), ms('2024-04-02T00:00:00Z')).ticks;
    assert.deepEqual(iso(ticks), ['2024-03-30T08:00:00.000Z', '2024-03-31T07:00:00.000Z', '2024-04-01T07:00:00.000Z']);
  });

  test('is capped, and fast over days or years of downtime', () => {
    const from = ms('2024-01-01T00:00:00Z');
    let started = performance.now();
    const dense = cronTicksBetween({ schedule: '* * * * * *' }, from, from + 3 * 86_400_000);
    assert.equal(dense.ticks.length, 1_000);
    assert.equal(dense.capped, true);
    assert.equal(dense.ticks.at(-1), from + 1_000_000);
    assert.ok(performance.now() - started < 3_000, `1,000 ticks took ${performance.now() - started} ms`);
    assert.deepEqual(cronTicksBetween({ schedule: '* * * * *' }, from, from + 30 * 86_400_000, 10), {
      ticks: Array.from({ length: 10 }, (_unused, index) => from + (index + 1) * 60_000),
      capped: true,
    });
    // Exactly the limit is not capped.
    assert.equal(cronTicksBetween({ schedule: '* * * * *' }, from, from + 10 * 60_000, 10).capped, false);
    started = performance.now();
    const sparse = cronTicksBetween({ schedule: '0 0 29 2 *' }, from, ms('2034-01-01T00:00:00Z'));
    assert.deepEqual(iso(sparse.ticks), ['2024-02-29T00:00:00.000Z', '2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
    assert.ok(performance.now() - started < 1_000, `ten years of a leap-day schedule took ${performance.now() - started} ms`);
  });

  test('a schedule that never matches has no ticks (and does not throw)', () => {
    assert.deepEqual(cronTicksBetween({ schedule: '0 0 L-30 2 *' }, 0, Date.now()), { ticks: [], capped: false });
  });
});

describe('nextCronTicks', () => {
  test('agrees with the ticks a node-cron task will fire', () => {
    for (const spec of [{ schedule: '*/7 * * * * *' }, { schedule: '0 9 * * 1', timezone: 'Asia/Shanghai' }, { schedule: '15 3 L * *', timezone: 'America/New_York' }]) {
      const task = createTask(spec.schedule, () => undefined, { timezone: cronTimeZone(spec) });
      try {
        const now = Date.now();
        const expected = task.getNextRuns(5).map((date) => date.getTime());
        // getNextRuns counts from its own "now": allow that a tick passed in between.
        const ours = nextCronTicks(spec, now, 6);
        assert.ok(
          ours.slice(0, 5).join() === expected.join() || ours.slice(1, 6).join() === expected.join(),
          `${spec.schedule}: ${iso(ours).join()} vs ${iso(expected).join()}`,
        );
      } finally {
        void task.destroy();
      }
    }
  });
});
