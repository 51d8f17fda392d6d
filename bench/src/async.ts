import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { defaultAsync, functionQueueName, loadConfig, platformHeaders, queuePrefix, redisKeys } from '@isola/core';
import { Redis } from 'ioredis';
import type { AsyncClientConfig, AsyncCommand, AsyncReply, BurstCheck, BurstResult, BurstTiming, SequentialResult } from './async-messages.js';
import type { BenchPlatform } from './bench-platform.js';
import type { BullmqWorkerConfig } from './bullmq-worker.js';
import { cpuSeconds, machineCpuSeconds, processTree } from './process-tree.js';
import { grouped } from './stats.js';

export interface AsyncOptions {
  /** Jobs per throughput burst, the same for both sides. */
  jobs: number;
  /** Jobs submitted one at a time (each waits for the previous one's completion) for latency. */
  sequential: number;
  /** Submissions in flight at once during a burst (HTTP connections; pending adds for BullMQ). */
  inFlight: number;
}

/** CPU used during a burst, by process (summed over processes of the same role), and by the whole machine. */
export interface CpuSample {
  seconds: number;
  processes: { role: string; cpuSeconds: number }[];
  machineBusySeconds: number;
}

export interface AsyncSide {
  /** One job at a time: submit → completion event, and the submission alone (ms). */
  sequential: SequentialResult;
  burst: BurstResult;
  cpu: CpuSample;
  /** Commands Redis ran during the burst (all clients: the client's polling included), most called first. */
  redisCalls: { command: string; calls: number }[];
  /** Socket reads and writes Redis processed during the burst (all clients). */
  redisReads: number;
  redisWrites: number;
}

export interface AsyncResult {
  options: AsyncOptions;
  /** Isola's async slots (ISOLA_ASYNC_SLOTS), also the raw worker's concurrency. */
  slots: number;
  raw: AsyncSide;
  isola: AsyncSide;
}

/** The no-op function, as the issue states it. */
const noopName = 'noop';
const noopFunction = {
  // A high backlog limit: a burst may queue more than the default 10,000 before the consumer catches up.
  manifest: { name: noopName, main: 'index.js', public: true, async: { maxQueueDepth: 1_000_000 } },
  files: { 'index.js': "export default { fetch: () => new Response('ok') };\n" },
};
/** The raw side's queue: the platform's Redis, keys outside Isola's `isola:` space. */
const rawQueue = { name: 'noop', prefix: 'bench:q' };
/** As Isola's QueueClient keeps completed invocation jobs. */
const keepCompletedSeconds = 3_600;
export const asyncWarmupJobs = 500;
const timeoutMs = 120_000;

/**
 * The async path against its floor, in one run on the platform's own Redis: raw BullMQ no-op
 * jobs (a producer process adding, a Worker process completing them) and Isola's async trigger
 * with a no-op function (a client process posting, `isola up` queueing and running them). Each
 * side gets a warm-up burst; then latency one job at a time, raw then Isola; then a throughput
 * burst of `jobs`, raw then Isola, with the CPU of every process involved and the commands Redis ran.
 */
