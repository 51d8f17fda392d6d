import { conditionHolds, EtagMismatch, type StateItem, type StateStore, type StateWrite } from './state-store.js';

/** One stored value: its JSON text, its version (the ETag), and when it expires. */
export interface MemoryStateEntry {
  value: string;
  version: number;
  /** Epoch ms; absent when it does not expire. */
  expiresAt?: number;
}

/** How often expired entries nobody reads are dropped. */
const sweepIntervalMs = 30_000;

/**
 * The entries of one in-memory state store, with synchronous access: what `state.in-memory`
 * serves, and what a host embedding the sidecar (isola dev, the testing helper) reads, seeds,
 * watches and saves. Writes are all or nothing, under the same ETag rules as every state store.
 */
export class MemoryStateData {
  private readonly entries = new Map<string, MemoryStateEntry>();
  private readonly listeners = new Set<() => void>();

  get(key: string): StateItem | null {
    const entry = this.live(key);
    return entry === undefined ? null : { value: entry.value, etag: String(entry.version) };
  }

  /** Applies every write or none: when a condition does not hold, EtagMismatch names its key. */
  write(writes: readonly StateWrite[]): void {
    for (const write of writes) {
      const entry = this.live(write.key);
      if (!conditionHolds(write.condition, entry === undefined ? null : String(entry.version))) throw new EtagMismatch(write.key, write.condition);
    }
    const now = Date.now();
    for (const write of writes) {
      if (write.kind === 'delete') {
        this.entries.delete(write.key);
        continue;
      }
      const entry: MemoryStateEntry = { value: write.value, version: (this.live(write.key)?.version ?? 0) + 1 };
      if (write.ttlSeconds !== undefined && write.ttlSeconds > 0) entry.expiresAt = now + write.ttlSeconds * 1000;
      this.entries.set(write.key, entry);
    }
    if (writes.length > 0) this.changed();
  }

  /** The live entries whose keys start with `prefix`, by key. */
  entriesWithPrefix(prefix = ''): Map<string, MemoryStateEntry> {
    const found = new Map<string, MemoryStateEntry>();
    for (const key of this.entries.keys()) {
      const entry = key.startsWith(prefix) ? this.live(key) : undefined;
      if (entry !== undefined) found.set(key, { ...entry });
    }
    return found;
  }

  /** Replaces every entry (a host restoring what it saved). */
  replace(entries: Iterable<[string, MemoryStateEntry]>): void {
    this.entries.clear();
    for (const [key, entry] of entries) this.entries.set(key, { ...entry });
    this.changed();
  }

  /** Calls `listener` after every change; returns the function that stops it. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops the entries that expired. */
  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.entries.delete(key);
  }

  private live(key: string): MemoryStateEntry | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/**
 * `state.in-memory`: a Map in the sidecar process, for tests and local runs. Lost when the
 * sidecar stops (unless its host saves the data, as `isola dev --persist` does), and not shared
 * between sidecars (each node has its own).
 */
export class MemoryStateStore implements StateStore {
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly data = new MemoryStateData()) {
    this.sweeper = setInterval(() => data.sweep(), sweepIntervalMs).unref();
  }

  async get(key: string): Promise<StateItem | null> {
    return this.data.get(key);
  }

  async getBulk(keys: readonly string[]): Promise<(StateItem | null)[]> {
    return keys.map((key) => this.data.get(key));
  }

  async write(writes: readonly StateWrite[]): Promise<void> {
    this.data.write(writes);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
