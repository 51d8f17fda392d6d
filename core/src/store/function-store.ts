import type { Redis } from 'ioredis';
import type { FunctionRef } from '../invocation/types.js';
import type { Manifest, QueueConsumerConfig } from '../manifest/schema.js';
import { IsolaError } from '../errors/isola-error.js';
import { redisKeys } from './keys.js';
import { claimAll, claimRoutes, readRouteClaims, releaseClaimsScript, routeClaimSet, servedRoutes, type ClaimSet, type RouteClaim } from './route-claims.js';

/** An immutable, deployed version of a function, without its code. */
export interface FunctionVersion {
  name: string;
  version: number;
  codeHash: string;
  manifest: Manifest;
  /** ISO 8601. */
  createdAt: string;
  /** Name of the token that deployed it (absent on versions stored before tokens existed). */
  author?: string;
}

export interface FunctionVersionWithCode extends FunctionVersion {
  /** The bundled ES module. */
  code: string;
}

export interface FunctionVersionWithFiles extends FunctionVersion {
  /** The sources as uploaded; empty for versions stored before sources were kept. */
  files: Record<string, string>;
}

/** A version a scheduler quarantined because it crashed its worker repeatedly. */
export interface QuarantinedVersion {
  version: number;
  /** The code that crashed: a version redeployed under the same number after a delete is another. */
  codeHash: string;
  /** Why, as the invocations it refuses say. */
  reason: string;
  /** ISO 8601. */
  at: string;
}

export interface NewVersion {
  manifest: Manifest;
  code: string;
  codeHash: string;
  /** The sources as uploaded, kept so the console can show and edit them. */
  files: Record<string, string>;
  /** Name of the deploying token. */
  author: string;
  /** Point `latest` at the new version (default). False for a canary: set weights afterwards. */
  promote?: boolean;
}

/** Where an alias sends requests: one version, or versions by weight (summing to 100). */
export type AliasTarget = { version: number } | { weights: Record<string, number> };

/** The alias every trigger serves unless a request names another (X-Isola-Alias). */
export const defaultAlias = 'latest';

/**
 * A change every process must hear about at once (cache invalidation). A deploy of a small
 * bundle carries the whole version, so workers can load it without reading Redis.
 */
export type FunctionEvent =
  | { type: 'deployed'; name: string; version: number; promoted: boolean; deployed?: FunctionVersionWithCode }
  /** The function is gone: drop every cache entry and instance of it. */
  | { type: 'deleted'; name: string }
  /** An alias moved (set, weights, rollback): gateways re-read the function's aliases. */
  | { type: 'aliases'; name: string }
  /** A secret was set or removed: workers drop the function's instances so the next load sees it. */
  | { type: 'secrets'; name: string }
  /** A token was revoked: gateways drop it from their caches. */
  | { type: 'tokens'; id: string }
  /** A BullMQ queue was used for the first time: worker hosts start consuming it. */
  | { type: 'queue'; queue: string }
  /** A worker node joined, started draining or left: gateways re-read the node directory. */
  | { type: 'nodes'; node: string };

/** Bundles up to this size travel in the deploy event (see FunctionEvent). */
const maxCodeInEvent = 64 * 1024;

/** The versions an alias target names. */
export function targetVersions(target: AliasTarget): number[] {
  return 'version' in target ? [target.version] : Object.keys(target.weights).map(Number);
}

/** The version with the most traffic (the newest on a tie). */
export function primaryVersion(target: AliasTarget): number {
  if ('version' in target) return target.version;
  let best = 0;
  let bestWeight = -1;
  for (const [version, weight] of Object.entries(target.weights)) {
    if (weight > bestWeight || (weight === bestWeight && Number(version) > best)) {
      best = Number(version);
      bestWeight = weight;
    }
  }
  return best;
}

/** A consumed topic: the consumer function and its `queues:` entry. */
export type TopicConsumer = QueueConsumerConfig & { function: string };

