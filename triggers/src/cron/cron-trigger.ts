import type { Redis } from 'ioredis';
import { createTask, type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import {
  cronId,
  cronTickInvocationId,
  cronTickJobId,
  cronTicksBetween,
  cronTimeZone,
  CronStateStore,
  enqueueScheduled,
  functionQueueName,
  normalizeCron,
  redisKeys,
  type CronSpec,
  type FunctionEvent,
  type FunctionStore,
  type FunctionVersion,
  type InvocationRecorder,
  type Logger,
  type QueueClient,
} from '@isola/core';

export interface CronTriggerOptions {
  store: FunctionStore;
  /** Producer of the function queues the ticks go to. */
  queues: QueueClient;
  /** Writes each tick's `queued` record. */
  recorder: InvocationRecorder;
  /** Commands: the cron state and record lookups. */
  redis: Redis;
  logger: Logger;
  /** How often every function's schedules are re-read and scanned for missed ticks. Default 30,000. */
  reconcileIntervalMs?: number;
  /**
   * How late a replica may still enqueue a tick when its timer fires late (a busy event loop).
   * Ticks nobody enqueued count as missed once twice this old. Default 5,000.
   */
  lateToleranceMs?: number;
}

/** One schedule of one function, as this replica runs it. */
interface RunningSchedule {
  spec: CronSpec;
  id: string;
  task: ScheduledTask;
}

interface RunningFunction {
  /** The version `latest` serves: what the ticks run. */
  fn: FunctionVersion;
  /** The schedule ids, to tell a change of schedules from a deploy that keeps them. */
  ids: string;
  schedules: RunningSchedule[];
}

/** Job lookups in flight at once while checking a scan's ticks. */
const lookupBatch = 100;

/**
 * The cron trigger (SPEC §5). Every replica runs a node-cron task per schedule of every
 * function; at a tick it enqueues the function's `scheduled` invocation into the function's
 * queue under a job id made of the function, the schedule and the tick's nominal time — the
 * same on every replica, whatever its clock says when it fires. BullMQ takes a job id once, so
 * however many replicas run, each tick is enqueued, and runs, once; claiming the tick and
 * enqueueing it are one atomic step, so no tick is claimed and then lost.
 *
 * Ticks nobody enqueued (no replica ran, or none could reach Redis) are found by scanning each
 * schedule from its watermark in Redis up to a few seconds ago: they are recorded as missed
 * (the crons API lists them; one replica logs them), never run late. A schedule first seen has
 * missed nothing before that moment.
 */
export class CronTrigger {
  private readonly functions = new Map<string, RunningFunction>();
  /** Per function, the refresh running or queued: refreshes of one function never interleave. */
  private readonly refreshes = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly state: CronStateStore;
  private readonly logger: Logger;
  private readonly cronLogger: CronLogger;
  private readonly lateToleranceMs: number;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly options: CronTriggerOptions) {
    this.state = new CronStateStore(options.redis);
    this.logger = options.logger;
    this.lateToleranceMs = options.lateToleranceMs ?? 5_000;
    const logger = this.logger;
    this.cronLogger = {
      info: (message) => logger.debug(message),
      warn: (message) => logger.warn(message),
      error: (message, error) => logger.error({ err: error ?? message }, typeof message === 'string' ? message : 'node-cron task failed'),
      debug: (message) => logger.debug(typeof message === 'string' ? message : message.message),
    };
  }

  /** Runs every function's schedules and scans them; then keeps doing so every `reconcileIntervalMs`. */
  async start(): Promise<void> {
    await this.reconcile();
    if (this.closed) return;
    this.timer = setInterval(() => void this.reconcile(), this.options.reconcileIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Deploys, alias moves (rollbacks) and deletes change schedules: apply them at once. */
  onEvent(event: FunctionEvent): void {
    if (event.type === 'deployed' || event.type === 'deleted' || event.type === 'aliases') void this.refresh(event.name);
  }

  /**
   * Re-reads every function's schedules and scans them for missed ticks. Runs on a timer; call
   * it too when events may have been lost (the subscription reconnected). Never rejects.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= (async () => {
      try {
        const names = await this.options.store.listNames();
        for (const name of names) await this.refresh(name);
        const present = new Set(names);
        for (const name of [...this.functions.keys()]) if (!present.has(name)) this.stopFunction(name);
        for (const name of [...this.functions.keys()]) await this.scanMissed(name);
      } catch (error) {
        this.logger.warn({ err: error }, 'cron reconcile failed; trying again at the next one');
      } finally {
        this.reconciling = null;
      }
    })();
    return this.reconciling;
  }

  /** Stops every schedule and waits for ticks being enqueued. Does not close the connections (the caller's). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    for (const name of [...this.functions.keys()]) this.stopFunction(name);
    await Promise.allSettled([this.reconciling, ...this.refreshes.values(), ...this.inFlight]);
  }

  private refresh(name: string): Promise<void> {
    const previous = this.refreshes.get(name) ?? Promise.resolve();
    const next = previous
      .then(() => this.load(name))
      .catch((error: unknown) => this.logger.warn({ err: error, function: name }, 'could not update the schedules of a function; the next reconcile tries again'))
      .finally(() => {
        if (this.refreshes.get(name) === next) this.refreshes.delete(name);
      });
    this.refreshes.set(name, next);
    return next;
  }

  /** Runs the schedules of the version `latest` serves, keeping the tasks when they did not change. */
  private async load(name: string): Promise<void> {
    if (this.closed) return;
    const fn = await this.options.store.getLatest(name);
    const running = this.functions.get(name);
    const specs = fn === null ? [] : fn.manifest.crons.map(normalizeCron);
    const ids = specs.map(cronId);
    if (fn === null || specs.length === 0) {
      if (running === undefined) return;
      this.stopFunction(name);
      // Forget the removed schedules' state, so one that comes back does not count the gap as missed.
      if (fn !== null) await this.state.activate(name, [], Date.now());
      return;
    }
    if (running !== undefined && running.ids === ids.join()) {
      running.fn = fn;
      return;
    }
    await this.state.activate(name, ids, Date.now());
    if (this.closed) return;
    this.stopFunction(name);
    const entry: RunningFunction = { fn, ids: ids.join(), schedules: [] };
    for (const [index, spec] of specs.entries()) {
      const id = ids[index] ?? cronId(spec);
      const task = createTask(spec.schedule, (context) => this.fire(name, schedule, context.date), {
        timezone: cronTimeZone(spec),
        name: `${name}#${id}`,
        missedExecutionTolerance: this.lateToleranceMs,
        unref: true,
        logger: this.cronLogger,
      });
      const schedule: RunningSchedule = { spec, id, task };
      // Ticks this replica's timer missed are the missed-tick scan's business.
      task.on('execution:missed', (context) => this.logger.debug({ function: name, cron: spec.schedule, tick: context.date.toISOString() }, 'this replica fired a cron tick too late to enqueue it'));
      entry.schedules.push(schedule);
    }
    this.functions.set(name, entry);
    for (const schedule of entry.schedules) void schedule.task.start();
    this.logger.info({ function: name, version: fn.version, crons: specs.map((spec) => spec.schedule) }, 'cron schedules running');
  }

  private stopFunction(name: string): void {
    for (const schedule of this.functions.get(name)?.schedules ?? []) void schedule.task.destroy();
    this.functions.delete(name);
  }

  /** Enqueues one tick; every replica does, the job id lets one through. */
  private fire(name: string, schedule: RunningSchedule, tick: Date): void {
    const running = this.functions.get(name);
    if (this.closed || running === undefined || !running.schedules.includes(schedule)) return;
    const scheduledTime = tick.getTime();
    const jobId = cronTickJobId(name, schedule.id, scheduledTime);
    const work = (async () => {
      try {
        // A function whose async backlog is full gets no more ticks: the tick is not enqueued,
        // so the missed-tick scan records it (never silently dropped, never piled up).
        const { maxQueueDepth } = running.fn.manifest.async;
        if ((await this.options.queues.depth(functionQueueName(name))) >= maxQueueDepth) {
          this.logger.warn({ function: name, cron: schedule.spec.schedule, scheduledTime: tick.toISOString(), maxQueueDepth }, 'cron tick not enqueued: the function already has async.maxQueueDepth invocations waiting; it will be reported missed');
          return;
        }
        await enqueueScheduled(this.options, running.fn, schedule.spec, { scheduledTime, jobId });
        await this.state.markEnqueued(name, schedule.id, scheduledTime);
      } catch (error) {
        this.logger.error(
          { err: error, function: name, cron: schedule.spec.schedule, scheduledTime: tick.toISOString() },
          'could not enqueue a cron tick; unless another replica did, it will be reported missed',
        );
      }
    })();
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Records the ticks between each schedule's watermark and a few seconds ago that nobody enqueued. */
  private async scanMissed(name: string): Promise<void> {
    const running = this.functions.get(name);
    if (running === undefined) return;
    const until = Date.now() - 2 * this.lateToleranceMs;
    for (const schedule of running.schedules) {
      const from = await this.state.scannedUntil(name, schedule.id);
      if (from === null) {
        // The state is gone (Redis was flushed): start over from now.
        await this.state.activate(name, running.schedules.map((entry) => entry.id), Date.now());
        return;
      }
      if (from >= until) continue;
      const scan = cronTicksBetween(schedule.spec, from, until);
      const missed = await this.notEnqueued(name, schedule.id, scan.ticks);
      const recorded = await this.state.recordScan(name, schedule.id, { from, until, missed, capped: scan.capped });
      // Only the replica that recorded this window tells about it.
      if (recorded !== null && (missed.length > 0 || scan.capped)) {
        this.logger.warn(
          {
            function: name,
            cron: schedule.spec.schedule,
            timezone: cronTimeZone(schedule.spec),
            missed: missed.length,
            capped: scan.capped,
            first: missed[0] === undefined ? undefined : new Date(missed[0]).toISOString(),
            last: missed.at(-1) === undefined ? undefined : new Date(missed.at(-1) ?? 0).toISOString(),
          },
          scan.capped
            ? `at least ${missed.length} cron ticks were missed (more than a scan lists) while no scheduler enqueued them; they are not run late`
            : `${missed.length} cron tick(s) were missed while no scheduler enqueued them; they are not run late`,
        );
      }
    }
  }

  /**
   * The ticks with neither an invocation record nor a job. The record (written right after the
   * job) outlives the completed job; the job covers a replica that died between the two.
   */
  private async notEnqueued(name: string, id: string, ticks: readonly number[]): Promise<number[]> {
    if (ticks.length === 0) return [];
    const jobIds = ticks.map((tick) => cronTickJobId(name, id, tick));
    const pipeline = this.options.redis.pipeline();
    for (const jobId of jobIds) pipeline.exists(redisKeys.invocationRecord(cronTickInvocationId(jobId)));
    const records = (await pipeline.exec()) ?? [];
    const queue = this.options.queues.queue(functionQueueName(name));
    const missed: number[] = [];
    for (let start = 0; start < ticks.length; start += lookupBatch) {
      const batch = ticks.slice(start, start + lookupBatch).map((tick, offset) => ({ tick, index: start + offset }));
      const states = await Promise.all(
        batch.map(({ index }) => {
          const [error, exists] = records[index] ?? [null, 0];
          if (error === null && exists === 1) return 'recorded';
          return queue.getJobState(jobIds[index] ?? '');
        }),
      );
      batch.forEach(({ tick }, offset) => {
        if (states[offset] === 'unknown') missed.push(tick);
      });
    }
    return missed;
  }
}