export async function measureAsync(platform: BenchPlatform, options: AsyncOptions): Promise<AsyncResult> {
  // The platform's settings resolved as `isola up` resolves them (same environment, same cwd).
  const config = loadConfig();
  const redisUrl = platform.redisUrl;
  await platform.deploy(noopFunction.manifest, noopFunction.files);

  const common = { redisUrl, inFlight: options.inFlight, rawJobAttempts: defaultAsync.retries + 1, keepCompletedSeconds, timeoutMs };
  const started: { stop(): Promise<void> }[] = [];
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const rawWorker = await ChildProcessRunner.start<BullmqWorkerConfig>('bullmq-worker.js', 'raw BullMQ worker', {
      redisUrl,
      queue: rawQueue,
      concurrency: config.asyncSlots,
      lockDurationMs: config.queueLockMs,
      stalledIntervalMs: config.queueStalledIntervalMs,
    });
    started.push(rawWorker);
    const raw = await ChildProcessRunner.start<AsyncClientConfig>('async-client.js', 'raw BullMQ client', {
      ...common,
      target: { kind: 'bullmq' },
      queue: rawQueue,
      recordKeyPrefix: null,
    });
    started.push(raw);
    const isola = await ChildProcessRunner.start<AsyncClientConfig>('async-client.js', 'Isola client', {
      ...common,
      target: { kind: 'http', url: `${platform.url}/fn/${noopName}/`, headers: { [platformHeaders.invoke]: 'async' } },
      queue: { name: functionQueueName(noopName), prefix: queuePrefix },
      recordKeyPrefix: redisKeys.invocationRecord(''),
    });
    started.push(isola);

    const redisServers = processTree(platform.pid)
      .filter((process) => process.role === 'redis-server')
      .map((process) => ({ role: 'redis-server', pid: process.pid }));
    const rawProcesses = [{ role: 'client', pid: raw.pid }, { role: 'consumer', pid: rawWorker.pid }, ...redisServers];
    const isolaProcesses = [
      { role: 'client', pid: isola.pid },
      ...processTree(platform.pid)
        .filter((process) => process.role !== 'esbuild')
        .map((process) => ({ role: process.role === 'isola up' ? 'consumer' : process.role, pid: process.pid })),
    ];
    const measuredBurst = async (client: ChildProcessRunner, count: number, processes: { role: string; pid: number }[], label: string) => {
      const before = await redisCounters(redis);
      const { result: timing, cpu } = await cpuDuring(processes, () => client.burst(count));
      const after = await redisCounters(redis);
      const burst = checkBurst({ ...timing, ...(await client.check()) }, label, platform);
      const redisCalls = [...after.calls]
        .map(([command, calls]) => ({ command, calls: calls - (before.calls.get(command) ?? 0) }))
        .filter((entry) => entry.calls > 0 && entry.command !== 'info')
        .sort((a, b) => b.calls - a.calls);
      return { burst, cpu, redisCalls, redisReads: after.reads - before.reads, redisWrites: after.writes - before.writes };
    };

    console.log(`  warm-up: ${asyncWarmupJobs} jobs each`);
    await measuredBurst(raw, Math.min(asyncWarmupJobs, options.jobs), rawProcesses, 'raw BullMQ warm-up');
    await measuredBurst(isola, Math.min(asyncWarmupJobs, options.jobs), isolaProcesses, 'Isola warm-up');

    console.log(`  latency: ${grouped(options.sequential)} jobs one at a time, raw BullMQ then Isola`);
    const rawSequential = await raw.sequential(options.sequential);
    const isolaSequential = await isola.sequential(options.sequential);

    console.log(`  throughput: ${grouped(options.jobs)} jobs, ${options.inFlight} in flight, raw BullMQ then Isola`);
    const rawBurst = await measuredBurst(raw, options.jobs, rawProcesses, 'raw BullMQ');
    const isolaBurst = await measuredBurst(isola, options.jobs, isolaProcesses, 'Isola');

    return {
      options,
      slots: config.asyncSlots,
      raw: { sequential: rawSequential, ...rawBurst },
      isola: { sequential: isolaSequential, ...isolaBurst },
    };
  } finally {
    for (const child of started.reverse()) await child.stop();
    redis.disconnect();
  }
}

/**
 * Redis's counters so far: calls per command (INFO commandstats; commands run inside Lua
 * scripts count too, each under its own name, besides the EVALSHA that ran them), and the
 * socket reads and writes it processed (INFO stats): one per round trip, pipelined or not.
 */
async function redisCounters(redis: Redis): Promise<{ calls: Map<string, number>; reads: number; writes: number }> {
  const [commandstats, stats] = await Promise.all([redis.info('commandstats'), redis.info('stats')]);
  const stat = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(stats)?.[1] ?? Number.NaN);
  return {
    calls: new Map([...commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map((match) => [match[1] ?? '', Number(match[2])])),
    reads: stat('total_reads_processed'),
    writes: stat('total_writes_processed'),
  };
}