function functionMissing(name: string): IsolaError {
  return new IsolaError('FUNCTION_NOT_FOUND', `no function named "${name}" is deployed; deploy it with POST /api/v1/functions (or isola deploy)`);
}

/**
 * Functions and their versions in Redis. Versions are written once and never changed;
 * `latest` moves with each deploy. Leaves out aliases, deletion and retention (control-plane issue).
 */
export class FunctionStore {
  constructor(private readonly redis: Redis) {}

  /**
   * Stores a new version; promoted, `latest` serves it and the function takes its `queues:`
   * topics and `routes:` (CONFLICT when another function holds one) and lets go of the others.
   */
  async deploy(input: NewVersion): Promise<FunctionVersion> {
    const name = input.manifest.name;
    const promote = input.promote ?? true;
    // Topics and routes claimed in one atomic step before anything is written, so a conflict
    // leaves no trace and of two concurrent deploys wanting one topic or route one wins.
    if (promote) await claimAll(this.redis, name, [topicClaimSet(name, input.manifest), routeClaimSet(name, servedRoutes([input.manifest]))]);
    const version = await this.redis.hincrby(redisKeys.functionMeta(name), 'nextVersion', 1);
    const createdAt = new Date().toISOString();
    const deployed: FunctionVersionWithCode = { name, version, codeHash: input.codeHash, manifest: input.manifest, createdAt, author: input.author, code: input.code };
    const event: FunctionEvent =
      input.code.length <= maxCodeInEvent ? { type: 'deployed', name, version, promoted: promote, deployed } : { type: 'deployed', name, version, promoted: promote };
    const multi = this.redis
      .multi()
      .hset(redisKeys.functionVersion(name, version), {
        version: String(version),
        codeHash: input.codeHash,
        manifest: JSON.stringify(input.manifest),
        createdAt,
        author: input.author,
        code: input.code,
        files: JSON.stringify(input.files),
      })
      .hset(redisKeys.functionMeta(name), { updatedAt: createdAt })
      .hsetnx(redisKeys.functionMeta(name), 'createdAt', createdAt)
      .sadd(redisKeys.functionNames, name);
    if (promote) multi.hset(redisKeys.functionAliases(name), defaultAlias, JSON.stringify({ version }));
    await multi.publish(redisKeys.eventsChannel, JSON.stringify(event)).exec();
    const { code: _code, ...stored } = deployed;
    return stored;
  }

  /** Every consumed topic with its consumer's `queues:` entry. */
  async topicConsumers(): Promise<Map<string, TopicConsumer>> {
    const raw = await this.redis.hgetall(redisKeys.topicConsumers);
    return new Map(Object.entries(raw).map(([topic, json]) => [topic, JSON.parse(json) as TopicConsumer]));
  }

  /** Every route the HTTP trigger serves besides `/fn/<name>/*`: those of the versions each function's `latest` serves. */
  async routeClaims(): Promise<RouteClaim[]> {
    return readRouteClaims(this.redis);
  }

  /** Whether a function of that name exists (was deployed and not deleted). */
  async exists(name: string): Promise<boolean> {
    return (await this.redis.sismember(redisKeys.functionNames, name)) === 1;
  }

  async aliases(name: string): Promise<Record<string, AliasTarget>> {
    const raw = await this.redis.hgetall(redisKeys.functionAliases(name));
    const aliases: Record<string, AliasTarget> = {};
    for (const [alias, value] of Object.entries(raw)) aliases[alias] = JSON.parse(value) as AliasTarget;
    if (aliases[defaultAlias] === undefined) {
      // Versions deployed before aliases existed kept `latest` in the meta hash.
      const latest = await this.redis.hget(redisKeys.functionMeta(name), 'latest');
      if (latest !== null) aliases[defaultAlias] = { version: Number(latest) };
    }
    return aliases;
  }

