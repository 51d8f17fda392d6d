// `isola dev` without its HTTP server: the function folder (and the folders of the functions it
// calls) loaded into a local platform, reloaded when their files change (a broken change keeps
// the last good version running), their crons firing, and the state optionally saved to a file.
import { backoffDelayMs, type CronSpec } from '@isola/core';
import { MemoryBackends } from '@isola/sidecar';
import { FolderWatcher } from './folder-watcher.js';
import { LocalCrons } from './local-crons.js';
import { LocalFunction, type InvocationReport } from './local-function.js';
import { LocalPlatform } from './local-platform.js';
import { StateFile } from './state-file.js';

/** Where a session tells what happens (the command prints it). */
export interface DevOutput {
  invocation(report: InvocationReport): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A change to a function's folder does not build (an IsolaError listing the problems, mostly); `serving` still runs. */
  reloadFailed(fn: string, serving: number, error: unknown): void;
}

export interface DevSessionOptions {
  folder: string;
  /** Folders of other functions to run beside it (those its service bindings call). */
  services?: string[];
  /** The file state is saved to; undefined: state lives in memory only. */
  persistFile?: string;
  output: DevOutput;
}

export class DevSession {
  private readonly crons = new Map<LocalFunction, LocalCrons>();
  private readonly watchers: FolderWatcher[] = [];
  /** Reloads under way, and those asked for meanwhile (run once the current one ends). */
  private readonly reloading = new Map<LocalFunction, { again: string[] | null }>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private closed = false;

  private constructor(
    readonly platform: LocalPlatform,
    readonly main: LocalFunction,
    readonly functions: LocalFunction[],
    private readonly stateFile: StateFile | null,
    private readonly output: DevOutput,
  ) {}

  static async start(options: DevSessionOptions): Promise<DevSession> {
    const { output } = options;
    const memory = new MemoryBackends();
    // Read before anything starts: a malformed file stops the start.
    const stateFile = options.persistFile === undefined ? null : StateFile.open(options.persistFile, memory, (message) => output.error(message));
    const platform = await LocalPlatform.start({ memory, warn: (message) => output.warn(message) });
    try {
      const functions: LocalFunction[] = [];
      for (const folder of [...(options.services ?? []), options.folder]) functions.push(await LocalFunction.load(platform, folder));
      const session = new DevSession(platform, functions.at(-1) as LocalFunction, functions, stateFile, output);
      platform.onInvocation((report) => output.invocation(report));
      for (const fn of functions) session.follow(fn);
      return session;
    } catch (error) {
      stateFile?.close();
      await platform.close();
      throw error;
    }
  }

  /**
   * Runs a scheduled tick now and answers with its first try; a failure is tried again later as
   * the platform does (`async.retries`, `async.backoff`), unless the handler called noRetry().
   */
  async runScheduled(fn: LocalFunction, spec: CronSpec, scheduledTime: number, attempt = 1): Promise<InvocationReport> {
    const report = await fn.scheduled({ cron: spec.schedule, scheduledTime });
    const { outcome } = report;
    const { retries, backoff } = fn.manifest.async;
    if (!outcome.ok && outcome.noRetry !== true && attempt <= retries && !this.closed) {
      const delayMs = backoffDelayMs(attempt, backoff);
      this.output.warn(`${fn.name}: scheduled ${JSON.stringify(spec.schedule)} failed; trying again in ${(delayMs / 1000).toFixed(1)} s (try ${attempt + 1} of ${retries + 1})`);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        void this.runScheduled(fn, spec, scheduledTime, attempt + 1);
      }, delayMs);
      this.retryTimers.add(timer);
    }
    return report;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.watchers) watcher.close();
    for (const crons of this.crons.values()) crons.close();
    for (const timer of this.retryTimers) clearTimeout(timer);
    await this.platform.close();
    this.stateFile?.close();
  }

  /** Fires the function's crons and reloads it when its folder changes. */
  private follow(fn: LocalFunction): void {
    const crons = new LocalCrons((spec, tick) => void this.runScheduled(fn, spec, tick));
    crons.schedule(fn.manifest);
    this.crons.set(fn, crons);
    this.watchers.push(
      new FolderWatcher(
        fn.folder,
        (paths) => void this.reload(fn, paths),
        (error) => this.output.error(`stopped watching ${fn.folder}: ${error.message}; restart isola dev`),
      ),
    );
  }

  private async reload(fn: LocalFunction, paths: string[]): Promise<void> {
    const running = this.reloading.get(fn);
    if (running !== undefined) {
      running.again = [...(running.again ?? []), ...paths];
      return;
    }
    const state: { again: string[] | null } = { again: null };
    this.reloading.set(fn, state);
    const started = performance.now();
    const previous = fn.current.version;
    try {
      const version = await fn.reload();
      if (this.closed || version === null) return;
      this.crons.get(fn)?.schedule(version.manifest);
      const changed = paths.length === 0 ? '' : ` (${paths.join(', ')} changed)`;
      this.output.info(`Reloaded ${fn.name} v${version.version} in ${Math.round(performance.now() - started)} ms${changed}`);
    } catch (error) {
      if (!this.closed) this.output.reloadFailed(fn.name, previous, error);
    } finally {
      this.reloading.delete(fn);
      if (state.again !== null && !this.closed) void this.reload(fn, state.again);
    }
  }
}
