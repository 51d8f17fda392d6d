import type { FunctionEvent, FunctionStore, FunctionVersionWithCode } from '@isola/core';

/** Where a worker reads a version's code for a cold start. */
export interface VersionLookup {
  get(name: string, version: number): Promise<FunctionVersionWithCode | null>;
}

/**
 * Where a worker gets a function version's code for a cold start: from the deploy event when
 * the bundle was small enough to travel in it (no Redis read on the first request after a
 * deploy), else from the store. Keeps the most recent deploys only.
 */
export class VersionSource implements VersionLookup {
  private readonly recent = new Map<string, FunctionVersionWithCode>();

  constructor(
    private readonly store: Pick<FunctionStore, 'getVersionWithCode'>,
    private readonly maxRecent = 256,
  ) {}

  onEvent(event: FunctionEvent): void {
    if (event.type === 'deleted') {
      for (const [key, version] of this.recent) if (version.name === event.name) this.recent.delete(key);
      return;
    }
    if (event.type !== 'deployed' || event.deployed === undefined) return;
    this.recent.set(`${event.name}@${event.version}`, event.deployed);
    if (this.recent.size > this.maxRecent) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }

  async get(name: string, version: number): Promise<FunctionVersionWithCode | null> {
    return this.recent.get(`${name}@${version}`) ?? (await this.store.getVersionWithCode(name, version));
  }
}
