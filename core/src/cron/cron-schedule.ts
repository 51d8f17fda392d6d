import { createHash } from 'node:crypto';
import { createTask, validateDetailed, type CronFieldError } from 'node-cron';

/**
 * One `crons:` entry of a manifest, as the platform runs it. The expression is node-cron's
 * syntax: 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first; ranges,
 * steps, lists, month and day names, `L`, `W`, `#` and the @daily-style nicknames. Beware one
 * difference from Vixie cron: node-cron fires only when day-of-month AND day-of-week both
 * match (`0 0 1 * 1` is "Monday the 1st", not "the 1st and every Monday").
 */
export interface CronSpec {
  /** The expression as written (trimmed): what `controller.cron` shows the function. */
  schedule: string;
  /** IANA time zone the expression is read in; absent means UTC (see cronTimeZone). */
  timezone?: string;
}

/** A `crons:` entry as the manifest allows it: the expression alone, or with a time zone. */
export type CronEntry = string | { schedule: string; timezone?: string | undefined };

/**
 * The zone of a schedule without one. UTC, as Cloudflare Workers' cron triggers, rather than
 * the host's zone: every scheduler replica must compute the same ticks (a tick's job id is its
 * time), whatever TZ its machine runs with.
 */
export const defaultCronTimeZone = 'UTC';

/** Ticks a missed-tick scan returns at most (see cronTicksBetween). */
export const maxTicksPerScan = 1_000;

export function normalizeCron(entry: CronEntry): CronSpec {
  if (typeof entry === 'string') return { schedule: entry.trim() };
  const spec: CronSpec = { schedule: entry.schedule.trim() };
  if (entry.timezone !== undefined) spec.timezone = entry.timezone;
  return spec;
}

/** The zone the schedule is read in: its own (canonical spelling), else UTC. */
export function cronTimeZone(spec: CronSpec): string {
  if (spec.timezone === undefined) return defaultCronTimeZone;
  return canonicalTimeZone(spec.timezone) ?? spec.timezone;
}

/**
 * A short id of a schedule, the same on every replica and across deploys that keep the
 * schedule: 12 hex digits of SHA-256 over the expression (spaces collapsed) and its zone.
 * `"0 9 * * *"` and `{schedule: "0 9 * * *", timezone: "UTC"}` are one schedule.
 */
export function cronId(spec: CronSpec): string {
  const expression = spec.schedule.trim().split(/\s+/).join(' ');
  return createHash('sha256').update(`${expression}\n${cronTimeZone(spec)}`).digest('hex').slice(0, 12);
}

