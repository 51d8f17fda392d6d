import type { Logger } from '@isola/core';
import type { FunctionResource } from './function-resource.js';
import { describeKubeError, statusCodeOf, type KubeApi } from './kube.js';

export interface FunctionWatcherOptions {
  /** Every Function is handed over again this often, whether or not it changed (drift repair). */
  resyncMs: number;
  /** Asked of the server for each watch; it ends the watch after this, and the watcher resumes. */
  watchTimeoutSeconds: number;
  /** First pause after a failed list or watch; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
}

export interface WatchHandlers {
  /** A Function appeared or changed in a way that may need work (or a resync is due). */
  changed(name: string): void;
  /** A Function is gone from the API (its finalizer, if any, already handled). */
  removed(name: string): void;
}

/**
 * Keeps a copy of every Function in the namespace: lists, then watches from the list's
 * resourceVersion, resuming from the last one seen when a watch ends. A watch that answers 410
 * Gone (its resourceVersion is too old: the server compacted its history) lists again, and
 * Functions that vanished meanwhile are reported as removed. A resync hands every Function over
 * periodically.
 */
export class FunctionWatcher {
  private readonly cache = new Map<string, FunctionResource>();
  private resourceVersion = '';
  private abort: AbortController | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;
  private synced = false;

  constructor(
    private readonly kube: KubeApi,
    private readonly handlers: WatchHandlers,
    private readonly options: FunctionWatcherOptions,
    private readonly logger: Logger,
  ) {}

  get(name: string): FunctionResource | undefined {
    return this.cache.get(name);
  }

  names(): string[] {
    return [...this.cache.keys()];
  }

  /** True once the first list is in. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** Replaces the cached copy with a newer one the operator itself received (after a write). */
  observe(resource: FunctionResource): void {
    const cached = this.cache.get(resource.metadata.name);
    if (cached === undefined || Number(resource.metadata.resourceVersion) >= Number(cached.metadata.resourceVersion)) {
      this.cache.set(resource.metadata.name, resource);
    }
  }

  start(): void {
    this.stopped = false;
    void this.listAndWatch();
    this.resyncTimer = setInterval(() => {
      for (const name of this.cache.keys()) this.handlers.changed(name);
    }, this.options.resyncMs);
    this.resyncTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.abort?.abort();
    this.abort = null;
  }

  private async listAndWatch(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.kube.listFunctions();
      const present = new Set(list.items.map((item) => item.metadata.name));
      for (const name of [...this.cache.keys()]) {
        if (!present.has(name)) {
          this.cache.delete(name);
          this.handlers.removed(name);
        }
      }
      for (const item of list.items) {
        const cached = this.cache.get(item.metadata.name);
        this.cache.set(item.metadata.name, item);
        if (cached === undefined || needsWork(cached, item)) this.handlers.changed(item.metadata.name);
      }
      this.resourceVersion = list.resourceVersion;
      this.synced = true;
      this.logger.info({ functions: list.items.length, resourceVersion: list.resourceVersion }, 'listed Functions');
    } catch (error) {
      this.retry('could not list Functions', error, () => this.listAndWatch());
      return;
    }
    await this.watch();
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let expired = false;
    let sawEvent = false;
    const finished = (error: unknown) => {
      this.abort = null;
      if (this.stopped) return;
      if (expired || statusCodeOf(error) === 410) {
        this.logger.info({ resourceVersion: this.resourceVersion }, 'the Function watch expired (410 Gone): listing again');
        this.resourceVersion = '';
        this.failures = 0;
        void this.listAndWatch();
      } else if (error !== null && error !== undefined && (error as Error).name !== 'AbortError') {
        this.retry('the Function watch failed', error, () => this.watch());
      } else {
        // The server ended the watch (its timeout): resume from the last resourceVersion seen.
        if (sawEvent) this.failures = 0;
        void this.watch();
      }
    };
    try {
      this.abort = await this.kube.watcher.watch(
        this.kube.functionsPath,
        { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: this.options.watchTimeoutSeconds },
        (type: string, object: unknown) => {
          sawEvent = true;
          this.failures = 0;
          if (type === 'ERROR') {
            const status = object as { code?: number; message?: string };
            if (status.code === 410) expired = true;
            else this.logger.warn({ status }, 'the Function watch sent an error');
            return;
          }
          const resource = object as FunctionResource;
          const version = resource.metadata?.resourceVersion;
          if (version !== undefined) this.resourceVersion = version;
          if (type === 'BOOKMARK') return;
          const name = resource.metadata.name;
          if (type === 'DELETED') {
            this.cache.delete(name);
            this.handlers.removed(name);
            return;
          }
          const cached = this.cache.get(name);
          this.cache.set(name, resource);
          if (cached === undefined || needsWork(cached, resource)) this.handlers.changed(name);
        },
        finished,
      );
    } catch (error) {
      finished(error);
    }
  }

  private retry(what: string, error: unknown, again: () => Promise<void>): void {
    if (this.stopped) return;
    this.failures += 1;
    const delay = Math.min(this.options.maxRetryMs, this.options.retryMs * 2 ** (this.failures - 1));
    this.logger.warn({ err: describeKubeError(error), retryInMs: delay }, what);
    this.retryTimer = setTimeout(() => void again(), delay);
    this.retryTimer.unref();
  }
}

/** A change the reconciler must look at: the spec (generation), deletion, or finalizers; not a status write. */
function needsWork(before: FunctionResource, after: FunctionResource): boolean {
  return (
    before.metadata.generation !== after.metadata.generation ||
    before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp ||
    JSON.stringify(before.metadata.finalizers ?? []) !== JSON.stringify(after.metadata.finalizers ?? [])
  );
}
