import type { FunctionVersion, FunctionVersionWithCode } from '@isola/core';
import type { FunctionProvider } from '@isola/worker-pool';

/** Versions kept per function: the latest and a few before it, for invocations still running on them. */
const keptVersions = 8;

/**
 * The functions of a local run and their versions, in place of the platform's function store and
 * secret store in Redis: the worker processes load code and secrets from it (FunctionProvider),
 * and the sidecar reads from it what each calling version binds and each function's secrets.
 * Every reload of a folder adds a version.
 */
export class FunctionDirectory implements FunctionProvider {
  private readonly versions = new Map<string, Map<number, FunctionVersionWithCode>>();
  private readonly secretValues = new Map<string, Record<string, string>>();

  /** Adds a version (the next number after the function's latest); returns it. */
  add(version: Omit<FunctionVersionWithCode, 'version' | 'createdAt'>): FunctionVersionWithCode {
    let versions = this.versions.get(version.name);
    if (versions === undefined) {
      versions = new Map();
      this.versions.set(version.name, versions);
    }
    const latest = Math.max(0, ...versions.keys());
    const added: FunctionVersionWithCode = { ...version, version: latest + 1, createdAt: new Date().toISOString() };
    versions.set(added.version, added);
    for (const number of versions.keys()) if (number <= added.version - keptVersions) versions.delete(number);
    return added;
  }

  setSecrets(name: string, values: Record<string, string>): void {
    this.secretValues.set(name, { ...values });
  }

  async version(name: string, version: number): Promise<FunctionVersionWithCode | null> {
    return this.versions.get(name)?.get(version) ?? null;
  }

  /** For the sidecar (CallerAuth): the version without its code. */
  async getVersion(name: string, version: number): Promise<FunctionVersion | null> {
    const found = this.versions.get(name)?.get(version);
    if (found === undefined) return null;
    const { code: _code, ...rest } = found;
    return rest;
  }

  async secrets(name: string): Promise<Record<string, string>> {
    return { ...(this.secretValues.get(name) ?? {}) };
  }

  /** For the sidecar's secretstores.isola. */
  values(name: string): Promise<Record<string, string>> {
    return this.secrets(name);
  }
}
