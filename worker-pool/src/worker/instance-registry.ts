import { instanceKey, IsolaError, type InvocationRequest, type SecretStore } from '@isola/core';
import { FunctionInstance, type LoadOptions } from '../sandbox/function-instance.js';
import type { PreparedIsolatePool } from '../sandbox/prepared-isolate.js';
import type { VersionLookup } from './version-source.js';

export interface InstanceLookup {
  instance: FunctionInstance;
  coldStart: boolean;
  loadMs: number;
}

export interface RegistryLimits {
  /** Instances unused this long are disposed (scale to zero). */
  idleTtlMs: number;
  /** Heap (V8 total heap size) all instances together may hold before idle ones are evicted. */
  memoryBudgetBytes: number;
  /** Instances this worker may hold at most. */
  maxInstances: number;
}

/** Where a load gets the function's decrypted secrets (one read per load). */
export type SecretValues = Pick<SecretStore, 'values'>;

/** An invocation waiting for room in an instance of its version. */
interface Waiter {
  started: number;
  /** Kept so a waiter whose instances were evicted can have another one loaded. */
  request: InvocationRequest;
  resolve: (lookup: InstanceLookup) => void;
  reject: (error: unknown) => void;
}

/** The instances of one function version on this worker. */
interface Group {
  functionName: string;
  instances: FunctionInstance[];
  /** Instances being loaded. */
  loads: number;
  /** Invocations waiting for room, first come first served. */
  queue: Waiter[];
}

/**
 * The function instances one worker holds, grouped by instance key, least recently used group
 * first. An instance takes up to `limits.concurrency` interleaved invocations; when all of a
 * version's instances are that busy another one is loaded. Idle instances go after
 * `idleTtlMs`, and the least recently used idle ones go when the heap budget or the instance
 * count is exceeded. Evicted keys are reported so the scheduler stops counting the worker warm.
 * When a function's secrets change or it is deleted, evictFunction() takes all its instances out
 * of use, so the next invocation loads with the new env.
 */
