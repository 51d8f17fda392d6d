import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { IsolaError } from '../errors/isola-error.js';
import { freePort } from '../net/free-port.js';
import type { Logger } from '../logging/logger.js';

export interface PrivateRedis {
  url: string;
  stop(): Promise<void>;
  /** Signals the server to exit (it still flushes its append-only file), without waiting. */
  kill(): void;
}

const installHint =
  'redis-server is not installed. Install it with "sudo apt-get install -y redis-server" (Debian/Ubuntu) or "brew install redis" (macOS), or point Isola at an existing Redis with REDIS_URL=redis://host:6379';

/**
 * Starts a redis-server owned by this process under `<dataDir>/redis`, on a free loopback
 * port, with an append-only file so deployed functions survive restarts. A server left
 * behind by a killed run (found by its pid file) is stopped first.
 */
export async function startPrivateRedis(dataDir: string, logger: Logger, options: { port?: number } = {}): Promise<PrivateRedis> {
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const pidFile = join(dir, 'redis.pid');
  stopStaleServer(pidFile, logger);
  const port = options.port ?? (await freePort());
  const child = spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', dir,
      '--pidfile', pidFile,
      '--logfile', 'redis.log',
      '--save', '',
      '--appendonly', 'yes',
      '--appendfsync', 'everysec',
      '--daemonize', 'no',
    ],
    { stdio: 'ignore' },
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new IsolaError('NOT_READY', installHint) : error);
    });
  });
  await spawned;
  const url = `redis://127.0.0.1:${port}`;
  await waitUntilAnswering(url, child, join(dir, 'redis.log'));
  logger.info({ url, dir }, 'private redis-server started');
  return { url, stop: () => stopChild(child), kill: () => void child.kill('SIGTERM') };
}

async function waitUntilAnswering(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  while (Date.now() < deadline && !exited) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      // Loading a large append-only file answers LOADING until it is done.
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-8).join('\n') : '(no log)';
  child.kill('SIGKILL');
  throw new IsolaError('NOT_READY', `redis-server did not start within 10 s; its log (${logFile}) ends with:\n${tail}`);
}

function stopStaleServer(pidFile: string, logger: Logger): void {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  rmSync(pidFile, { force: true });
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!command.includes('redis-server')) return;
    process.kill(pid, 'SIGTERM');
    logger.warn({ pid }, 'stopped a redis-server left behind by an earlier run');
  } catch {
    // Not running (or not on Linux): nothing to stop.
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    // SIGTERM makes redis flush its append-only file and exit cleanly.
    child.kill('SIGTERM');
  });
}
