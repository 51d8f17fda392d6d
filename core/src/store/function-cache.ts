import type { FunctionEvent, FunctionStore, FunctionVersion } from './function-store.js';

/**
 * The latest version of each function, kept in memory and dropped the moment a deploy event
 * arrives, so the hot path reads Redis only on a miss. Misses for unknown names are not cached
 * (a deploy fills them in on the next request).
 */
export class LatestVersionCache {
  private readonly entries = new Map<string, Promise<FunctionVersion | null>>();

  constructor(private readonly store: FunctionStore) {}

  get(name: string): Promise<FunctionVersion | null> {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      entry = this.store.getLatest(name).then(
        (version) => {
          if (version === null) this.entries.delete(name);
          return version;
        },
        (error: unknown) => {
          this.entries.delete(name);
          throw error;
        },
      );
      this.entries.set(name, entry);
    }
    return entry;
  }

  onEvent(event: FunctionEvent): void {
    this.entries.delete(event.name);
  }

  clear(): void {
    this.entries.clear();
  }
}