/** Every job of the burst completed, none failed, and (Isola) every record says `succeeded`. */
function checkBurst(result: BurstResult, label: string, platform: BenchPlatform): BurstResult {
  const problems: string[] = [];
  if (result.completedIds !== result.count) problems.push(`${result.completedIds} of ${result.count} submitted ids are in the completed set`);
  if (result.failed !== 0) problems.push(`${result.failed} job(s) failed`);
  if (result.succeededRecords !== null && result.succeededRecords !== result.count) problems.push(`${result.succeededRecords} of ${result.count} records say succeeded`);
  if (problems.length > 0) throw platform.failure(`${label}: ${problems.join('; ')}`);
  return result;
}

/** The URL of the platform's private redis-server, from its command line (its title names the port). */
async function cpuDuring<T>(processes: { role: string; pid: number }[], run: () => Promise<T>): Promise<{ result: T; cpu: CpuSample }> {
  const before = processes.map((process) => cpuSeconds(process.pid));
  const machineBefore = machineCpuSeconds();
  const startedAt = performance.now();
  const result = await run();
  const seconds = (performance.now() - startedAt) / 1000;
  const machineBusySeconds = machineCpuSeconds().busy - machineBefore.busy;
  const byRole = new Map<string, number>();
  processes.forEach((process, index) => {
    const start = before[index];
    const end = cpuSeconds(process.pid);
    if (start == null || end === null) return;
    byRole.set(process.role, (byRole.get(process.role) ?? 0) + end - start);
  });
  return { result, cpu: { seconds, processes: [...byRole].map(([role, used]) => ({ role, cpuSeconds: used })), machineBusySeconds } };
}

/**
 * A forked script of this folder that says `ready` once set up, then answers commands by
 * requestId (async-messages.ts) and exits when the channel closes. Its configuration is its
 * one argument, as JSON.
 */
class ChildProcessRunner {
  private nextRequestId = 1;
  private readonly pending = new Map<number, { resolve: (reply: AsyncReply) => void; reject: (error: Error) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly label: string,
  ) {
    child.on('message', (reply: AsyncReply) => {
      if (reply.type === 'ready' || reply.requestId === null) return;
      const waiter = this.pending.get(reply.requestId);
      this.pending.delete(reply.requestId);
      if (reply.type === 'failed') waiter?.reject(new Error(`${label}: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        for (const waiter of this.pending.values()) waiter.reject(new Error(`${label} exited (code ${code}, signal ${signal}) before answering`));
        this.pending.clear();
        resolve();
      }),
    );
  }

  static async start<Config>(script: string, label: string, config: Config): Promise<ChildProcessRunner> {
    const child = fork(fileURLToPath(new URL(`./${script}`, import.meta.url)), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: AsyncReply) => {
        if (message.type === 'ready') resolve();
        if (message.type === 'failed') reject(new Error(`${label}: ${message.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`${label} exited with code ${code} before it was ready`)));
    });
    child.removeAllListeners('message');
    return new ChildProcessRunner(child, label);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} has no pid`);
    return this.child.pid;
  }

  async sequential(count: number): Promise<SequentialResult> {
    const reply = await this.call({ type: 'sequential', requestId: this.nextRequestId++, count });
    if (reply.type !== 'sequential-done') throw new Error(`${this.label} answered ${reply.type} to sequential`);
    return reply.result;
  }

  async burst(count: number): Promise<BurstTiming> {
    const reply = await this.call({ type: 'burst', requestId: this.nextRequestId++, count });
    if (reply.type !== 'burst-done') throw new Error(`${this.label} answered ${reply.type} to burst`);
    return reply.result;
  }

  async check(): Promise<BurstCheck> {
    const reply = await this.call({ type: 'check', requestId: this.nextRequestId++ });
    if (reply.type !== 'check-done') throw new Error(`${this.label} answered ${reply.type} to check`);
    return reply.result;
  }

  /** Closes the channel, which asks it to close its connections and exit; SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }

  private call(command: AsyncCommand): Promise<AsyncReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(command.requestId, { resolve, reject });
      this.child.send(command);
    });
  }
}