  /** `alias` comes from a request header: only the function's own aliases count, never `__proto__` and kin. */
  async alias(name: string, alias: string): Promise<AliasTarget | null> {
    const aliases = await this.aliases(name);
    return Object.hasOwn(aliases, alias) ? (aliases[alias] ?? null) : null;
  }

  /**
   * Points `alias` at `target` after checking that every version it names exists; announces it.
   * Moving `latest` moves the function's routes to those of the versions it names (CONFLICT
   * when another function took one of them meanwhile).
   */
  async setAlias(name: string, alias: string, target: AliasTarget): Promise<void> {
    if (!(await this.exists(name))) throw functionMissing(name);
    const versions = targetVersions(target);
    const found = await Promise.all(versions.map((version) => this.getVersion(name, version)));
    const missing = versions.filter((_version, index) => found[index] === null);
    if (missing.length > 0) {
      throw new IsolaError('BAD_REQUEST', `function "${name}" has no version ${missing.join(', ')}; GET /api/v1/functions/${name}/versions lists them`);
    }
    // `latest` decides the function's routes: those of every version it now serves.
    if (alias === defaultAlias) await claimRoutes(this.redis, name, servedRoutes(found.map((version) => (version as FunctionVersion).manifest)));
    await this.redis
      .multi()
      .hset(redisKeys.functionAliases(name), alias, JSON.stringify(target))
      .hset(redisKeys.functionMeta(name), { updatedAt: new Date().toISOString() })
      .publish(redisKeys.eventsChannel, JSON.stringify({ type: 'aliases', name } satisfies FunctionEvent))
      .exec();
  }

  /**
   * Points `alias` back: at `to` when given, else at the newest version older than the newest
   * one it serves now. Returns what it served before and what it serves now.
   */
  async rollback(name: string, alias: string, to?: number): Promise<{ from: AliasTarget; to: AliasTarget }> {
    if (!(await this.exists(name))) throw functionMissing(name);
    const current = await this.alias(name, alias);
    if (current === null) throw new IsolaError('NOT_FOUND', `function "${name}" has no alias "${alias}"`);
    let target = to;
    if (target === undefined) {
      const newest = Math.max(...targetVersions(current));
      const versions = await this.versionNumbers(name);
      target = versions.filter((version) => version < newest).pop();
      if (target === undefined) {
        throw new IsolaError('CONFLICT', `alias "${alias}" of "${name}" serves version ${newest}, the oldest there is: nothing to roll back to`);
      }
    }
    const next: AliasTarget = { version: target };
    await this.setAlias(name, alias, next);
    return { from: current, to: next };
  }

