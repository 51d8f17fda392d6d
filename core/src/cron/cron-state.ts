import type { Redis } from 'ioredis';
import { redisKeys } from '../store/keys.js';

/** Missed ticks kept per function, the newest (older ones still count in `missedCount`). */
export const maxMissedTicksKept = 1_000;

/** What Redis knows of one schedule of a function. */
export interface CronScheduleState {
  /** The newest tick (epoch ms) enqueued by any replica; null before the first. */
  lastTick: number | null;
  /** Every tick up to here (epoch ms) was enqueued or reported missed; null for a schedule never run. */
  scannedUntil: number | null;
  /** Ticks reported missed since the schedule first ran. */
  missedCount: number;
  /** A scan found more missed ticks than it lists: `missedCount` is a lower bound. */
  missedCapped: boolean;
  /** The newest missed ticks (epoch ms), newest first. */
  recentMissed: number[];
}

/** HSET field to ARGV[2] unless it already holds a larger number (replicas race; time only moves on). */
const setIfGreaterScript = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1`;

/**
 * Records a missed-tick scan, if nobody recorded this window first: compare-and-set on the
 * schedule's watermark, so however many replicas scan one window, one records (and logs) it.
 * KEYS: state hash, missed set. ARGV: cron id, watermark expected, new watermark, capped (0/1),
 * ticks kept per function, then the missed ticks. Returns the ticks recorded, or -1.
 */
const recordScanScript = `
local id = ARGV[1]
if redis.call('HGET', KEYS[1], id .. ':scanned') ~= ARGV[2] then return -1 end
redis.call('HSET', KEYS[1], id .. ':scanned', ARGV[3])
local count = #ARGV - 5
if count > 0 then
  for i = 6, #ARGV do redis.call('ZADD', KEYS[2], ARGV[i], id .. ':' .. ARGV[i]) end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
  redis.call('HINCRBY', KEYS[1], id .. ':missed', count)
end
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], id .. ':capped', '1') end
return count`;

/**
 * The cron bookkeeping of each function in Redis (`functionCronState`, `functionCronMissed`):
 * per schedule id, the last tick enqueued, the scan watermark, and the missed ticks. Under the
 * function's keys, so deleting the function removes it. The cron trigger writes it; the
 * control-plane API reads it. Leaves out the ticks themselves: those are BullMQ jobs.
 */
export class CronStateStore {
  constructor(private readonly redis: Redis) {}

  /**
   * The schedules a function runs now. A schedule seen for the first time has missed nothing
   * before `nowMs`; schedules no longer in the list are forgotten, so one that comes back
   * (a rollback) does not count the time it was gone as missed.
   */
  async activate(name: string, ids: readonly string[], nowMs: number): Promise<void> {
    const key = redisKeys.functionCronState(name);
    const stale = (await this.redis.hkeys(key)).filter((field) => !ids.includes(field.split(':')[0] ?? ''));
    const multi = this.redis.multi();
    for (const id of ids) multi.hsetnx(key, `${id}:scanned`, String(nowMs));
    if (stale.length > 0) multi.hdel(key, ...stale);
    await multi.exec();
  }

  /** A replica enqueued the tick. */
  async markEnqueued(name: string, id: string, tickMs: number): Promise<void> {
    await this.redis.eval(setIfGreaterScript, 1, redisKeys.functionCronState(name), `${id}:last`, String(tickMs));
  }

  /** Up to where the schedule's ticks were accounted for; null when it never ran. */
  async scannedUntil(name: string, id: string): Promise<number | null> {
    const raw = await this.redis.hget(redisKeys.functionCronState(name), `${id}:scanned`);
    return raw === null ? null : Number(raw);
  }

  /**
   * Moves the watermark from `from` to `until`, recording `missed` ticks found between. Returns
   * how many were recorded, or null when another replica moved the watermark first.
   */
  async recordScan(name: string, id: string, scan: { from: number; until: number; missed: readonly number[]; capped: boolean }): Promise<number | null> {
    const recorded = (await this.redis.eval(
      recordScanScript,
      2,
      redisKeys.functionCronState(name),
      redisKeys.functionCronMissed(name),
      id,
      String(scan.from),
      String(scan.until),
      scan.capped ? '1' : '0',
      String(maxMissedTicksKept),
      ...scan.missed.map(String),
    )) as number;
    return recorded < 0 ? null : recorded;
  }

  /** The state of each schedule, for the API; `recentLimit` missed ticks each at most. */
  async read(name: string, ids: readonly string[], recentLimit = 20): Promise<Map<string, CronScheduleState>> {
    const [fields, missed] = await Promise.all([
      this.redis.hgetall(redisKeys.functionCronState(name)),
      this.redis.zrevrange(redisKeys.functionCronMissed(name), 0, -1),
    ]);
    const number = (value: string | undefined) => (value === undefined ? null : Number(value));
    return new Map(
      ids.map((id) => [
        id,
        {
          lastTick: number(fields[`${id}:last`]),
          scannedUntil: number(fields[`${id}:scanned`]),
          missedCount: number(fields[`${id}:missed`]) ?? 0,
          missedCapped: fields[`${id}:capped`] === '1',
          recentMissed: missed
            .filter((member) => member.startsWith(`${id}:`))
            .slice(0, recentLimit)
            .map((member) => Number(member.slice(id.length + 1))),
        },
      ]),
    );
  }
}
