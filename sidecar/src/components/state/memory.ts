import { conditionHolds, EtagMismatch, type StateItem, type StateStore, type StateWrite } from './state-store.js';

interface Entry {
  value: string;
  version: number;
  /** Epoch ms; Infinity when it does not expire. */
  expiresAt: number;
}

/** How often expired entries nobody reads are dropped. */
const sweepIntervalMs = 30_000;

/**
 * `state.in-memory`: a Map in the sidecar process, for tests and local runs. Lost when the
 * sidecar stops, and not shared between sidecars (each node has its own).
 */
export class MemoryStateStore implements StateStore {
  private readonly entries = new Map<string, Entry>();
  private readonly sweeper: NodeJS.Timeout;

  constructor() {
    this.sweeper = setInterval(() => this.sweep(), sweepIntervalMs).unref();
  }

  async get(key: string): Promise<StateItem | null> {
    const entry = this.live(key);
    return entry === undefined ? null : { value: entry.value, etag: String(entry.version) };
  }

  async getBulk(keys: readonly string[]): Promise<(StateItem | null)[]> {
    return Promise.all(keys.map((key) => this.get(key)));
  }

  async write(writes: readonly StateWrite[]): Promise<void> {
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
      const version = (this.live(write.key)?.version ?? 0) + 1;
      const expiresAt = write.ttlSeconds !== undefined && write.ttlSeconds > 0 ? now + write.ttlSeconds * 1000 : Infinity;
      this.entries.set(write.key, { value: write.value, version, expiresAt });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.entries.clear();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry !== undefined && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
