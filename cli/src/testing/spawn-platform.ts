import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOnExit } from '@isola/core/testing';
import { IsolaClient } from '@isola/core';

const bin = new URL('../bin.js', import.meta.url);

export interface SpawnedPlatform {
  url: string;
  /** Where the gRPC trigger listens, host:port. */
  grpcAddress: string;
  /** The sidecar `isola up` started (Dapr HTTP API). */
  sidecarUrl: string;
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
    ISOLA_GRPC_PORT: '0',
    ISOLA_SIDECAR_PORT: '0',
    ISOLA_DATA_DIR: dataDir,
    ISOLA_WORKERS: '2',
    ISOLA_LOG_LEVEL: 'warn',
    ...options.env,
  };
  delete env.REDIS_URL;
  if (options.env?.REDIS_URL !== undefined) env.REDIS_URL = options.env.REDIS_URL;
  if (token === null) delete env.ISOLA_ADMIN_TOKEN;
  else env.ISOLA_ADMIN_TOKEN = token;

  const launched = await launch([...(options.nodeArgs ?? []), bin.pathname, 'up', ...(options.args ?? [])], env, /Isola is up: (\S+) \(gRPC (\S+), sidecar (\S+)\)/, 'isola up');
  const { child, exited } = launched;
  const url = launched.match[1] as string;

  const resolvedToken = token ?? /Admin token[^:]*: (\S+)$/m.exec(launched.output())?.[1] ?? '';
  return {
    url,
    grpcAddress: launched.match[2] as string,
    sidecarUrl: launched.match[3] as string,
    token: resolvedToken,
    dataDir,
    client: new IsolaClient(url, resolvedToken),
    process: child,
    output: launched.output,
    stderr: launched.stderr,
    async stop(stopOptions = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (!stopOptions.keepDataDir && options.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true });
      assertNoLeakWarnings(launched.stderr());
      return child.exitCode;
    },
  };
}

/** Pids of the worker processes forked by a spawned `isola up` or `isola worker` (Linux: read from /proc). */
export function workerPids(platform: { process: ChildProcess }): number[] {
  const pid = platform.process.pid ?? 0;
  let children: string;
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
  } catch {
    return []; // the process itself is gone
  }
  return children
    .trim()
    .split(/\s+/)
    .filter((child) => child !== '')
    .map(Number)
    .filter((child) => {
      try {
        return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('worker/main.js');
      } catch {
        return false; // exited meanwhile
      }
    });
}

export interface SpawnedRole {
  /** The gateway's URL (gateway role), the node's URL (worker role), the sidecar's (sidecar role); empty for the scheduler. */
  url: string;
  /** Where the gateway's gRPC trigger listens, host:port (gateway role). */
  grpcAddress: string | null;
  /** The worker node's id (worker role). */
  nodeId: string | null;
  process: ChildProcess;
  output(): string;
  stderr(): string;
  /** SIGTERM (graceful) and wait for the exit; SIGKILL after `killAfterMs` (default 30 s). Returns the exit code. */
  stop(killAfterMs?: number): Promise<number | null>;
  /** SIGKILL, as a crash: resolves once the process is gone. */
  kill(): Promise<void>;
}

/**
 * Runs one role alone (`isola gateway`, `isola worker`, `isola scheduler`, `isola sidecar`)
 * against an existing Redis, as a multi-process deployment does: `env` must carry REDIS_URL,
 * ISOLA_SECRET_KEY and (gateways, sidecars) ISOLA_ADMIN_TOKEN shared by every role.
 */
export async function spawnRole(role: 'gateway' | 'worker' | 'scheduler' | 'sidecar', env: NodeJS.ProcessEnv, args: string[] = []): Promise<SpawnedRole> {
  const dataDir = mkdtempSync(join(tmpdir(), `isola-${role}-`));
  const roleEnv = { ...process.env, ISOLA_PORT: '0', ISOLA_GRPC_PORT: '0', ...(role === 'sidecar' ? { ISOLA_SIDECAR_PORT: '0' } : {}), ISOLA_WORKERS: '1', ISOLA_LOG_LEVEL: 'warn', ISOLA_DATA_DIR: dataDir, ...env };
  const pattern = { gateway: /Isola gateway is up: (\S+) \(gRPC (\S+)\)/, worker: /Isola worker node (\S+) is up: (\S+)/, scheduler: /Isola scheduler is up()/, sidecar: /Isola sidecar is up: (\S+)/ }[role];
  const launched = await launch([bin.pathname, role, ...args], roleEnv, pattern, `isola ${role}`);
  const { child, exited, match } = launched;
  const cleanup = () => rmSync(dataDir, { recursive: true, force: true });
  return {
    url: (role === 'worker' ? match[2] : match[1]) ?? '',
    grpcAddress: role === 'gateway' ? (match[2] as string) : null,
    nodeId: role === 'worker' ? (match[1] as string) : null,
    process: child,
    output: launched.output,
    stderr: launched.stderr,
    async stop(killAfterMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
      assertNoLeakWarnings(launched.stderr());
      return child.exitCode;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      cleanup();
    },
  };
}

/**
 * Node warns when listeners pile up on one emitter or signal — a leak that grows with every
 * invocation. Any such warning from a platform process fails the test that ran it.
 */
function assertNoLeakWarnings(stderr: string): void {
  const warning = /^.*MaxListenersExceededWarning.*$/m.exec(stderr);
  if (warning !== null) throw new Error(`the platform process warned of a listener leak: ${warning[0]}`);
}

interface Launched {
  child: ChildProcess;
  exited: Promise<number | null>;
  match: RegExpExecArray;
  output(): string;
  stderr(): string;
}

/**
 * Starts the isola command with `args` and waits (30 s at most) until its stdout matches
 * `ready`. The process is signalled if this test process ends first (SIGTERM: an `isola up`
 * then also stops its workers and private redis-server).
 */
async function launch(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, what: string): Promise<Launched> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const unreap = reapOnExit(() => child.kill('SIGTERM'));
  void exited.then(unreap);
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => fail('did not come up within 30 s'), 30_000);
    const onData = () => {
      const found = ready.exec(stdout);
      if (found === null) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      resolve(found);
    };
    function fail(reason: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${what} ${reason}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }
    child.stdout.on('data', onData);
    void exited.then((code) => fail(`exited with code ${code}`));
  });
  return { child, exited, match, output: () => stdout, stderr: () => stderr };
}
