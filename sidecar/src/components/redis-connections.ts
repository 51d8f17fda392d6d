import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '@isola/core';

/** The metadata every Redis component takes (the names Dapr's Redis components use). */
export interface RedisMetadata {
  /** `host:port`; default: the host of the platform's REDIS_URL. */
  redisHost?: string | undefined;
  redisUsername?: string | undefined;
  redisPassword?: string | undefined;
  /** Database number; default: the one in REDIS_URL (0). */
  redisDB?: string | undefined;
  /** "true": TLS (rediss://). */
  enableTLS?: string | undefined;
}

/**
 * The Redis connections of the sidecar's components: one per server and database, shared by
 * the components that use the same one (a default set-up opens one to the platform's Redis,
 * database 1). Commands fail at once while a connection is down (no offline queue): the
 * components' governance retries, times out and opens circuits, rather than requests waiting
 * in a queue nobody sees.
 */
export class RedisConnections {
  private readonly connections = new Map<string, Redis>();

  constructor(
    /** The platform's Redis (REDIS_URL): the default server; undefined when the sidecar runs without one (isola dev). */
    private readonly platformUrl: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** The connection for a component's metadata; `purpose` tells apart connections that must not be shared (subscribers). */
  connect(metadata: RedisMetadata, purpose = 'commands'): Redis {
    if (this.platformUrl === undefined && metadata.redisHost === undefined) {
      throw new Error('this sidecar runs without Redis (no REDIS_URL): give the component a redisHost in its metadata, or use an in-memory component type');
    }
    const url = redisUrlOf(this.platformUrl ?? 'redis://127.0.0.1:6379', metadata);
    const key = `${purpose} ${url}`;
    let redis = this.connections.get(key);
    if (redis === undefined) {
      redis = new Redis(url, { enableOfflineQueue: purpose !== 'commands', maxRetriesPerRequest: 1, connectionName: `isola-sidecar-${purpose}` } satisfies RedisOptions);
      const shown = shownUrl(url);
      let failing = false;
      redis.on('error', (error: Error) => {
        if (!failing) this.logger.warn({ redis: shown, err: error }, 'component Redis connection failed; retrying');
        failing = true;
      });
      redis.on('ready', () => {
        if (failing) this.logger.info({ redis: shown }, 'component Redis connection is back');
        failing = false;
      });
      this.connections.set(key, redis);
    }
    return redis;
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((redis) => redis.quit().catch(() => redis.disconnect())));
    this.connections.clear();
  }
}

/** The URL a component's metadata names, filled in from the platform's REDIS_URL. */
export function redisUrlOf(platformUrl: string, metadata: RedisMetadata): string {
  const url = new URL(platformUrl);
  if (metadata.redisHost !== undefined) {
    const host = new URL(`redis://${metadata.redisHost}`);
    url.hostname = host.hostname;
    url.port = host.port || '6379';
  }
  if (metadata.enableTLS !== undefined) url.protocol = metadata.enableTLS === 'true' ? 'rediss:' : 'redis:';
  if (metadata.redisUsername !== undefined) url.username = encodeURIComponent(metadata.redisUsername);
  if (metadata.redisPassword !== undefined) url.password = encodeURIComponent(metadata.redisPassword);
  if (metadata.redisDB !== undefined) url.pathname = `/${metadata.redisDB}`;
  return url.toString();
}

/** A URL for logs: without the password. */
function shownUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