  /** Every version number of the function, ascending. */
  async versionNumbers(name: string): Promise<number[]> {
    const next = Number((await this.redis.hget(redisKeys.functionMeta(name), 'nextVersion')) ?? 0);
    if (next === 0) return [];
    const pipeline = this.redis.pipeline();
    for (let version = 1; version <= next; version += 1) pipeline.exists(redisKeys.functionVersion(name, version));
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, exists], index) => (exists === 1 ? [index + 1] : []));
  }

  /** Versions, newest first, without code. */
  async listVersions(name: string): Promise<FunctionVersion[]> {
    const numbers = await this.versionNumbers(name);
    const versions = await Promise.all(numbers.reverse().map((version) => this.getVersion(name, version)));
    return versions.filter((version): version is FunctionVersion => version !== null);
  }

  /** The sources of a version as uploaded. */
  async files(name: string, version: number): Promise<Record<string, string> | null> {
    const files = await this.redis.hget(redisKeys.functionVersion(name, version), 'files');
    return files === null ? null : (JSON.parse(files) as Record<string, string>);
  }

  /** A version with its sources as uploaded (one read), or null when there is no such version. */
  async getVersionWithFiles(name: string, version: number): Promise<FunctionVersionWithFiles | null> {
    const fields = await this.readVersion(name, version, ['files']);
    if (fields === null) return null;
    const files = fields.extra[0];
    return { ...fields.version, files: files == null ? {} : (JSON.parse(files) as Record<string, string>) };
  }

  /**
   * Notes that a scheduler quarantined a version, so that the API can show it. Schedulers refuse
   * the version's invocations from their own memory, never from this record.
   */
  async recordQuarantine(fn: FunctionRef, reason: string, at = new Date()): Promise<void> {
    const entry: Omit<QuarantinedVersion, 'version'> = { codeHash: fn.codeHash, reason, at: at.toISOString() };
    await this.redis.hset(redisKeys.functionQuarantine(fn.name), String(fn.version), JSON.stringify(entry));
  }

  /** The quarantined versions of each function named (none: an empty list), in one round trip. */
  async quarantinedVersions(names: readonly string[]): Promise<Map<string, QuarantinedVersion[]>> {
    const found = new Map<string, QuarantinedVersion[]>();
    if (names.length === 0) return found;
    const pipeline = this.redis.pipeline();
    for (const name of names) pipeline.hgetall(redisKeys.functionQuarantine(name));
    const results = (await pipeline.exec()) ?? [];
    names.forEach((name, index) => {
      const [error, value] = results[index] ?? [null, {}];
      if (error !== null) throw error;
      const versions = Object.entries((value ?? {}) as Record<string, string>).map(([version, json]) => ({
        ...(JSON.parse(json) as Omit<QuarantinedVersion, 'version'>),
        version: Number(version),
      }));
      found.set(name, versions.sort((a, b) => a.version - b.version));
    });
    return found;
  }

  /**
   * Removes the function: its versions, aliases, secrets, quarantine notes, indexes and logs
   * (every key under `isola:fn:<name>:`), releases its routes and topics, and announces it so
   * gateways stop routing to it and workers drop its instances. Invocations already running finish. False when there was no such function.
   */
  async delete(name: string): Promise<boolean> {
    if (!(await this.exists(name))) return false;
    const keys = [redisKeys.functionMeta(name)];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'MATCH', `${redisKeys.functionMeta(name)}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    const multi = this.redis.multi().srem(redisKeys.functionNames, name);
    multi.eval(releaseClaimsScript, 1, redisKeys.topicConsumers, name);
    multi.eval(releaseClaimsScript, 1, redisKeys.httpRoutes, name);
    for (let index = 0; index < keys.length; index += 500) multi.unlink(...keys.slice(index, index + 500));
    await multi.publish(redisKeys.eventsChannel, JSON.stringify({ type: 'deleted', name } satisfies FunctionEvent)).exec();
    return true;
  }

  /** The version `latest` serves (for weights: the one with the most traffic). */
  async latestVersion(name: string): Promise<number | null> {
    const target = await this.alias(name, defaultAlias);
    return target === null ? null : primaryVersion(target);
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
    const [codeHash, manifest, createdAt, author, ...extra] = await this.redis.hmget(
      redisKeys.functionVersion(name, version),
      'codeHash',
      'manifest',
      'createdAt',
      'author',
      ...extraFields,
    );
    if (codeHash == null || manifest == null || createdAt == null) return null;
    const found: FunctionVersion = { name, version, codeHash, manifest: JSON.parse(manifest) as Manifest, createdAt };
    if (author != null) found.author = author;
    return { version: found, extra };
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

/**
 * The topics a deploy makes `name` consume (its `queues:`). One function consumes a topic (as
 * Cloudflare Queues): a topic another consumes is a conflict.
 */
function topicClaimSet(name: string, manifest: Manifest): ClaimSet {
  const wanted: Record<string, string> = {};
  for (const config of manifest.queues) wanted[config.topic] = JSON.stringify({ ...config, function: name });
  return {
    key: redisKeys.topicConsumers,
    wanted,
    conflict: (topic, owner) => `topic "${topic}" is already consumed by function "${owner}"; a topic has one consumer. Remove it from that function's queues: or use another topic`,
  };
}
