import { instanceKey, IsolaError, type FunctionStore, type InvocationRequest } from '@isola/core';
import { FunctionInstance, type LoadOptions } from '../sandbox/function-instance.js';
import type { PreparedIsolatePool } from '../sandbox/prepared-isolate.js';

export interface InstanceLookup {
  instance: FunctionInstance;
  coldStart: boolean;
  loadMs: number;
}

interface Entry {
  loading: Promise<FunctionInstance>;
  /** Set once loaded. */
  instance?: FunctionInstance;
}

/**
 * The function instances one worker holds, by instance key, least recently used first.
 * Concurrent cold requests for the same code share one load. Evictions are reported so the
 * scheduler stops counting the worker as warm.
 */
export class InstanceRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: FunctionStore,
    private readonly pool: PreparedIsolatePool,
    private readonly loadOptions: LoadOptions,
    private readonly maxInstances: number,
    private readonly onEvicted: (keys: string[]) => void,
  ) {}

  async acquire(request: InvocationRequest): Promise<InstanceLookup> {
    const key = instanceKey(request.function);
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      const instance = await existing.loading;
      if (instance.usable) {
        // Map order is recency order: move to the end.
        this.entries.delete(key);
        this.entries.set(key, existing);
        return { instance, coldStart: false, loadMs: 0 };
      }
      this.remove(key, existing);
    }
    const started = performance.now();
    const entry: Entry = { loading: this.load(request) };
    this.entries.set(key, entry);
    try {
      entry.instance = await entry.loading;
    } catch (error) {
      if (this.entries.get(key) === entry) this.entries.delete(key);
      throw error;
    }
    this.evictOverflow();
    return { instance: entry.instance, coldStart: true, loadMs: performance.now() - started };
  }

  /** Whether a usable instance of this code is loaded. */
  holds(key: string): boolean {
    return this.entries.get(key)?.instance?.usable === true;
  }

  /** Whether the loaded instance of this code runs on the synchronous fast path. */
  runsSynchronously(key: string): boolean {
    return this.entries.get(key)?.instance?.runsSynchronously === true;
  }

  /** Drops an instance that broke a limit, so the next invocation loads a fresh one. */
  release(request: InvocationRequest, instance: FunctionInstance): void {
    if (instance.usable) return;
    const key = instanceKey(request.function);
    const entry = this.entries.get(key);
    if (entry?.instance === instance) this.remove(key, entry);
  }

  close(): void {
    for (const entry of this.entries.values()) entry.instance?.dispose();
    this.entries.clear();
  }

  private async load(request: InvocationRequest): Promise<FunctionInstance> {
    const { name, version, codeHash } = request.function;
    const stored = await this.store.getVersionWithCode(name, version);
    if (stored === null || stored.codeHash !== codeHash) {
      throw new IsolaError('FUNCTION_NOT_FOUND', `version ${version} of function "${name}" is not stored (deleted while in flight?)`).toShape();
    }
    const prepared = await this.pool.take(stored.manifest.limits.memoryMb);
    return FunctionInstance.load(prepared, stored, this.loadOptions);
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    if (entry.instance !== undefined && entry.instance.inFlight === 0) entry.instance.dispose();
    this.onEvicted([key]);
  }

  /** Evicts idle instances, oldest first, until the registry is within its bound. */
  private evictOverflow(): void {
    const evicted: string[] = [];
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxInstances) break;
      if (entry.instance === undefined || entry.instance.inFlight > 0) continue;
      this.entries.delete(key);
      entry.instance.dispose();
      evicted.push(key);
    }
    if (evicted.length > 0) this.onEvicted(evicted);
  }
}
