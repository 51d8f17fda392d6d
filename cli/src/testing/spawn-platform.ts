import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IsolaClient } from '../client/api-client.js';

const bin = new URL('../bin.js', import.meta.url);

export interface SpawnedPlatform {
  url: string;
  token: string;
  dataDir: string;
  client: IsolaClient;
  process: ChildProcess;
  /** Everything the platform printed on stdout so far. */
  output(): string;
  /** Everything the platform printed on stderr so far (its JSON log lines). */
  stderr(): string;
  /** SIGTERM, wait for a clean exit (SIGKILL after 15 s); removes the data dir unless kept. Returns the exit code. */
  stop(options?: { keepDataDir?: boolean }): Promise<number | null>;
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  args?: string[];
  /** Options for node itself, before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Reuse a data dir (e.g. to test restarts); default a new temporary one. */
  dataDir?: string;
  /** Pass an explicit admin token (default a random one); null leaves it unset so Isola generates one. */
  token?: string | null;
}

/**
 * Runs the real `isola up` as a child process on a free port with its own data dir and
 * private Redis: what the end-to-end tests, example tests and benchmarks run against.
 */
export async function spawnPlatform(options: SpawnOptions = {}): Promise<SpawnedPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'isola-test-'));
  const token = options.token === undefined ? `test_${randomBytes(16).toString('hex')}` : options.token;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ISOLA_PORT: '0',
    ISOLA_DATA_DIR: dataDir,
    ISOLA_WORKERS: '2',
    ISOLA_LOG_LEVEL: 'warn',
    ...options.env,
  };
  delete env.REDIS_URL;
  if (options.env?.REDIS_URL !== undefined) env.REDIS_URL = options.env.REDIS_URL;
  if (token === null) delete env.ISOLA_ADMIN_TOKEN;
  else env.ISOLA_ADMIN_TOKEN = token;

  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), bin.pathname, 'up', ...(options.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not come up within 30 s'), 30_000);
    const onData = () => {
      const match = /Isola is up: (\S+)/.exec(stdout);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(match[1]);
    };
    function fail(reason: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`isola up ${reason}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }
    child.stdout.on('data', onData);
    void exited.then((code) => fail(`exited with code ${code}`));
  });

  const resolvedToken = token ?? /Admin token[^:]*: (\S+)$/m.exec(stdout)?.[1] ?? '';
  return {
    url,
    token: resolvedToken,
    dataDir,
    client: new IsolaClient(url, resolvedToken),
    process: child,
    output: () => stdout,
    stderr: () => stderr,
    async stop(stopOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (!stopOptions.keepDataDir && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      return child.exitCode;
    },
  };
}

/** Pids of a spawned platform's worker processes (Linux: read from /proc). */
export function workerPids(platform: SpawnedPlatform): number[] {
  const pid = platform.process.pid ?? 0;
  return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number)
    .filter((child) => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('worker/main.js');
      } catch {
        return false; // exited meanwhile
      }
    });
}
