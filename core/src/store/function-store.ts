import type { Redis } from 'ioredis';
import type { Manifest } from '../manifest/schema.js';
import { redisKeys } from './keys.js';

/** An immutable, deployed version of a function, without its code. */
export interface FunctionVersion {
  name: string;
  version: number;
  codeHash: string;
  manifest: Manifest;
  /** ISO 8601. */
  createdAt: string;
}

export interface FunctionVersionWithCode extends FunctionVersion {
  /** The bundled ES module. */
  code: string;
}

export interface NewVersion {
  manifest: Manifest;
  code: string;
  codeHash: string;
  /** The sources as uploaded, kept so the console can show and edit them. */
  files: Record<string, string>;
}

/**
 * A change every process must hear about at once (cache invalidation). A deploy of a small
 * bundle carries the whole version, so workers can load it without reading Redis.
 */
export type FunctionEvent =
  | { type: 'deployed'; name: string; version: number; deployed?: FunctionVersionWithCode }
  /** The function is gone: drop every cache entry and instance of it. */
  | { type: 'deleted'; name: string }
  /** An alias moved (set, weights, rollback): gateways re-read the function's aliases. */
  | { type: 'aliases'; name: string }
  /** A secret was set or removed: workers drop the function's instances so the next load sees it. */
  | { type: 'secrets'; name: string }
  /** A token was revoked: gateways drop it from their caches. */
  | { type: 'tokens'; id: string };

/** Bundles up to this size travel in the deploy event (see FunctionEvent). */
const maxCodeInEvent = 64 * 1024;

/**
 * Functions and their versions in Redis. Versions are written once and never changed;
 * `latest` moves with each deploy. Leaves out aliases, deletion and retention (control-plane issue).
 */
export class FunctionStore {
  constructor(private readonly redis: Redis) {}

  async deploy(input: NewVersion): Promise<FunctionVersion> {
    const name = input.manifest.name;
    const version = await this.redis.hincrby(redisKeys.functionMeta(name), 'nextVersion', 1);
    const createdAt = new Date().toISOString();
    const deployed: FunctionVersionWithCode = { name, version, codeHash: input.codeHash, manifest: input.manifest, createdAt, code: input.code };
    const event: FunctionEvent = input.code.length <= maxCodeInEvent ? { type: 'deployed', name, version, deployed } : { type: 'deployed', name, version };
    await this.redis
      .multi()
      .hset(redisKeys.functionVersion(name, version), {
        version: String(version),
        codeHash: input.codeHash,
        manifest: JSON.stringify(input.manifest),
        createdAt,
        code: input.code,
        files: JSON.stringify(input.files),
      })
      .hset(redisKeys.functionMeta(name), { latest: String(version), updatedAt: createdAt })
      .hsetnx(redisKeys.functionMeta(name), 'createdAt', createdAt)
      .sadd(redisKeys.functionNames, name)
      .publish(redisKeys.eventsChannel, JSON.stringify(event))
      .exec();
    return { name, version, codeHash: input.codeHash, manifest: input.manifest, createdAt };
  }

  async latestVersion(name: string): Promise<number | null> {
    const latest = await this.redis.hget(redisKeys.functionMeta(name), 'latest');
    return latest === null ? null : Number(latest);
  }

  async getLatest(name: string): Promise<FunctionVersion | null> {
    const version = await this.latestVersion(name);
    return version === null ? null : this.getVersion(name, version);
  }

  async getVersion(name: string, version: number): Promise<FunctionVersion | null> {
    const fields = await this.readVersion(name, version, []);
    return fields === null ? null : fields.version;
  }

  async getVersionWithCode(name: string, version: number): Promise<FunctionVersionWithCode | null> {
    const fields = await this.readVersion(name, version, ['code']);
    const code = fields?.extra[0];
    return fields === null || code == null ? null : { ...fields.version, code };
  }

  private async readVersion(
    name: string,
    version: number,
    extraFields: string[],
  ): Promise<{ version: FunctionVersion; extra: (string | null | undefined)[] } | null> {
    const [codeHash, manifest, createdAt, ...extra] = await this.redis.hmget(
      redisKeys.functionVersion(name, version),
      'codeHash',
      'manifest',
      'createdAt',
      ...extraFields,
    );
    if (codeHash == null || manifest == null || createdAt == null) return null;
    return { version: { name, version, codeHash, manifest: JSON.parse(manifest) as Manifest, createdAt }, extra };
  }

  async listNames(): Promise<string[]> {
    return (await this.redis.smembers(redisKeys.functionNames)).sort();
  }

  /**
   * Calls `listener` for every function event. `subscriber` must be a connection of its own
   * (Redis puts it in subscriber mode). Returns a function that unsubscribes.
   */
  static async subscribe(subscriber: Redis, listener: (event: FunctionEvent) => void): Promise<() => Promise<void>> {
    const onMessage = (channel: string, message: string) => {
      if (channel === redisKeys.eventsChannel) listener(JSON.parse(message) as FunctionEvent);
    };
    subscriber.on('message', onMessage);
    await subscriber.subscribe(redisKeys.eventsChannel);
    return async () => {
      subscriber.off('message', onMessage);
      await subscriber.unsubscribe(redisKeys.eventsChannel);
    };
  }
}
