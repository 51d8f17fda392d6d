import type { FunctionEvent, FunctionStore, FunctionVersion } from './function-store.js';

interface Entry {
  promise: Promise<FunctionVersion | null>;
  /** Set once the read resolved (or when primed). */
  value?: FunctionVersion;
}

/**
 * The latest version of each function, kept in memory so the hot path reads Redis only on a
 * miss. A deploy through this process primes it with the new version; a deploy event from any
 * process drops an entry older than the event's version. Misses for unknown names are not
 * cached (a deploy fills them in on the next request).
 */
export class LatestVersionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly store: FunctionStore) {}

  get(name: string): Promise<FunctionVersion | null> {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      const created: Entry = {
        promise: this.store.getLatest(name).then(
          (version) => {
            if (version === null) this.forget(name, created);
            else created.value = version;
            return version;
          },
          (error: unknown) => {
            this.forget(name, created);
            throw error;
          },
        ),
      };
      entry = created;
      this.entries.set(name, entry);
    }
    return entry.promise;
  }

  /** The version this process just deployed is the latest: no need to read it back. */
  prime(version: FunctionVersion): void {
    const current = this.entries.get(version.name)?.value;
    if (current !== undefined && current.version > version.version) return;
    this.entries.set(version.name, { promise: Promise.resolve(version), value: version });
  }

  onEvent(event: FunctionEvent): void {
    if (event.type === 'deleted' || event.type === 'aliases') {
      this.entries.delete(event.name);
      return;
    }
    if (event.type !== 'deployed') return;
    if (event.deployed !== undefined) {
      const { code: _code, ...version } = event.deployed;
      this.prime(version);
      return;
    }
    const entry = this.entries.get(event.name);
    // Our own deploy's event arrives after prime(): the entry already holds that version.
    if (entry?.value !== undefined && entry.value.version >= event.version) return;
    this.entries.delete(event.name);
  }

  clear(): void {
    this.entries.clear();
  }

  private forget(name: string, entry: Entry): void {
    if (this.entries.get(name) === entry) this.entries.delete(name);
  }
}
