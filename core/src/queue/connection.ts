import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logging/logger.js';

/**
 * A Redis connection for BullMQ. Workers need `maxRetriesPerRequest: null` (a blocking read must
 * wait through a reconnect); reconnects are retried quickly — BullMQ's own strategy waits at
 * least a second — so a restarted Redis is back in use within a few hundred milliseconds.
 */
export function queueConnection(url: string, logger: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    ...options,
  });
  let lastWarning = 0;
  redis.on('error', (error: Error) => {
    // A Redis restart makes every command fail for a while: one line per few seconds is enough.
    if (Date.now() - lastWarning < 5_000) return;
    lastWarning = Date.now();
    logger.warn({ err: error }, 'queue connection error');
  });
  return redis;
}
