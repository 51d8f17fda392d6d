import { IsolaError } from '../errors/isola-error.js';
import { defaultAlias, targetVersions, type AliasTarget, type FunctionEvent, type FunctionStore, type FunctionVersion } from './function-store.js';

/** An alias with the versions it names, read once; `pick()` chooses one per request by weight. */
export class ResolvedAlias {
  private readonly cumulative: { upTo: number; version: FunctionVersion }[] = [];

  constructor(
    readonly alias: string,
    readonly target: AliasTarget,
    versions: readonly FunctionVersion[],
  ) {
    const byNumber = new Map(versions.map((version) => [version.version, version]));
    const weights: [number, number][] = 'version' in target ? [[target.version, 100]] : Object.entries(target.weights).map(([version, weight]) => [Number(version), weight]);
    let total = 0;
    for (const [number, weight] of weights) {
      const version = byNumber.get(number);
      if (version === undefined || weight <= 0) continue;
      total += weight;
      this.cumulative.push({ upTo: total, version });
    }
  }

  /** Whether any version it names still exists. */
  get servable(): boolean {
    return this.cumulative.length > 0;
  }

  /** The version to serve this request: by weight, with `random` in [0, 1). */
  pick(random = Math.random()): FunctionVersion {
    const entries = this.cumulative;
    if (entries.length === 1) return (entries[0] as { version: FunctionVersion }).version;
    const total = (entries[entries.length - 1] as { upTo: number }).upTo;
    const point = random * total;
    for (const entry of entries) if (point < entry.upTo) return entry.version;
    return (entries[entries.length - 1] as { version: FunctionVersion }).version;
  }
}

interface Entry {
  promise: Promise<ResolvedAlias | null>;
}

/**
 * What each alias of each function serves, kept in memory so the hot path reads Redis only on
 * a miss. Push invalidation: a deploy primes `latest` (locally at once, elsewhere from its
 * event); an alias change, rollback or delete event drops the function's entries, so every
 * process serves the change as soon as the event arrives. Unknown names are not cached.
 */
export class AliasCache {
  private readonly entries = new Map<string, Map<string, Entry>>();
  /** Newest version seen deployed per function, so a late event never moves `latest` back. */
  private readonly newestDeployed = new Map<string, number>();

  constructor(private readonly store: FunctionStore) {}

  resolve(name: string, alias: string = defaultAlias): Promise<ResolvedAlias | null> {
    let aliases = this.entries.get(name);
    const cached = aliases?.get(alias);
    if (cached !== undefined) return cached.promise;
    if (aliases === undefined) {
      aliases = new Map();
      this.entries.set(name, aliases);
    }
    const created: Entry = {
      promise: this.read(name, alias).then(
        (resolved) => {
          if (resolved === null) this.forget(name, alias, created);
          return resolved;
        },
        (error: unknown) => {
          this.forget(name, alias, created);
          throw error;
        },
      ),
    };
    aliases.set(alias, created);
    return created.promise;
  }

  /** A version this process just deployed and promoted: `latest` serves it, no read needed. */
  prime(version: FunctionVersion): void {
    const newest = this.newestDeployed.get(version.name) ?? 0;
    if (version.version < newest) return;
    this.newestDeployed.set(version.name, version.version);
    let aliases = this.entries.get(version.name);
    if (aliases === undefined) {
      aliases = new Map();
      this.entries.set(version.name, aliases);
    }
    aliases.set(defaultAlias, { promise: Promise.resolve(new ResolvedAlias(defaultAlias, { version: version.version }, [version])) });
  }

  onEvent(event: FunctionEvent): void {
    switch (event.type) {
      case 'deployed': {
        if (!event.promoted) return;
        if (event.deployed !== undefined) {
          const { code: _code, ...version } = event.deployed;
          this.prime(version);
        } else if (event.version > (this.newestDeployed.get(event.name) ?? 0)) {
          // Newer than anything primed here (deployed elsewhere, code too large for the event).
          this.newestDeployed.set(event.name, event.version);
          this.entries.get(event.name)?.delete(defaultAlias);
        }
        return;
      }
      case 'aliases':
        this.entries.delete(event.name);
        return;
      case 'deleted':
        this.entries.delete(event.name);
        this.newestDeployed.delete(event.name);
        return;
      default:
        return;
    }
  }

  clear(): void {
    this.entries.clear();
  }

  private async read(name: string, alias: string): Promise<ResolvedAlias | null> {
    const target = await this.store.alias(name, alias);
    if (target === null) return null;
    const versions = await Promise.all(targetVersions(target).map((version) => this.store.getVersion(name, version)));
    const resolved = new ResolvedAlias(alias, target, versions.filter((version): version is FunctionVersion => version !== null));
    return resolved.servable ? resolved : null;
  }

  private forget(name: string, alias: string, entry: Entry): void {
    const aliases = this.entries.get(name);
    if (aliases?.get(alias) === entry) aliases.delete(alias);
  }
}

/** FUNCTION_NOT_FOUND for `name`, saying how to deploy it. */
export function functionNotFound(name: string): IsolaError {
  return new IsolaError('FUNCTION_NOT_FOUND', `no function named "${name}" is deployed; deploy it with POST /api/v1/functions (or isola deploy)`);
}

/**
 * The version that serves one call of `name` through `alias` (by weight when its traffic is
 * split). Throws FUNCTION_NOT_FOUND, or NOT_FOUND when the function exists but not the alias;
 * `aliasSource` says where the alias was named (e.g. the X-Isola-Alias header).
 */
export async function servingVersion(functions: AliasCache, name: string, alias: string, aliasSource: string): Promise<FunctionVersion> {
  const resolved = await functions.resolve(name, alias);
  if (resolved !== null) return resolved.pick();
  if (alias !== defaultAlias && (await functions.resolve(name)) !== null) {
    throw new IsolaError('NOT_FOUND', `function "${name}" has no alias "${alias}" (${aliasSource}); GET /api/v1/functions/${name} lists its aliases`);
  }
  throw functionNotFound(name);
}
