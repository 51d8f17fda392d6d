import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger } from '../logging/logger.js';
import { startPrivateRedis } from '../redis/private-redis.js';

export interface TestRedis {
  url: string;
  /** A connected client; closed by stop(). */
  redis: Redis;
  /** Another connection to the same server (for subscribers and blocking reads); closed by stop(). */
  connect(): Redis;
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server (the same private server `isola up` starts) in a temporary
 * directory, for tests that need the real Redis. Call stop() in `after`.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), 'isola-test-redis-'));
  const server = await startPrivateRedis(dataDir, createLogger({ level: 'silent' }));
  const clients: Redis[] = [];
  const connect = () => {
    const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };
  const redis = connect();
  return {
    url: server.url,
    redis,
    connect,
    async stop() {
      for (const client of clients) client.disconnect();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