export class InstanceRegistry {
  private readonly groups = new Map<string, Group>();
  /** Instances held and their heap as last measured, kept as running totals (see account). */
  private held = 0;
  private heldHeapBytes = 0;
  private readonly accountedHeap = new WeakMap<FunctionInstance, number>();
  /** evictFunction() calls per function name: a load that began before the latest one read stale secrets. */
  private readonly generations = new Map<string, number>();
  /** Instances evictFunction() took out of use while busy: they finish their invocations, take no new ones, and go on release. */
  private readonly retiring = new Set<FunctionInstance>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly versions: VersionLookup,
    private readonly secrets: SecretValues,
    private readonly pool: PreparedIsolatePool,
    private readonly loadOptions: LoadOptions,
    private readonly limits: RegistryLimits,
    private readonly onEvicted: (keys: string[]) => void,
  ) {
    this.sweeper = setInterval(() => this.evictIdle(), Math.min(30_000, Math.max(50, limits.idleTtlMs / 4)));
    this.sweeper.unref();
  }

  /** An instance for the invocation, counted as in flight until release(). */
  acquire(request: InvocationRequest): Promise<InstanceLookup> {
    const key = instanceKey(request.function);
    const concurrency = request.limits.concurrency;
    let group = this.groups.get(key);
    if (group !== undefined) {
      // Map order is recency order: move to the end.
      this.groups.delete(key);
      this.groups.set(key, group);
      const free = this.leastBusy(group, concurrency);
      if (free !== null && group.queue.length === 0) return Promise.resolve(this.take(free, false, 0));
    } else {
      group = { functionName: request.function.name, instances: [], loads: 0, queue: [] };
      this.groups.set(key, group);
    }
    const waiting = group;
    const lookup = new Promise<InstanceLookup>((resolve, reject) => waiting.queue.push({ started: performance.now(), request, resolve, reject }));
    // Each load under way will serve `concurrency` waiters; start another only when those are
    // not enough for everyone in the queue.
    if (group.loads * concurrency < group.queue.length) this.startLoad(key, group, request);
    return lookup;
  }

  /** Ends an invocation: the instance is idle again, or dropped when it broke a limit. */
  release(request: InvocationRequest, instance: FunctionInstance): void {
    instance.inFlight -= 1;
    instance.lastUsedAt = performance.now();
    this.pool.refillSoon(request.limits.memoryMb);
    if (this.retiring.has(instance)) {
      if (instance.inFlight === 0) {
        this.retiring.delete(instance);
        instance.dispose();
      }
      return;
    }
    if (instance.usable) this.account(instance);
    const key = instanceKey(request.function);
    const group = this.groups.get(key);
    if (instance.usable) {
      if (group !== undefined) this.serveQueue(group, instance, request.limits.concurrency, false);
      this.evictOverBudget();
      return;
    }
    if (group === undefined) return;
    this.removeInstance(key, group, instance);
    // Waiters this instance would have served need another one.
    if (group.queue.length > group.loads * request.limits.concurrency) this.startLoad(key, group, request);
  }

  /** Whether a usable instance of this code is loaded. */
  holds(key: string): boolean {
    return this.groups.get(key)?.instances.some((instance) => instance.usable) === true;
  }

  /** Whether the loaded instances of this code run on the synchronous fast path. */
  runsSynchronously(key: string): boolean {
    return this.groups.get(key)?.instances.some((instance) => instance.runsSynchronously) === true;
  }

  /**
   * Stops using every instance of the function, all versions: its secrets changed or it was
   * deleted. Idle instances are disposed now; busy ones finish what they run and go on release;
   * a load under way is thrown away when it completes. Invocations waiting for room get a fresh
   * load. Every key of the function is reported as evicted.
   */
  evictFunction(name: string): void {
    this.generations.set(name, (this.generations.get(name) ?? 0) + 1);
    const evicted: string[] = [];
    for (const [key, group] of this.groups) {
      if (group.functionName !== name) continue;
      evicted.push(key);
      for (const instance of group.instances.splice(0)) {
        this.forget(instance);
        if (instance.inFlight === 0) instance.dispose();
        else this.retiring.add(instance);
      }
      const waiter = group.queue[0];
      if (waiter === undefined) {
        if (group.loads === 0) this.groups.delete(key);
      } else if (group.queue.length > group.loads * waiter.request.limits.concurrency) {
        this.startLoad(key, group, waiter.request);
      }
    }
    if (evicted.length > 0) this.onEvicted(evicted);
  }

  /** evictFunction() for every function held (after events may have been missed). */
  evictAll(): void {
    for (const name of new Set([...this.groups.values()].map((group) => group.functionName))) this.evictFunction(name);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const group of this.groups.values()) for (const instance of group.instances) instance.dispose();
    for (const instance of this.retiring) instance.dispose();
    this.retiring.clear();
    this.groups.clear();
    this.held = 0;
    this.heldHeapBytes = 0;
  }

  private take(instance: FunctionInstance, coldStart: boolean, loadMs: number): InstanceLookup {
    instance.inFlight += 1;
    return { instance, coldStart, loadMs };
  }

  private leastBusy(group: Group, concurrency: number): FunctionInstance | null {
    let best: FunctionInstance | null = null;
    for (const instance of group.instances) {
      if (!instance.usable || instance.inFlight >= concurrency) continue;
      if (best === null || instance.inFlight < best.inFlight) best = instance;
    }
    return best;
  }

  private startLoad(key: string, group: Group, request: InvocationRequest): void {
    const concurrency = request.limits.concurrency;
    const generation = this.generations.get(group.functionName);
    group.loads += 1;
    this.load(request).then(
      (instance) => {
        group.loads -= 1;
        if (this.generations.get(group.functionName) !== generation) {
          // Evicted while loading: its secrets may be stale. Load again for whoever waits.
          instance.dispose();
          if (group.queue.length > group.loads * concurrency) this.startLoad(key, group, request);
          else if (group.instances.length === 0 && group.loads === 0 && this.groups.get(key) === group) this.groups.delete(key);
          return;
        }
        group.instances.push(instance);
        this.held += 1;
        this.account(instance);
        // The group may have been evicted while this instance loaded: keep it, under its key.
        if (this.groups.get(key) !== group) this.groups.set(key, group);
        this.serveQueue(group, instance, concurrency, true);
        this.evictOverBudget();
      },
      (error: unknown) => {
        group.loads -= 1;
        // The waiters this load was to serve get its error; others wait for other loads.
        for (const waiter of group.queue.splice(0, concurrency)) waiter.reject(error);
        if (group.queue.length > group.loads * concurrency) this.startLoad(key, group, request);
        if (group.instances.length === 0 && group.loads === 0 && this.groups.get(key) === group) this.groups.delete(key);
      },
    );
  }

  /** Hands room in `instance` to waiting invocations, oldest first. */
  private serveQueue(group: Group, instance: FunctionInstance, concurrency: number, coldStart: boolean): void {
    while (group.queue.length > 0 && instance.usable && instance.inFlight < concurrency) {
      const waiter = group.queue.shift() as Waiter;
      waiter.resolve(this.take(instance, coldStart, coldStart ? performance.now() - waiter.started : 0));
    }
  }

  private async load(request: InvocationRequest): Promise<FunctionInstance> {
    const { name, version, codeHash } = request.function;
    // The secrets' one HGETALL runs alongside the version read (often none: see VersionSource)
    // and the module's compile and evaluation; the load awaits it just before building env.
    const secrets = this.secrets.values(name).catch((error: unknown) => {
      // An IsolaError (a value that does not open) crosses to the supervisor as a plain object.
      throw error instanceof IsolaError ? error.toShape() : error;
    });
    secrets.catch(() => undefined); // awaited by the load, or dropped with a failed version read
    const stored = await this.versions.get(name, version);
    if (stored === null || stored.codeHash !== codeHash) {
      throw new IsolaError('FUNCTION_NOT_FOUND', `version ${version} of function "${name}" is not stored (deleted while in flight?)`).toShape();
    }
    const prepared = await this.pool.take(stored.manifest.limits.memoryMb);
    return FunctionInstance.load(prepared, stored, this.loadOptions, secrets);
  }

  private removeInstance(key: string, group: Group, instance: FunctionInstance): void {
    const index = group.instances.indexOf(instance);
    if (index >= 0) {
      group.instances.splice(index, 1);
      this.forget(instance);
    }
    if (instance.inFlight === 0) instance.dispose();
    if (group.instances.length === 0 && group.loads === 0) {
      this.groups.delete(key);
      this.onEvicted([key]);
    }
  }

  /** Disposes instances that have been idle for longer than the TTL. */
  private evictIdle(): void {
    const cutoff = performance.now() - this.limits.idleTtlMs;
    this.evictWhile((instance) => instance.lastUsedAt < cutoff, () => true);
  }

  /** Brings the running heap total up to date with the instance's latest measurement. */
  private account(instance: FunctionInstance): void {
    this.heldHeapBytes += instance.heapTotalBytes - (this.accountedHeap.get(instance) ?? 0);
    this.accountedHeap.set(instance, instance.heapTotalBytes);
  }

  private forget(instance: FunctionInstance): void {
    this.heldHeapBytes -= this.accountedHeap.get(instance) ?? 0;
    this.accountedHeap.delete(instance);
    this.held -= 1;
  }

  /** Evicts idle instances, least recently used first, until within the heap budget and count. */
  private evictOverBudget(): void {
    const over = () => this.heldHeapBytes > this.limits.memoryBudgetBytes || this.held > this.limits.maxInstances;
    if (over()) this.evictWhile(() => true, over);
  }

  /** Walks groups from least recently used and disposes idle instances matching `eligible` for as long as `more()` holds. */
  private evictWhile(eligible: (instance: FunctionInstance) => boolean, more: () => boolean): void {
    const emptied: string[] = [];
    outer: for (const [key, group] of this.groups) {
      for (const instance of [...group.instances]) {
        if (!more()) break outer;
        if (instance.inFlight > 0 || !eligible(instance)) continue;
        group.instances.splice(group.instances.indexOf(instance), 1);
        this.forget(instance);
        instance.dispose();
        if (group.instances.length === 0 && group.loads === 0) {
          this.groups.delete(key);
          emptied.push(key);
        }
      }
    }
    if (emptied.length > 0) this.onEvicted(emptied);
  }
}
