import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createLogger } from '../logging/logger.js';
import { startPrivateRedis } from '../redis/private-redis.js';
import { reapOnExit } from './reaper.js';

export interface TestRedis {
  url: string;
  /** A connected client; closed by stop(). */
  redis: Redis;
  /** Another connection to the same server (for subscribers and blocking reads); closed by stop(). */
  connect(): Redis;
  /**
   * Stops the server (SIGTERM: it writes its append-only file) and starts it again on the same
   * port and data, after `downMs`: what a Redis restart looks like to its clients.
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server (the same private server `isola up` starts) in a temporary
 * directory, for tests that need the real Redis. Call stop() in `after`.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const dataDir = mkdtempSync(join(tmpdir(), 'isola-test-redis-'));
  const logger = createLogger({ level: 'silent' });
  let server = await startPrivateRedis(dataDir, logger);
  const port = Number(new URL(server.url).port);
  const unreap = reapOnExit(() => server.kill());
  const clients: Redis[] = [];
  const connect = () => {
    const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    // A restart() makes every client fail until it reconnects: expected, not worth a line.
    client.on('error', () => undefined);
    clients.push(client);
    return client;
  };
  const redis = connect();
  return {
    url: server.url,
    redis,
    connect,
    async restart(downMs = 0) {
      await server.stop();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      server = await startPrivateRedis(dataDir, logger, { port });
    },
    async stop() {
      unreap();
      for (const client of clients) client.disconnect();
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
