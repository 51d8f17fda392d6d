import type { Logger } from '@isola/core';
import type { Redis } from 'ioredis';
import type { ConfigurationItems, ConfigurationStore } from './configuration-store.js';

/** The keyspace notification classes subscriptions need: K keyspace, $ string commands, g generic (DEL, RENAME...), x expired. */
const neededEvents = 'K$gx';

/**
 * `configuration.redis`: each item a Redis string `value||version` (Dapr's format; no `||`: the
 * version is empty). Subscriptions listen to keyspace notifications, which the store turns on
 * when it starts (and again after each reconnect: a restarted Redis forgets CONFIG SET).
 */
export class RedisConfigurationStore implements ConfigurationStore {
  private readonly listeners = new Map<string, Set<(items: ConfigurationItems) => void>>();
  private readonly everyKey = new Set<(items: ConfigurationItems) => void>();
  private readonly channelPrefix: string;

  private constructor(
    private readonly name: string,
    private readonly redis: Redis,
    private readonly subscriber: Redis,
    database: number,
    private readonly logger: Logger,
  ) {
    this.channelPrefix = `__keyspace@${database}__:`;
    // A key's change arrives once on its own channel (for that key's listeners) and once through
    // the all-keys pattern (for the all-keys listeners): each message goes to its own listeners only.
    const key = (channel: string) => channel.slice(this.channelPrefix.length);
    subscriber.on('message', (channel: string) => void this.changed(key(channel), this.listeners.get(key(channel)) ?? []));
    subscriber.on('pmessage', (_pattern: string, channel: string) => void this.changed(key(channel), this.everyKey));
    redis.on('ready', () => {
      enableNotifications(redis).catch((error: Error) => logger.error({ component: name, err: error }, error.message));
    });
  }

  /** Starts the store: turns keyspace notifications on (a clear error when the server refuses). */
  static async start(name: string, redis: Redis, subscriber: Redis, database: number, logger: Logger): Promise<RedisConfigurationStore> {
    const store = new RedisConfigurationStore(name, redis, subscriber, database, logger);
    try {
      await whenReady(redis, readyTimeoutMs);
      await enableNotifications(redis);
    } catch (error) {
      throw new Error(`configuration store "${name}": ${(error as Error).message}`);
    }
    return store;
  }

  async get(keys: readonly string[]): Promise<ConfigurationItems> {
    const names = keys.length > 0 ? [...keys] : await this.allKeys();
    if (names.length === 0) return {};
    // Only strings are configuration items: a key of another type (a state hash in a shared
    // database) reads as missing instead of failing the whole MGET.
    const pipeline = this.redis.pipeline();
    for (const key of names) pipeline.get(key);
    const results = (await pipeline.exec()) ?? [];
    const items: ConfigurationItems = {};
    results.forEach(([error, value], index) => {
      if (error !== null && !/WRONGTYPE/.test(error.message)) throw error;
      if (typeof value === 'string') items[names[index] as string] = itemOf(value);
    });
    return items;
  }

  async subscribe(keys: readonly string[], onChange: (items: ConfigurationItems) => void): Promise<() => Promise<void>> {
    if (keys.length === 0) {
      if (this.everyKey.size === 0) await this.subscriber.psubscribe(`${this.channelPrefix}*`);
      this.everyKey.add(onChange);
      return async () => {
        if (this.everyKey.delete(onChange) && this.everyKey.size === 0) await this.subscriber.punsubscribe(`${this.channelPrefix}*`);
      };
    }
    const fresh: string[] = [];
    for (const key of new Set(keys)) {
      let set = this.listeners.get(key);
      if (set === undefined) {
        set = new Set();
        this.listeners.set(key, set);
        fresh.push(key);
      }
      set.add(onChange);
    }
    if (fresh.length > 0) await this.subscriber.subscribe(...fresh.map((key) => this.channelPrefix + key));
    return async () => {
      const gone: string[] = [];
      for (const key of new Set(keys)) {
        const set = this.listeners.get(key);
        if (set === undefined || !set.delete(onChange) || set.size > 0) continue;
        this.listeners.delete(key);
        gone.push(key);
      }
      if (gone.length > 0) await this.subscriber.unsubscribe(...gone.map((key) => this.channelPrefix + key));
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.everyKey.clear();
  }

  private async allKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.scan(cursor, 'COUNT', 1000, 'TYPE', 'string');
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }

  private async changed(key: string, listeners: Iterable<(items: ConfigurationItems) => void>): Promise<void> {
    const targets = [...listeners];
    if (targets.length === 0) return;
    let items: ConfigurationItems;
    try {
      const value = await this.redis.get(key);
      items = { [key]: value === null ? { value: '', version: '', metadata: {} } : itemOf(value) };
    } catch (error) {
      // Another type (a state hash in a shared database) is no configuration item.
      if (/WRONGTYPE/.test((error as Error).message)) return;
      this.logger.warn({ component: this.name, key, err: error }, 'could not read a changed configuration item');
      return;
    }
    for (const listener of targets) listener(items);
  }
}

/** How long a starting store waits for its Redis. */
const readyTimeoutMs = 10_000;

async function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', resolve);
      timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms; check redisHost, redisPassword and that the server runs`)), timeoutMs);
    });
  } finally {
    clearTimeout(timer);
  }
}

function itemOf(stored: string): ConfigurationItems[string] {
  const at = stored.lastIndexOf('||');
  return at < 0 ? { value: stored, version: '', metadata: {} } : { value: stored.slice(0, at), version: stored.slice(at + 2), metadata: {} };
}

async function enableNotifications(redis: Redis): Promise<void> {
  let current: string;
  try {
    const reply = (await redis.config('GET', 'notify-keyspace-events')) as string[];
    current = reply[1] ?? '';
  } catch (error) {
    throw new Error(
      `subscriptions need Redis keyspace notifications, and reading the setting failed (${(error as Error).message}); set notify-keyspace-events to include ${neededEvents} in the server's configuration`,
    );
  }
  const missing = [...neededEvents].filter((flag) => !current.includes(flag) && !(flag !== 'K' && current.includes('A')));
  if (missing.length === 0) return;
  try {
    await redis.config('SET', 'notify-keyspace-events', current + missing.join(''));
  } catch (error) {
    throw new Error(
      `subscriptions need Redis keyspace notifications and the server refused CONFIG SET notify-keyspace-events ${current + missing.join('')} (${(error as Error).message}); set notify-keyspace-events to include ${neededEvents} in the server's configuration`,
    );
  }
}