/** The zone's canonical name (`utc` → `UTC`), or null when the runtime does not know the zone. */
export function canonicalTimeZone(timeZone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const fieldLabels: Record<string, string> = {
  second: 'second',
  minute: 'minute',
  hour: 'hour',
  dayOfMonth: 'day-of-month',
  month: 'month',
  dayOfWeek: 'day-of-week',
};

/** What is wrong with a cron expression, or null when node-cron takes it and it fires some day. */
export function cronExpressionProblem(schedule: string): string | null {
  if (schedule.trim() === '') return 'is empty: write 5 fields (minute hour day-of-month month day-of-week) or 6 (second first)';
  let errors: CronFieldError[];
  try {
    errors = validateDetailed(schedule).errors;
  } catch (error) {
    return `is not a cron expression (${(error as Error).message})`;
  }
  if (errors.length > 0) return errors.map(describeFieldError).join('; ');
  try {
    matcherOf(schedule, defaultCronTimeZone).getNextMatch(new Date());
  } catch {
    return 'never matches a date (node-cron found none in the next 100 years)';
  }
  return null;
}

function describeFieldError(error: CronFieldError): string {
  if (error.field === 'expression') {
    const fields = /expected 5 or 6 fields but got (\d+)/.exec(error.message);
    if (fields !== null) return `must have 5 fields (minute hour day-of-month month day-of-week) or 6 (second first); this one has ${fields[1]}`;
    return `is not a cron expression: ${error.message}`;
  }
  const label = fieldLabels[error.field] ?? error.field;
  return /impossible/.test(error.message)
    ? `day-of-month "${error.value ?? ''}" never occurs in the months given`
    : `the ${label} field "${error.value ?? ''}" is not valid (out of range, or not a number, *, range, list or step)`;
}

/** What is wrong with a time zone name, or null when the runtime knows it. */
export function timeZoneProblem(timeZone: string): string | null {
  return canonicalTimeZone(timeZone) === null ? `unknown time zone "${timeZone}"; use an IANA name such as Europe/Berlin or America/New_York` : null;
}

/** The next `count` tick times (epoch ms) after `afterMs`. */
export function nextCronTicks(spec: CronSpec, afterMs: number, count: number): number[] {
  return cronTicksBetween(spec, afterMs, Number.POSITIVE_INFINITY, count).ticks;
}

/**
 * The tick times (epoch ms) of a schedule in (fromMs, untilMs], oldest first, at most `limit`;
 * `capped` when more exist. Walks from tick to tick with node-cron's own next-match computation
 * (day by day, never second by second), so days of downtime scan in milliseconds, and the ticks
 * are exactly those node-cron fires, its DST choices included.
 */
export function cronTicksBetween(spec: CronSpec, fromMs: number, untilMs: number, limit = maxTicksPerScan): { ticks: number[]; capped: boolean } {
  const matcher = matcherOf(spec.schedule, cronTimeZone(spec));
  const ticks: number[] = [];
  let at = fromMs;
  for (;;) {
    let next: number;
    try {
      next = matcher.getNextMatch(new Date(at)).getTime();
    } catch {
      // node-cron gives up after 100 years without a match.
      return { ticks, capped: false };
    }
    if (next > untilMs) return { ticks, capped: false };
    if (ticks.length === limit) return { ticks, capped: true };
    ticks.push(next);
    at = next;
  }
}

/** The part of node-cron that computes ticks: what a task runs on. */
interface TimeMatcher {
  match(date: Date): boolean;
  /** The first matching whole second strictly after `date`. Throws when none comes within 100 years. */
  getNextMatch(date: Date): Date;
}

const matchers = new Map<string, TimeMatcher>();
const maxCachedMatchers = 256;

/**
 * node-cron 4 publishes `task.match(date)` and `task.getNextRuns(n)` (from now only), but not
 * "the next tick after a given time", which the missed-tick scan needs. Reimplementing it (or
 * using cron-parser) would disagree with node-cron on its quirks — day-of-month AND
 * day-of-week, which of two repeated wall-clock times it fires at a DST change — and every
 * disagreement would report a tick as missed that node-cron never fires. So this reads the
 * TimeMatcher a task runs on, a field of node-cron's task: the one place that knows, checked at
 * run time and by cron-schedule.test.ts, and node-cron is pinned to 4.6.x. Matchers hold no
 * state between calls, so they are cached.
 */
function matcherOf(schedule: string, timeZone: string): TimeMatcher {
  const key = `${timeZone}\n${schedule}`;
  const cached = matchers.get(key);
  if (cached !== undefined) return cached;
  const task = createTask(schedule, () => undefined, { timezone: timeZone });
  const matcher = (task as unknown as { timeMatcher?: Partial<TimeMatcher> }).timeMatcher;
  // Unstarted, it holds no timer; destroying it takes it out of node-cron's task registry.
  void task.destroy();
  if (typeof matcher?.getNextMatch !== 'function' || typeof matcher.match !== 'function') {
    throw new Error('node-cron no longer exposes its TimeMatcher on tasks; core/src/cron/cron-schedule.ts must be updated for this node-cron version');
  }
  if (matchers.size >= maxCachedMatchers) matchers.delete(matchers.keys().next().value as string);
  matchers.set(key, matcher as TimeMatcher);
  return matcher as TimeMatcher;
}
